"""Stall benchmark: does one person's heavy action stall a voting room? Prints figures, asserts nothing.

    python bench/stall.py                                   # 1,000 phones, 200 votes/s (the issue's load)
    python bench/stall.py --phones 200 --rate 50 --needs 500 --json-kb 500   # a short, reduced run
    python bench/stall.py --app-dir /path/to/other/checkout  # the same load against other code

It starts the app itself on a fresh SQLite database in a temporary directory
(`python -m workshop demo --no-serve`, then `python -m workshop serve`, which
starts its job worker), and prepares, through the app's own services, a big
séance (--needs needs with their demand) for the exports, a --xlsx-rows plan
file and a --json-kb JSON export to re-import. Then N phones join the demo
séance and vote open loop at --rate votes/s (each phone sets then takes back
one dot, so the budget never runs out), while, one after the other:

  calme    nothing else (the reference)
  pdf      the facilitator asks for the big séance's PDF summary and waits for the file
  xlsx     a plan file of --xlsx-rows rows is uploaded and its preview page opened
  json     the JSON export is re-imported (a new séance)
  verrou   another process holds the SQLite write lock for --lock-s seconds

Per phase: vote acknowledgement p50/p95/max, refusals (vote_non_enregistre), votes
without an answer, vote -> screen p95 (from the send of a vote to the first screen
push after its acknowledgement), the longest block of the server's loop in that
phase (GET /sante/boucle, workshop/loopwatch.py; "n/a" on code without it), the
job's duration, and the server's and the worker's memory (VmRSS, peak over the phase).
At the end: votes acknowledged as stored vs the séance's stored total.

The client code (the lean Socket.IO client, the facilitator's HTTP session, percentiles)
is bench/load.py's, imported by name.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness.client import LiteSocket  # noqa: E402
from harness.common import free_port, log  # noqa: E402
from harness.measures import percentiles  # noqa: E402
from harness.targets import Facilitator  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Phones arriving together (joining, then connecting their socket) in the room's arrival.
ARRIVING_AT_ONCE = 50
now = time.perf_counter

# Run inside the app's code (--app-dir): the big séance, its JSON export, a plan file.
PREPARE = r"""
import json, random, sys
from datetime import date
import xlsxwriter
from sqlmodel import select
from workshop import create_app
from workshop.db import session_scope
from workshop.exports import json_seance
from workshop.models import Facilitator, Perimetre, Theme
from workshop.schemas import SeanceCreate
from workshop.services import board, participants, perimetres, seances

url, out = sys.argv[1], sys.argv[5]
n_needs, json_kb, xlsx_rows = (int(a) for a in sys.argv[2:5])
rng = random.Random(7)
app = create_app({"DATABASE_URL": url})
with app.app_context(), session_scope() as db:
    me = db.exec(select(Facilitator).where(Facilitator.email == "demo@atelier.test")).one()
    perimetre = db.exec(select(Perimetre).where(Perimetre.owner_id == me.id)).first()
    today = date.today()
    seance = seances.create(db, me.id, SeanceCreate(
        perimetre_id=perimetre.id, title="Grande séance (banc)", held_on=today, horizon_start=today.year + 1,
        horizon_years=3, dot_budget=5, max_dots_per_need=3, weighting="participant"))
    seance.phase = "recueil"
    db.commit()
    themes = [t.id for t in db.exec(select(Theme).where(Theme.active))]
    members = sorted(perimetres.member_ids(db, perimetre.id))
    people = [participants.join(db, seance, members[i % len(members)], "agent") for i in range(300)]
    details = "Besoin exprimé lors des entretiens professionnels. " * 6
    for i in range(n_needs):
        need = board.add_need(db, seance, rng.choice(themes), f"Action de formation n° {i + 1}", details,
                              facilitator_id=me.id, source="facilitator")
        board.declare(db, seance, rng.choice(people), need.id, today.year + 1 + i % 3, rng.randint(1, 9))
    data = json_seance.dump(db, seance)
    body = json.dumps(data, ensure_ascii=False, indent=1)
    # Padded to the size asked with the needs' details (what a real plan's remarks weigh).
    while len(body.encode()) < json_kb * 1024:
        for need in data["needs"]:
            need["details"] = (need.get("details") or "") + " Précisions du service."
        body = json.dumps(data, ensure_ascii=False, indent=1)
    open(out + "/seance.json", "w").write(body)
    book = xlsxwriter.Workbook(out + "/plan.xlsx")
    sheet = book.add_worksheet("Plan")
    sheet.write_row(0, 0, ["Thème", "Intitulé de l'action", "Nombre d'agents", "Année souhaitée", "Priorité",
                           "Remarques"])
    for r in range(1, xlsx_rows + 1):
        sheet.write_row(r, 0, ["Management", f"Action {r}", 1 + r % 7, today.year + 1 + r % 3, "moyenne", ""])
    sheet.write_row(xlsx_rows + 1, 0, ["x"] * 2000)  # one very wide row
    book.close()
    print(json.dumps({"seance_id": seance.id, "perimetre_id": perimetre.id, "collectivite_id": members[1],
                      "json_bytes": len(body.encode())}))
"""

HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


@dataclass
class Vote:
    phase: str
    phone: int
    sent: float
    acked: float | None = None
    ack: dict | None = None


def rss_mb(pid: int | None) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, TypeError):
        return None
    return None


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="workshop-stall-"))
        self.votes: list[Vote] = []
        self.screen_pushes: list[float] = []
        self.phase = "setup"
        self.phases: dict[str, dict] = {}
        self.arrival: dict = {}
        self.server: subprocess.Popen | None = None
        self.rss: dict[str, list] = {}

    # --- set-up ---------------------------------------------------------------------------

    def start(self) -> None:
        args = self.args
        app_dir = Path(args.app_dir).resolve()
        self.db_path = self.workdir / "stall.sqlite3"
        self.env = {**os.environ, "WORKSHOP_DATABASE_URL": f"sqlite:///{self.db_path}",
                    "WORKSHOP_SECRET_KEY": "bench-secret", "WORKSHOP_RATELIMIT": "0",
                    "WORKSHOP_JOINS_PER_MINUTE": "1000000",
                    "PYTHONUNBUFFERED": "1",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir), os.environ.get("PYTHONPATH")]))}
        for name in ("WORKSHOP_REDIS_URL", "REDIS_URL", "WORKSHOP_WORKER"):
            self.env.pop(name, None)
        demo = subprocess.run([sys.executable, "-m", "workshop", "demo", "--no-serve"], env=self.env,
                              cwd=app_dir, capture_output=True, text=True, timeout=600, check=True)
        self.email, self.password = re.search(r"identifiant (\S+)\s+mot de passe (\S+)", demo.stdout).groups()
        self.demo_id = int(re.search(r"/seances/(\d+)/pilotage", demo.stdout).group(1))
        self.screen_token = re.search(r"/ecran/(\S+)", demo.stdout).group(1)
        started = now()
        sizes = [str(args.needs), str(args.json_kb), str(args.xlsx_rows)]
        prepared = subprocess.run([sys.executable, "-c", PREPARE, self.env["WORKSHOP_DATABASE_URL"], *sizes,
                                   str(self.workdir)], env=self.env, cwd=app_dir, capture_output=True,
                                  text=True, timeout=1800)
        if prepared.returncode:
            raise RuntimeError(prepared.stderr)
        self.big = json.loads(prepared.stdout.strip().splitlines()[-1])
        log(f"prepared in {now() - started:.0f} s: séance {self.big['seance_id']} with {args.needs} needs, "
            f"JSON {self.big['json_bytes'] / 1e6:.1f} MB, plan file {args.xlsx_rows} rows")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_file = open(self.workdir / "server.log", "w")  # noqa: SIM115 - the server's log
        self.server = subprocess.Popen([sys.executable, "-m", "workshop", "serve", "--port", str(port)],
                                       env=self.env, cwd=app_dir, stdout=self.log_file,
                                       stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.workdir / "server.log").read_text()) from None
                time.sleep(0.1)
        self.fac = Facilitator(self.url, self.email, self.password)
        log(f"server pid {self.server.pid} on {self.url}; log {self.workdir / 'server.log'}")

    def worker_pid(self) -> int | None:
        found = children(self.server.pid)
        return found[0] if found else None

    def loop_stats(self, reset: bool) -> dict | None:
        response = self.fac.http.get(f"{self.url}/sante/boucle" + ("?reset=1" if reset else ""), timeout=30)
        return response.json() if response.status_code == 200 else None

    # --- the room -------------------------------------------------------------------------

    async def room(self, http: aiohttp.ClientSession) -> None:
        page = await asyncio.to_thread(self.fac.get, f"/seances/{self.demo_id}/pilotage")
        proxy = page.split('id="proxy-collectivite"', 1)[1].split("</select>", 1)[0]
        members = [int(m) for m in re.findall(r'<option value="(\d+)"', proxy)]
        await asyncio.to_thread(self.fac.post, f"/seances/{self.demo_id}/phase", phase="vote")
        await asyncio.to_thread(self.fac.post, f"/seances/{self.demo_id}/reglages", dot_budget=5,
                                max_dots_per_need=3, weighting="participant", tallies_visible="true")
        state = await asyncio.to_thread(self.fac.state, self.demo_id)
        self.join_code = state["seance"]["join_code"]
        self.needs = [n["id"] for n in state["needs"]]
        self.dots_before = state["totals"]["dots"]
        semaphore = asyncio.Semaphore(ARRIVING_AT_ONCE)
        joins, connects = [], []

        async def join(i: int) -> LiteSocket:
            async with semaphore:
                who = {"collectivite_id": members[i % len(members)], "role": "agent"}
                started = now()
                async with http.post(f"{self.url}/j/{self.join_code}/participants", json=who) as r:
                    token = (await r.json())["token"]
                joins.append(now() - started)
                client = LiteSocket(http, lambda _frame: None, lambda *_: None)
                started = now()
                await client.connect(self.url, {"token": token, "fresh": True})
                connects.append(now() - started)
                return client

        # The arrival is its own window of the loop watch: a thousand phones joining and
        # connecting ARRIVING_AT_ONCE at a time keep the loop busy with many short requests,
        # which is not what the phases measure.
        await asyncio.to_thread(self.loop_stats, True)
        started = now()
        self.phones = list(await asyncio.gather(*(join(i) for i in range(self.args.phones))))
        self.screen = LiteSocket(http, lambda _frame: self.screen_pushes.append(now()), lambda *_: None)
        await self.screen.connect(self.url, {"screen": self.screen_token, "fresh": True})
        took = now() - started
        loop = await asyncio.to_thread(self.loop_stats, False)
        self.arrival = {"phones": len(self.phones), "at_once": ARRIVING_AT_ONCE, "s": round(took, 1),
                        "join_ms": percentiles(joins), "connect_ms": percentiles(connects),
                        "longest_block_ms": (loop or {}).get("window_longest_block_ms", "n/a"),
                        "longest_busy_ms": (loop or {}).get("window_longest_busy_ms", "n/a")}
        log(f"{len(self.phones)} phones joined and connected in {took:.0f} s; "
            f"{len(self.needs)} needs on the board")

    async def voting(self, stop: asyncio.Event) -> None:
        """Open loop: a vote every 1/rate s whatever the answers; each phone sets then takes back a dot."""
        interval, start, k = 1 / self.args.rate, now(), 0
        held: dict[int, int] = {}
        pending = set()
        while not stop.is_set():
            k += 1
            i = k % len(self.phones)
            dots = 0 if held.get(i) else 1
            held[i] = dots
            vote = Vote(self.phase, i, now())
            self.votes.append(vote)
            need = self.needs[i % len(self.needs)]

            def answered(ack, vote=vote):
                vote.acked, vote.ack = now(), ack

            pending.add(asyncio.ensure_future(self.phones[i].emit("vote", {"need_id": need, "dots": dots},
                                                                  answered)))
            pending = {t for t in pending if not t.done()}
            delay = start + k * interval - now()
            if delay > 0:
                await asyncio.sleep(delay)

    # --- the phases ---------------------------------------------------------------------------

    async def sample_rss(self, name: str, stop: asyncio.Event) -> None:
        samples = self.rss.setdefault(name, [])
        while not stop.is_set():
            samples.append((rss_mb(self.server.pid), rss_mb(self.worker_pid())))
            await asyncio.sleep(0.5)

    async def run_phase(self, name: str, action) -> None:
        await asyncio.to_thread(self.loop_stats, True)
        self.phase = name
        stop = asyncio.Event()
        sampler = asyncio.ensure_future(self.sample_rss(name, stop))
        started = now()
        try:
            detail = await asyncio.to_thread(action)
        except Exception as error:  # a figure, not a crash: the phase says what failed
            detail = f"échec : {error}"
        took = now() - started
        await asyncio.sleep(1)  # the votes sent during the phase get their answers
        stop.set()
        await sampler
        loop = await asyncio.to_thread(self.loop_stats, False)
        self.phases[name] = {"job_s": round(took, 2), "detail": detail, "loop": loop}
        log(f"{name}: {took:.1f} s ({detail})")

    def follow_job(self, response) -> str:
        """After asking for a file: the file at once, or the job page polled until it is ready."""
        location = response.headers.get("Location", "")
        if response.status_code == 200:  # code that still makes the file in the request
            return f"{len(response.content) // 1024} Ko in the request"
        job = re.search(r"/travaux/([\w-]+)", location)
        if not job:
            return f"-> {location or response.status_code}"
        job_id = job.group(1)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            html = self.fac.http.get(f"{self.url}/travaux/{job_id}", headers={"HX-Request": "true"},
                                     timeout=60).text
            if "job-done" in html or "job-failed" in html:
                break
            time.sleep(0.25)
        if "job-failed" in html:
            return "échec : " + re.sub(r"<[^>]+>", " ", html).split("job-error")[-1][:200]
        if "/fichier" in html:
            body = self.fac.http.get(f"{self.url}/travaux/{job_id}/fichier", timeout=120).content
            return f"{len(body) // 1024} Ko by the worker"
        return "done by the worker"

    def export_pdf(self) -> str:
        response = self.fac.http.get(f"{self.url}/seances/{self.big['seance_id']}/synthese.pdf",
                                     allow_redirects=False, timeout=900)
        if response.status_code == 303 and "/fichier" in response.headers["Location"]:
            body = self.fac.http.get(self.url + response.headers["Location"], timeout=120).content
            return f"{len(body) // 1024} Ko by the worker"
        return self.follow_job(response)

    def preview_xlsx(self) -> str:
        with open(self.workdir / "plan.xlsx", "rb") as file:
            response = self.fac.http.post(
                f"{self.url}/perimetres/{self.big['perimetre_id']}/plans/", allow_redirects=False,
                timeout=900,
                headers={"X-CSRFToken": self.fac.csrf}, data={"collectivite_id": self.big["collectivite_id"]},
                files={"fichier": ("plan.xlsx", file, "application/octet-stream")})
        location = response.headers.get("Location", "")
        if "/travaux/" in location:
            return self.follow_job(response)
        page = self.fac.http.get(self.url + location if location.startswith("/") else location, timeout=900)
        job = re.search(r'id="job-([\w-]+)"', page.text)
        if job:  # the preview page follows the worker's job (apercu_plan) until the preview is ready
            response.headers["Location"] = f"/travaux/{job.group(1)}"
            response.status_code = 303
            return "preview " + self.follow_job(response)
        return f"preview {page.status_code} in the request"

    def reimport_json(self) -> str:
        with open(self.workdir / "seance.json", "rb") as file:
            response = self.fac.http.post(f"{self.url}/seances/importer", allow_redirects=False, timeout=900,
                                          headers={"X-CSRFToken": self.fac.csrf},
                                          files={"fichier": ("seance.json", file, "application/json")})
        if "/travaux/" in response.headers.get("Location", ""):
            return self.follow_job(response)
        return f"-> {response.headers.get('Location', response.status_code)}"

    def hold_lock(self) -> str:
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(self.db_path), str(self.args.lock_s)],
                                  stdout=subprocess.PIPE, text=True)
        holder.stdout.readline()
        started = time.monotonic()
        join = self.fac.http.get(f"{self.url}/j/{self.join_code}", timeout=60)
        join_ms = (time.monotonic() - started) * 1000
        holder.wait()
        return f"join page {join.status_code} in {join_ms:.0f} ms while locked"

    # --- the run ---------------------------------------------------------------------------

    async def main(self) -> dict:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await self.room(http)
            stop = asyncio.Event()
            voting = asyncio.ensure_future(self.voting(stop))
            await self.run_phase("calme", lambda: time.sleep(self.args.calm_s) or "")
            await self.run_phase("pdf", self.export_pdf)
            await self.run_phase("xlsx", self.preview_xlsx)
            await self.run_phase("json", self.reimport_json)
            await self.run_phase("verrou", self.hold_lock)
            stop.set()
            await voting
            deadline = now() + 30  # every vote answered before the séance's total is read
            while now() < deadline and any(v.acked is None for v in self.votes):
                await asyncio.sleep(0.2)
            state = await asyncio.to_thread(self.fac.state, self.demo_id)
            for phone in self.phones + [self.screen]:
                await phone.disconnect()
        return self.report(state)

    def report(self, state: dict) -> dict:
        rows = {}
        for name, info in self.phases.items():
            votes = [v for v in self.votes if v.phase == name]
            acked = [v for v in votes if v.acked is not None]
            ok = [v for v in acked if v.ack and v.ack.get("ok")]
            screen = []
            for v in ok:  # the first screen push after the vote was stored
                later = next((t for t in self._pushes_after(v.acked)), None)
                if later is not None:
                    screen.append(later - v.sent)
            samples = self.rss.get(name, [])
            rows[name] = {
                "votes": len(votes), "unanswered": len(votes) - len(acked),
                "refused": sum(1 for v in acked if not (v.ack or {}).get("ok")),
                "ack_ms": percentiles([v.acked - v.sent for v in acked]),
                "screen_p95_ms": percentiles(screen)["p95"],
                "longest_block_ms": (info["loop"] or {}).get("window_longest_block_ms", "n/a"),
                "longest_busy_ms": (info["loop"] or {}).get("window_longest_busy_ms", "n/a"),
                "job_s": info["job_s"], "detail": info["detail"],
                "server_rss_mb": max((s[0] for s in samples if s[0]), default=None),
                "worker_rss_mb": max((s[1] for s in samples if s[1]), default=None),
            }
        loop = self.loop_stats(False)
        # Nothing acknowledged is lost: each phone's last stored vote is what the séance holds.
        last: dict[int, int] = {}
        for v in sorted(self.votes, key=lambda v: v.sent):
            if v.ack and v.ack.get("ok"):
                last[v.phone] = v.ack["dots"]
        during = [row["longest_block_ms"] for row in rows.values()
                  if isinstance(row["longest_block_ms"], (int, float))]
        return {"acknowledged_dots": self.dots_before + sum(last.values()), "phases": rows,
                "arrival": self.arrival,
                "longest_block_phases_ms": max(during, default="n/a"),
                "longest_block_ms": (loop or {}).get("longest_block_ms", "n/a"),
                "longest_busy_ms": (loop or {}).get("longest_busy_ms", "n/a"),
                "server_rss_end_mb": rss_mb(self.server.pid), "worker_rss_end_mb": rss_mb(self.worker_pid()),
                "stored_dots": state["totals"]["dots"], "dots_before": self.dots_before,
                "args": vars(self.args), "server_log": str(self.workdir / "server.log")}

    def _pushes_after(self, t: float):
        import bisect

        i = bisect.bisect_left(self.screen_pushes, t)
        return iter(self.screen_pushes[i:i + 1])

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()


def print_report(report: dict) -> None:
    print()
    print(f"{'phase':8} {'votes':>6} {'no ans.':>7} {'refused':>7} {'ack p50':>8} {'ack p95':>8} "
          f"{'ack max':>8} {'screen p95':>10} {'block':>7} {'busy':>7} {'job s':>6} {'srv MB':>7} "
          f"{'wrk MB':>7}  detail")
    for name, row in report["phases"].items():
        ack = row["ack_ms"]
        print(f"{name:8} {row['votes']:>6} {row['unanswered']:>7} {row['refused']:>7} {ack['p50']!s:>8} "
              f"{ack['p95']!s:>8} {ack['max']!s:>8} {row['screen_p95_ms']!s:>10} "
              f"{row['longest_block_ms']!s:>7} {row['longest_busy_ms']!s:>7} {row['job_s']:>6} "
              f"{row['server_rss_mb']!s:>7} "
              f"{row['worker_rss_mb']!s:>7}  {row['detail']}")
    arrival = report["arrival"]
    print(f"\narrival: {arrival['phones']} phones joined and connected, {arrival['at_once']} at a "
          f"time, in {arrival['s']} s: join p95/max {arrival['join_ms']['p95']}/"
          f"{arrival['join_ms']['max']} ms, connect p95/max {arrival['connect_ms']['p95']}/"
          f"{arrival['connect_ms']['max']} ms, longest loop block {arrival['longest_block_ms']} ms "
          f"({arrival['longest_busy_ms']} ms computing)")
    print(f"longest loop block during the phases: {report['longest_block_phases_ms']} ms")
    print(f"longest loop block over the run: {report['longest_block_ms']} ms "
          f"({report['longest_busy_ms']} ms computing); server RSS at the end "
          f"{report['server_rss_end_mb']} MB, worker {report['worker_rss_end_mb']} MB")
    print(f"dots on the voting séance: {report['stored_dots']} stored, {report['acknowledged_dots']} as the "
          f"acknowledgements say (before the run: {report['dots_before']})")
    print("(times in ms unless said; block = the longest the server's loop was held during the phase, "
          "busy = the same counting only its CPU: the rest is the machine not running it)")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200, help="votes per second, open loop")
    parser.add_argument("--needs", type=int, default=2000, help="needs of the séance exported as PDF")
    parser.add_argument("--xlsx-rows", type=int, default=5000)
    parser.add_argument("--json-kb", type=int, default=2048, help="size of the JSON re-imported")
    parser.add_argument("--lock-s", type=float, default=5)
    parser.add_argument("--calm-s", type=float, default=8)
    parser.add_argument("--app-dir", default=str(REPO), help="the checkout to measure (PYTHONPATH)")
    parser.add_argument("--out", default=None, help="also write the figures as JSON here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    try:
        bench.start()
        report = asyncio.run(bench.main())
    finally:
        bench.stop()
    print_report(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
