"""The worker's memory on a big séance's PDF (issue 13): prints figures, asserts nothing.

    python bench/worker_memory.py [--needs 2000] [--runs 3] [--steps] [--kind synthese_pdf]

Builds, in a temporary SQLite database and through the room's services, a séance of
--needs needs with their demand (as bench/stall.py does), then in a fresh Python
process that plays the worker:

- `--steps`: one PDF built step by step in that process (the summary gathered, the
  HTML rendered, WeasyPrint's layout), with the process's RSS after each step and
  its peak (where the memory goes);
- the job --runs times through the worker's own entry point (`worker.process.run_isolated`,
  what huey's task calls): the worker's RSS before, its peak and after each job, and
  each job's child process peak (the job runs in a child that exits after it);
- the same jobs in the worker's own process (`worker.tasks.run`, as before), for
  comparison.

VmRSS is read from /proc; the peak is VmHWM (the process) or the child's ru_maxrss.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PLAY = r"""
import gc, json, sys, time
from pathlib import Path

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)

def grandchildren_peak(stop, found):
    # The largest VmHWM of our grandchildren (the jobs' processes, forked by the fork
    # server, itself our child), sampled until `stop` is set.
    import os, re
    me = os.getpid()
    while not stop.is_set():
        parents = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    text = Path(f"/proc/{d}/status").read_text()
                except OSError:
                    continue
                ppid = int(re.search(r"PPid:\s+(\d+)", text).group(1))
                hwm = re.search(r"VmHWM:\s+(\d+)", text)
                parents[int(d)] = (ppid, int(hwm.group(1)) / 1024 if hwm else 0)
        for pid, (ppid, hwm) in parents.items():
            if parents.get(ppid, (0,))[0] == me:
                found[0] = max(found[0], round(hwm, 1))
        stop.wait(0.2)

url, jobs_dir, seance_id, owner_id, runs, mode, kind = sys.argv[1:8]
from workshop import create_app
app = create_app({"DATABASE_URL": url, "JOBS_DIR": jobs_dir, "SECRET_KEY": "bench"})
from workshop.db import session_scope
from workshop.services import jobs as jobs_service
out = {"start_mb": status("VmRSS")}
if mode == "steps":
    from flask import render_template
    from workshop.exports import pdf
    from workshop.models import Seance
    from workshop.services import summary
    with app.app_context(), app.test_request_context("/"), session_scope() as db:
        s = summary.gather(db, db.get(Seance, int(seance_id)))
        out["gathered_mb"] = status("VmRSS")
        html = render_template("exports/summary.html", s=s, for_pdf=True, doc_title="Synthèse")
        out["html_kb"] = len(html) // 1024
        out["html_mb"] = status("VmRSS")
        data = pdf.render(html)
        out["pdf_kb"] = len(data) // 1024
        out["pdf_mb"] = status("VmRSS")
        out["peak_mb"] = status("VmHWM")
        del s, html, data
    gc.collect()
    out["after_gc_mb"] = status("VmRSS")
else:
    if mode == "isolated":
        from workshop.worker.process import run_isolated as run
    else:
        from workshop.worker.tasks import run
    out["runs"] = []
    for _ in range(int(runs)):
        with app.app_context(), session_scope() as db:
            job = jobs_service.create(db, kind, int(owner_id), int(seance_id),
                                     {"table": "plan"} if kind == "tableau_csv" else {}, "fr")
            job_id = job.id
        before = status("VmRSS")
        import threading
        stop, found = threading.Event(), [0.0]
        watcher = threading.Thread(target=grandchildren_peak, args=(stop, found), daemon=True)
        watcher.start()
        started = time.perf_counter()
        run(app, job_id)
        took = time.perf_counter() - started
        stop.set()
        watcher.join()
        with app.app_context(), session_scope() as db:
            job = db.get(type(job), job_id)
            done = (job.status, job.size)
        gc.collect()
        out["runs"].append({"before_mb": before, "after_mb": status("VmRSS"), "peak_mb": status("VmHWM"),
                            "children_peak_mb": found[0] or None, "s": round(took, 1), "job": done})
    # The fork server (our child, isolated mode): it stays between jobs.
    import os, re
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                text = Path(f"/proc/{d}/status").read_text()
            except OSError:
                continue
            if int(re.search(r"PPid:\s+(\d+)", text).group(1)) == os.getpid():
                rss = re.search(r"VmRSS:\s+(\d+)", text)
                out["forkserver_mb"] = round(int(rss.group(1)) / 1024, 1) if rss else None
print(json.dumps(out))
"""


def build(url: str, needs: int) -> tuple[int, int]:
    """The big séance, as bench/stall.py prepares it: (séance id, owner id)."""
    sys.path.insert(0, str(REPO))
    from sqlmodel import Session, select

    from workshop import migrate
    from workshop.db import make_engine
    from workshop.models import Theme
    from workshop.schemas import SeanceCreate
    from workshop.services import board, facilitators, participants, perimetres, reference, seances

    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = facilitators.add(db, "bench@example.fr", "Bench", "bench-password")
        perimetre = perimetres.create(db, owner.id, "MEL", ["200093201"])
        seance = seances.create(db, owner.id, SeanceCreate(
            perimetre_id=perimetre.id, title="Grande séance (banc)", held_on=date(2026, 12, 1),
            horizon_start=2027, horizon_years=3, dot_budget=5, max_dots_per_need=3))
        seances.set_phase(db, seance, "recueil", owner.id)
        themes = [t.id for t in db.exec(select(Theme).where(Theme.active))]
        members = sorted(perimetres.member_ids(db, perimetre.id))
        people = [participants.join(db, seance, members[i % len(members)], "agent") for i in range(300)]
        details = "Besoin exprimé lors des entretiens professionnels. " * 6
        for i in range(needs):
            need = board.add_need(db, seance, rng.choice(themes), f"Action de formation n° {i + 1}", details,
                                  facilitator_id=owner.id, source="facilitator")
            board.declare(db, seance, rng.choice(people), need.id, 2027 + i % 3, rng.randint(1, 9))
    engine.dispose()
    return seance.id, owner.id


def play(url: str, jobs_dir: str, seance_id: int, owner_id: int, runs: int, mode: str, kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PLAY, url, jobs_dir, str(seance_id), str(owner_id),
                           str(runs), mode, kind], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr[-3000:])
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kind", default="synthese_pdf")
    parser.add_argument("--steps", action="store_true", help="also where the memory goes, step by step")
    parser.add_argument("--modes", default="isolated,inline",
                        help="isolated (a child per job, as the worker runs them) and/or inline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        started = time.perf_counter()
        seance_id, owner_id = build(url, args.needs)
        print(f"séance built: {args.needs} needs in {time.perf_counter() - started:.0f} s")
        jobs_dir = str(Path(tmp) / "jobs")
        if args.steps:
            steps = play(url, jobs_dir, seance_id, owner_id, 1, "steps", args.kind)
            print("one PDF, step by step (MB of RSS):", json.dumps(steps))
        for mode in args.modes.split(","):
            result = play(url, jobs_dir, seance_id, owner_id, args.runs, mode, args.kind)
            print(f"\n{mode}: worker at start {result['start_mb']} MB"
                  + (f", fork server after the jobs {result['forkserver_mb']} MB"
                     if result.get("forkserver_mb") else ""))
            print(f"{'run':>4} {'before':>8} {'after':>8} {'peak':>8} {'child peak':>11} {'s':>6}  job")
            for i, r in enumerate(result["runs"], 1):
                print(f"{i:>4} {r['before_mb']:>8} {r['after_mb']:>8} {r['peak_mb']:>8} "
                      f"{r['children_peak_mb']!s:>11} {r['s']:>6}  {r['job'][0]} {r['job'][1] // 1024} KiB")
        print("\n(MB of RSS; 'peak' is the worker process's own high-water mark, 'child peak' the "
              "largest job process's, sampled)")


if __name__ == "__main__":
    main()
