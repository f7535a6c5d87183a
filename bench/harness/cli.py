"""The command line: `python bench/load.py ...` (see the package docstring)."""

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

try:
    import aiohttp
except ImportError as error:  # pragma: no cover - told to the user
    sys.exit(f"bench/load.py needs python-socketio's asyncio client and aiohttp: "
             f"pip install 'python-socketio[asyncio_client]' ({error})")

from . import __doc__ as USAGE
from .common import REPO
from .measures import app_version
from .report import markdown, summary
from .run import run_target
from .targets import Baseline, Ours


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=USAGE.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="See bench/README.md.")
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500, help="offered votes/s (main step)")
    parser.add_argument("--votes", type=int, default=5000, help="votes in the main step and burst")
    parser.add_argument("--needs", type=int, default=10,
                        help="needs added in the recueil (at most 12: all on the screen)")
    parser.add_argument("--declarations", type=int, default=300)
    parser.add_argument("--burst", action="store_true", help="also: --votes votes at once")
    parser.add_argument("--search", action="store_true",
                        help="also: highest rate with p95 vote-to-screen < --target-ms")
    parser.add_argument("--search-start", type=float, help="first rate tried (default --rate)")
    parser.add_argument("--search-steps", type=int, default=6)
    parser.add_argument("--search-seconds", type=float, default=6,
                        help="votes per search step = rate x this (at most the phones' budget)")
    parser.add_argument("--search-max-votes", type=int, default=30000,
                        help="at most this many votes in a search step")
    parser.add_argument("--target-ms", type=float, default=250)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-facilitator-page", action="store_true",
                        help="ours without the facilitator's pilotage page open (by default its "
                             "socket receives the facilitator's board, as in a real room)")
    parser.add_argument("--baseline-only", action="store_true")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--app-dir", default=str(REPO),
                        help="the checkout whose app is started (default: this one), e.g. an "
                             "exported commit to measure a fixed version")
    parser.add_argument("--email", help="facilitator login (with --url)")
    parser.add_argument("--password", help="facilitator password (with --url)")
    parser.add_argument("--seance", type=int, help="use this séance (default: create one)")
    parser.add_argument("--server-pid", type=int, help="with --url: the process to measure")
    parser.add_argument("--database-url",
                        help="with --url and SQLite: read the event log for the commit order; "
                             "with --cluster: the PostgreSQL database to use (default: a fresh "
                             "one, dropped at the end unless --keep)")
    parser.add_argument("--cluster", type=int, default=0, metavar="N",
                        help="start N server processes sharing PostgreSQL and Redis instead of "
                             "one on SQLite (see bench/README.md)")
    parser.add_argument("--postgres-admin-url", default="postgresql://127.0.0.1:5432/postgres",
                        help="with --cluster: where the run's fresh database is created "
                             "(CREATE DATABASE, then DROP DATABASE)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="with --cluster: the Redis of the message queue (a channel of the "
                             "run's own)")
    parser.add_argument("--keep", action="store_true",
                        help="with --cluster: keep the database created for the run")
    parser.add_argument("--client", choices=("lite", "python-socketio"), default="lite",
                        help="the Socket.IO client of the phones and the screen (see bench/README.md)")
    parser.add_argument("--join-concurrency", type=int, default=8)
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--ack-timeout", type=float, default=60)
    parser.add_argument("--settle-timeout", type=float, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--idle-wait", type=float, default=0,
                        help="before each step, wait up to this many seconds for other processes "
                             "to leave the CPU (a shared machine)")
    parser.add_argument("--py-spy", action="store_true",
                        help="profile the server during the main step (py-spy, raw stacks)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on any error or lost vote (not on latency targets)")
    args = parser.parse_args(argv)
    if args.url and not (args.email and args.password):
        parser.error("--url needs --email and --password")
    if args.cluster:
        if args.cluster < 1:
            parser.error("--cluster: at least 1 process")
        if args.url or args.server_pid:
            parser.error("--cluster starts its own servers: not with --url or --server-pid")
        if args.database_url and not args.database_url.startswith("postgresql"):
            parser.error("--cluster: --database-url must be a postgresql:// URL")
    if args.needs < 5:
        parser.error("--needs: at least 5 (each phone spends one dot on 5 different needs)")
    if args.needs > 12:
        parser.error("--needs: at most 12 (the screen shows 12 needs)")
    if args.votes > args.phones * 5:
        parser.error("--votes: at most 5 per phone (the dot budget)")
    return args


async def amain(args) -> dict:
    args.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.stem = f"load-{args.stamp}-{args.phones}p-{int(args.rate)}r"
    Path(args.out).mkdir(parents=True, exist_ok=True)
    report = {"started": datetime.now().isoformat(timespec="seconds"),
              "config": {k: v for k, v in vars(args).items() if k not in ("password",)},
              "app": app_version(args.app_dir) if not args.url else {"url": args.url},
              "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(),
                          "client": "LiteSocket (bench/load.py)" if args.client == "lite"
                          else f"python-socketio {version('python-socketio')} AsyncClient",
                          "aiohttp": aiohttp.__version__}}
    workdir = Path(tempfile.mkdtemp(prefix="workshop-load-"))
    try:
        if not args.baseline_only:
            ours = Ours(args, workdir)
            try:
                ours.start()
                report["ours"] = await run_target(ours, args)
                report["ours"]["setup"]["server_pid"] = ours.pid
            finally:
                ours.stop()
                if ours.setup_info:
                    report.setdefault("ours", {}).update(ours.setup_info)
        if not args.no_baseline:
            await asyncio.sleep(1)
            baseline = Baseline(args, workdir)
            try:
                baseline.start()
                report["baseline"] = await run_target(baseline, args)
            finally:
                baseline.stop()
    finally:
        for log_file in workdir.glob("*.log"):  # a server's log is kept when it says something
            text = log_file.read_text(errors="replace")
            notable = sum(text.count(m) for m in ("Traceback", " ERROR ", " WARNING ", " CRITICAL "))
            report.setdefault("server_logs", {})[log_file.name] = notable
            if notable:
                shutil.copyfile(log_file, Path(args.out) / f"{args.stem}-{log_file.name}")
        shutil.rmtree(workdir, ignore_errors=True)
    if "ours" in report and "main" in report["ours"]:
        report["summary"] = summary(report["ours"], report.get("baseline"), args)
    return report


def main(argv=None) -> int:
    args = parse_args(argv)
    report = asyncio.run(amain(args))
    out = Path(args.out)
    stem = args.stem
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str))
    status = 0
    if "summary" in report:
        text = markdown(report)
        (out / f"{stem}.md").write_text(text)
        print("\n" + text)
        if args.check:
            bad = [s for s in ("main", "burst") if s in report["ours"] and
                   (report["ours"][s]["error_count"] or not report["ours"][s]["consistent"])]
            status = 1 if bad else 0
    print(f"results: {out / stem}.json", flush=True)
    return status

