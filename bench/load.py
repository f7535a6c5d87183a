"""Load harness: N simulated phones and one screen against the real server, over Socket.IO.

    python bench/load.py --phones 1000 --rate 500 --votes 5000 [--burst] [--search]
    python bench/load.py --url http://127.0.0.1:5000 --email E --password P [--seance ID]
    python bench/load.py --cluster 2 [--database-url postgresql://...] [--redis-url redis://...]

Without --url it starts the app itself on a fresh SQLite database in a
temporary directory (`python -m workshop demo --no-serve`, then
`python -m workshop serve --port P`) and creates a séance in the demo
perimeter. With --cluster N it starts N processes on one PostgreSQL database
(a fresh one by default) and Redis (Flask-SocketIO's message queue, on a
channel of the run's own), spreads the phones over them and puts the screen
on the last one. Then, as a room would:

1. N phones join through the JSON door (`POST /j/<code>/participants`), each
   with a collectivité of the perimeter, and connect over Socket.IO (asyncio
   and aiohttp, one process: a lean client of the same wire protocol by
   default, python-socketio's AsyncClient with --client python-socketio; see
   bench/README.md for why); one screen connects.
2. Recueil: some phones add needs (`add_need`) and declare agents (`declare`).
3. The facilitator (HTTP, CSRF token) switches to the vote phase and reveals
   the tallies, so that the screen's pushed board carries "N gommettes" per need.
4. Votes go out open loop at the offered rate (send times fixed in advance,
   whatever the server answers). Each phone spends its budget of dots one dot
   per need: a vote sets 1 dot on a need (or 0 to take it back), so every
   accepted vote moves one need's tally by exactly one.

Measured per step: acknowledgement latency; vote-to-screen latency, from the
send of a vote to the first screen push whose board shows it (see
bench/README.md for the method); p50/p95/p99/max; accepted votes/s; errors;
votes acknowledged vs stored (`etat.json` totals) vs shown on the screen at
the end; the server's CPU (from /proc/<pid>/stat) and peak RSS (VmHWM).

Steps: the main run (--votes at --rate); --burst: every phone's dots at once
(--votes votes sent at t0) and the drain time; --search: the highest offered
rate at which p95 vote-to-screen stays under --target-ms (bounded steps).
The same load then runs against bench/baseline_server.py (a bare relay, no
database, no rendering) unless --no-baseline, and the ratios are printed.
Results: JSON and a Markdown table under --out (default bench/results/).
"""

import argparse
import asyncio
import heapq
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path

import requests

try:
    import aiohttp
    import socketio
except ImportError as error:  # pragma: no cover - told to the user
    sys.exit(f"bench/load.py needs python-socketio's asyncio client and aiohttp: "
             f"pip install 'python-socketio[asyncio_client]' ({error})")

REPO = Path(__file__).resolve().parents[1]
ROLES = ("elu", "dgs", "secretaire", "rh", "encadrant", "agent", "autre")
NEED_INFO = re.compile(r'id="need-(\d+)-info"')
DOTS = re.compile(r"(\d+)\s+gommettes?\b")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DISTURBED = 10  # % of a core used by other processes during a step: its figures are suspect
# The harness joins the whole room from one address (127.0.0.1): the per-address join limit
# of a real venue would stop it at 600 a minute.
JOINS_PER_MINUTE = "1000000"
now = time.perf_counter


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def board_counts(html: str) -> dict[int, int]:
    """Need id -> dots shown, from pushed HTML (`#need-N-info` fragments carrying "N gommettes")."""
    marks = list(NEED_INFO.finditer(html))
    counts = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(html)
        found = DOTS.search(html, mark.end(), end)
        if found:
            counts[int(mark.group(1))] = int(found.group(1))
    return counts


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(ordered[-1] * 1000, 1), "mean": round(statistics.fmean(ordered) * 1000, 1)}


# --- processes ---------------------------------------------------------------------------


class ServerProcess:
    """A server subprocess with its log; stopped with SIGTERM (then SIGKILL after 10 s)."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_path: Path,
                 cwd: Path = REPO) -> None:
        self.name, self.argv, self.env, self.port, self.log_path = name, argv, env, port, log_path
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "a") as out:
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()}") \
                        from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def database_url_for(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url` (same host, port, user)."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path="/" + name))


def _safe_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urllib.parse.urlunsplit(parts)


def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE, retried while another session holds the template (concurrent tests)."""
    import psycopg

    for attempt in range(20):
        try:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.5)


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ProcMonitor:
    """Samples a process's CPU time and memory from /proc, and the harness's own CPU.

    With --cluster: several server processes (their figures summed, and each one's apart) and
    the services they use (`services`: name -> a function giving the pids to watch, looked up
    again every 2 s: PostgreSQL's backends of the run's database, Redis), so that their CPU
    is not counted as "other processes"."""

    def __init__(self, pid: int | list[int] | None, period: float = 0.25,
                 services: dict | None = None) -> None:
        self.detail = isinstance(pid, list)  # several processes: per process figures too
        self.pids = [p for p in (pid if self.detail else [pid]) if p is not None]
        self.pid = self.pids[0] if self.pids else None
        self.period = period
        self.samples: list[tuple[float, float, int]] = []  # (time, cpu seconds, rss kB), summed
        self.per_pid: dict[int, list[tuple[float, float, int]]] = {p: [] for p in self.pids}
        self.services = services or {}
        self.service_pids: dict[str, list[int]] = {name: [] for name in self.services}
        # name -> pid -> [(time, cpu seconds)]: a service's processes come and go (backends)
        self.service_samples: dict[str, dict[int, list[tuple[float, float]]]] = {
            name: {} for name in self.services}
        self.machine: list[tuple[float, float, float]] = []  # (time, all cores busy s, harness s)
        self.task: asyncio.Task | None = None

    @staticmethod
    def read_pid(pid: int) -> tuple[float, int, int] | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
        mem = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
               if line.startswith(("VmRSS", "VmHWM"))}
        return cpu, mem.get("VmRSS", 0), mem.get("VmHWM", 0)

    def read_all(self) -> dict[int, tuple[float, int, int]]:
        return {pid: sample for pid in self.pids if (sample := self.read_pid(pid))}

    def read(self) -> tuple[float, int, int] | None:
        """CPU seconds, RSS and peak RSS (kB) of the server, summed over its processes."""
        samples = self.read_all()
        if not samples:
            return None
        return tuple(sum(s[i] for s in samples.values()) for i in range(3))

    async def refresh_services(self) -> None:
        for name, find in self.services.items():
            try:
                self.service_pids[name] = await asyncio.to_thread(find)
            except Exception as error:  # noqa: BLE001 - keep the last known pids
                log(f"monitor: {name} pids not refreshed ({error})")

    async def run(self) -> None:
        refreshed = None
        while True:
            if self.services and (refreshed is None or now() - refreshed > 2):
                refreshed = now()
                await self.refresh_services()
            samples = self.read_all()
            if samples:
                t = now()
                self.samples.append((t, sum(s[0] for s in samples.values()),
                                     sum(s[1] for s in samples.values())))
                for pid, sample in samples.items():
                    self.per_pid[pid].append((t, sample[0], sample[1]))
                for name, pids in self.service_pids.items():
                    for pid in pids:
                        if (sample := self.read_pid(pid)) is not None:
                            self.service_samples[name].setdefault(pid, []).append((t, sample[0]))
                self.machine.append((t, machine_busy(), own_cpu()))
            await asyncio.sleep(self.period)

    def start(self) -> None:
        if self.pid is not None:
            self.task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    def _cpu(self, samples: list, start: float, end: float) -> dict:
        """CPU between two instants from (time, cpu seconds, rss kB) samples."""
        inside = [s for s in samples if start - self.period <= s[0] <= end + self.period]
        if len(inside) < 2:
            return {}
        cpu = inside[-1][1] - inside[0][1]
        span = inside[-1][0] - inside[0][0]
        peak = 0.0
        for i in range(len(inside)):  # over ~1 s windows
            j = i
            while j < len(inside) - 1 and inside[j][0] - inside[i][0] < 1.0:
                j += 1
            if j > i and inside[j][0] - inside[i][0] >= 0.5:
                peak = max(peak, (inside[j][1] - inside[i][1]) / (inside[j][0] - inside[i][0]))
        return {"cpu_s": round(cpu, 2),
                "cpu_mean_pct": round(100 * cpu / span, 1) if span else None,
                "cpu_peak_pct": round(100 * peak, 1),
                "rss_max_mb": round(max(s[2] for s in inside) / 1024, 1)}

    def _service_cpu(self, name: str, start: float, end: float) -> float:
        total = 0.0
        for samples in self.service_samples[name].values():
            inside = [s for s in samples if start - self.period <= s[0] <= end + self.period]
            if len(inside) >= 2:
                total += inside[-1][1] - inside[0][1]
        return total

    def window(self, start: float, end: float) -> dict:
        """CPU used by the server between two instants: seconds, mean and peak share of one core."""
        result = self._cpu(self.samples, start, end)
        if not result:
            return {}
        inside = [s for s in self.samples if start - self.period <= s[0] <= end + self.period]
        cpu, span = inside[-1][1] - inside[0][1], inside[-1][0] - inside[0][0]
        if self.detail:
            result["processes"] = {str(pid): self._cpu(samples, start, end)
                                   for pid, samples in self.per_pid.items()}
        services = 0.0
        for name in self.services:
            used = self._service_cpu(name, start, end)
            services += used
            result[f"{name}_cpu_pct"] = round(100 * used / span, 1) if span else None
        machine = [m for m in self.machine if start - self.period <= m[0] <= end + self.period]
        if len(machine) >= 2 and span:
            busy = machine[-1][1] - machine[0][1]
            harness = machine[-1][2] - machine[0][2]
            # Anything else running on the machine (another test suite...) skews the figures.
            result["other_processes_cpu_pct"] = round(
                100 * max(busy - cpu - services - harness, 0) / span, 1)
        return result

    def memory(self) -> dict:
        samples = self.read_all()
        if not samples:
            return {}
        result = {"rss_mb": round(sum(s[1] for s in samples.values()) / 1024, 1),
                  "peak_rss_mb": round(sum(s[2] for s in samples.values()) / 1024, 1)}
        if self.detail:  # the peak of the sum is at most the sum of the peaks given here
            result["processes"] = {str(pid): {"rss_mb": round(s[1] / 1024, 1),
                                              "peak_rss_mb": round(s[2] / 1024, 1)}
                                   for pid, s in samples.items()}
        return result


class LoopLag:
    """How late the harness's event loop wakes up: if it lags, the generator is the bottleneck."""

    def __init__(self) -> None:
        self.lags: list[tuple[float, float]] = []
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        while True:
            start = now()
            await asyncio.sleep(0.01)
            self.lags.append((now(), now() - start - 0.01))

    def start(self) -> None:
        self.task = asyncio.ensure_future(self.run())

    def max(self, start: float, end: float) -> float:
        return round(max((lag for t, lag in self.lags if start <= t <= end), default=0) * 1000, 1)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()


def machine_busy() -> float:
    """CPU seconds spent by all cores on anything but idling, since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def app_version(app_dir: str) -> dict:
    """Which code was measured: the commit of the checkout, and whether the app's files differ."""
    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", "-C", app_dir, *argv], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit or Path(git("rev-parse", "--show-toplevel") or "/") != Path(app_dir).resolve():
        return {"app_dir": app_dir, "commit": None}
    dirty = git("status", "--porcelain", "--", "workshop", "templates", "static")
    return {"app_dir": app_dir, "commit": commit, "uncommitted_app_changes": bool(dirty)}


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the simulated people ----------------------------------------------------------------


@dataclass
class Vote:
    phone: "Phone"
    need: int
    dots: int
    sched: float = 0.0
    sent: float | None = None
    acked: float | None = None
    ack: dict | None = None
    shown: float | None = None  # first screen push showing it
    on_phone: float | None = None  # first push to the observer phone showing it
    seq: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.ack and self.ack.get("ok"))


@dataclass
class Phone:
    index: int
    token: str
    participant_id: int | None
    collectivite_id: int | None
    client: object = None  # LiteSocket or socketio.AsyncClient: emit(), call(), disconnect()
    pushes: int = 0
    push_bytes: int = 0
    disconnected: bool = False
    dots: dict[int, int] = field(default_factory=dict)  # need -> dots, as acknowledged
    cursor: int = 0  # the baseline's next need
    observed: list[tuple[float, str]] | None = None  # kept for the observer phone only
    process: int = 0  # with --cluster: which server process it talks to


class LiteSocket:
    """A phone's Socket.IO connection, written for the load: Socket.IO v5 over Engine.IO v4 on
    a WebSocket (aiohttp), just what a phone does: connect with `auth`, emit events with an
    acknowledgement, receive `html` events, answer the server's pings.

    The wire protocol is the one python-socketio speaks; what differs is the cost of a received
    message, about 4 times lower (no task and no JSON decoding per push: pushes are counted,
    and decoded only for the observer phone). With 1,000 phones each flush of the server is
    1,000 messages at once: through python-socketio's client they hold the harness's event loop
    for up to ~150 ms, which then shows up in every latency measured (see bench/README.md).
    """

    def __init__(self, http: aiohttp.ClientSession, on_event, on_disconnect) -> None:
        self.http, self.on_event, self.on_disconnect = http, on_event, on_disconnect
        self.acks: dict[int, object] = {}
        self.next_id = 0
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self, url: str, auth: dict, timeout: float = 60) -> None:
        endpoint = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.http.ws_connect(endpoint, max_msg_size=0), timeout)
        opening = await self.ws.receive(timeout)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opening.data!r}")
        await self.ws.send_str("40" + json.dumps(auth))
        while True:
            reply = await self.ws.receive(timeout)
            if reply.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"connection closed: {reply.type}")
            if reply.data.startswith("40"):
                break
            if reply.data.startswith("44"):
                raise ConnectionError(json.loads(reply.data[2:]))
            self._handle(reply.data)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    if message.data == "2":  # Engine.IO ping
                        await self.ws.send_str("3")
                    elif message.data == "1" or message.data.startswith("41"):
                        break
                    else:
                        self._handle(message.data)
        finally:
            self.on_disconnect()

    def _handle(self, data: str) -> None:
        if data.startswith("42"):
            self.on_event(data)
        elif data.startswith("43"):  # 43<id>[answer...]
            end = 2
            while data[end].isdigit():
                end += 1
            callback = self.acks.pop(int(data[2:end]), None)
            if callback:
                callback(*json.loads(data[end:]))

    async def emit(self, event: str, data=None, callback=None) -> None:
        if callback is None:
            await self.ws.send_str("42" + json.dumps([event, data]))
            return
        self.next_id += 1
        self.acks[self.next_id] = callback
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))

    async def call(self, event: str, data=None, timeout: float = 60):
        answer = asyncio.get_running_loop().create_future()
        await self.emit(event, data, lambda *a: answer.done() or answer.set_result(
            a[0] if len(a) == 1 else a))
        return await asyncio.wait_for(answer, timeout)

    async def disconnect(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
            finally:
                await self.ws.close()


class Screen:
    """The projector: one socket, every push kept with its arrival time. It reconnects as
    static/js/live.js does (not "fresh": the server sends the whole board again), and each
    disconnection counts as an error of the step."""

    def __init__(self, run: "Run", event: str) -> None:
        self.run, self.event = run, event
        self.pushes: list[tuple[float, object]] = []
        self.disconnects = 0
        self.closing = False
        self.client = None

    async def connect(self, fresh: bool = True) -> None:
        target, args = self.run.target, self.run.args
        auth = target.screen_auth(fresh)
        if args.client == "lite":
            self.client = LiteSocket(self.run.http, self.on_frame, self.on_disconnect)
            await self.client.connect(target.screen_url, auth)
        else:
            self.client = socketio.AsyncClient(reconnection=False)
            self.client.on(self.event, self.on_push)
            self.client.on("disconnect", self.on_disconnect)
            await self.client.connect(target.screen_url, auth=auth, transports=["websocket"],
                                      wait_timeout=60)

    def on_frame(self, frame: str) -> None:
        arrived = now()
        event, *data = json.loads(frame[2:])
        if event == self.event:
            self.pushes.append((arrived, data[0] if data else None))

    def on_push(self, payload) -> None:
        self.pushes.append((now(), payload))

    def on_disconnect(self, *_args) -> None:
        if not self.closing:
            self.disconnects += 1
            log(f"{self.run.target.name}: the screen was disconnected; reconnecting")
            asyncio.ensure_future(self.reconnect())

    async def reconnect(self) -> None:
        for _attempt in range(40):
            await asyncio.sleep(0.5)
            try:
                await self.connect(fresh=False)
                return
            except Exception:  # the server may be down for a while: try again
                continue

    async def close(self) -> None:
        self.closing = True
        if self.client is not None:
            await asyncio.wait_for(self.client.disconnect(), 10)


class FacilitatorPage:
    """The facilitator's pilotage page, open as in a real room: its socket (with the login
    cookie) receives the facilitator's board at each refresh, which the server renders too.
    Its pushes are counted, not timed."""

    def __init__(self, target) -> None:
        self.target = target
        self.pushes = self.push_bytes = 0
        self.http: aiohttp.ClientSession | None = None
        self.client: LiteSocket | None = None

    async def connect(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.target.fac.http.cookies.get_dict().items())
        self.http = aiohttp.ClientSession(headers={"Cookie": cookie})
        self.client = LiteSocket(self.http, self.on_frame, lambda *_: None)
        await self.client.connect(self.target.url,
                                  {"facilitator": self.target.seance_id, "fresh": True})

    def on_frame(self, frame: str) -> None:
        self.pushes += 1
        self.push_bytes += len(frame)

    async def close(self) -> dict:
        if self.client is not None:
            await asyncio.wait_for(self.client.disconnect(), 10)
        if self.http is not None:
            await self.http.close()
        return {"pushes": self.pushes, "push_bytes": self.push_bytes}


# --- targets: the app, and the bare relay --------------------------------------------------


class Facilitator:
    """The facilitator's browser over HTTP: login with the CSRF token, htmx-style posts."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base, self.http = base, requests.Session()
        page = self.http.get(base + "/connexion", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.http.post(base + "/connexion", allow_redirects=False, timeout=30,
                                  data={"email": email, "password": password, "csrf_token": csrf})
        if response.status_code != 302:
            raise RuntimeError(f"login refused for {email}: {response.status_code}")
        page = self.http.get(base + "/seances/", timeout=30).text
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def post(self, path: str, htmx: bool = True, **data) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf}
        if htmx:
            headers["HX-Request"] = "true"
        return self.http.post(self.base + path, data=data, headers=headers, timeout=120,
                              allow_redirects=False)

    def get(self, path: str) -> str:
        response = self.http.get(self.base + path, timeout=60)
        response.raise_for_status()
        return response.text

    def state(self, seance_id: int) -> dict:
        response = self.http.get(f"{self.base}/seances/{seance_id}/etat.json", timeout=60)
        response.raise_for_status()
        return response.json()

    def create_seance(self) -> int:
        page = self.get("/seances/nouvelle")
        select = page.split('id="perimetre_id"', 1)[1].split("</select>", 1)[0]
        perimetre = re.search(r'<option value="(\d+)"', select).group(1)
        today = date.today()
        response = self.post("/seances/nouvelle", htmx=False, perimetre_id=perimetre,
                             title=f"Banc de charge {datetime.now():%Y-%m-%d %H:%M:%S}",
                             held_on=today.isoformat(), horizon_start=today.year + 1,
                             horizon_years=3, dot_budget=5, max_dots_per_need=3,
                             weighting="participant")
        if response.status_code != 302:
            raise RuntimeError(f"séance not created: {response.status_code} {response.text[:500]}")
        return int(re.search(r"/seances/(\d+)", response.headers["Location"]).group(1))


class Ours:
    """The workshop app: joins, recueil, vote phase, the screen's pushed board."""

    name = "ours"
    screen_event = "html"
    free_votes = False  # the rules hold: one direction per step, within the dot budget

    def __init__(self, args, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.server: ServerProcess | None = None
        self.pid = args.server_pid
        self.database_url = args.database_url
        self.url = args.url
        self.setup_info: dict = {}
        # --cluster: N processes; phone i talks to process i % N, the screen and the observer
        # phone to the last one, the facilitator to the first (self.url).
        self.cluster = args.cluster
        self.servers: list[ServerProcess] = []
        self.urls: list[str] = []
        self.pids: list[int] | None = None
        self.pg = None  # the harness's connection to the run's PostgreSQL database
        self.created_database: str | None = None
        self.channel: str | None = None
        self.redis_pids: list[int] | None = None

    @property
    def screen_process(self) -> int:
        return len(self.urls) - 1 if self.urls else 0

    @property
    def screen_url(self) -> str:
        return self.urls[self.screen_process] if self.urls else self.url

    def phone_url(self, phone: Phone) -> str:
        return self.urls[phone.process] if self.urls else self.url

    # setup

    def start(self) -> None:
        if self.url:
            self.email, self.password = self.args.email, self.args.password
            return
        if self.cluster:
            self.start_cluster()
            return
        db_path = self.workdir / "bench.sqlite3"
        self.database_url = f"sqlite:///{db_path}"
        app_dir = Path(self.args.app_dir).resolve()
        env = {**os.environ, "WORKSHOP_DATABASE_URL": self.database_url,
               "WORKSHOP_SECRET_KEY": "bench-secret", "PYTHONUNBUFFERED": "1",
               "WORKSHOP_JOINS_PER_MINUTE": JOINS_PER_MINUTE,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir),
                                                           os.environ.get("PYTHONPATH")]))}
        env.pop("WORKSHOP_REDIS_URL", None)
        env.pop("REDIS_URL", None)
        started = now()
        self.prepare_database(env, app_dir)
        log(f"database ready in {now() - started:.1f} s ({db_path})")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = ServerProcess("workshop serve", [sys.executable, "-m", "workshop", "serve",
                                                       "--port", str(port)],
                                    env, port, self.workdir / "server.log", cwd=app_dir)
        self.server.start()
        self.pid = self.server.pid
        log(f"server pid {self.pid} on {self.url}")

    def prepare_database(self, env: dict, app_dir: Path) -> None:
        """The demo séance and its facilitator, as `workshop demo` makes them."""
        demo = subprocess.run([sys.executable, "-m", "workshop", "demo", "--no-serve"], env=env,
                              cwd=app_dir, capture_output=True, text=True, timeout=300)
        if demo.returncode != 0:
            raise RuntimeError(f"workshop demo failed:\n{demo.stdout}\n{demo.stderr}")
        found = re.search(r"identifiant (\S+)\s+mot de passe (\S+)", demo.stdout)
        self.email, self.password = found.group(1), found.group(2)

    def start_cluster(self) -> None:
        """N `workshop serve` processes on one PostgreSQL database and one Redis."""
        args = self.args
        import psycopg  # an app dependency with PostgreSQL: only needed here
        import redis

        try:
            redis.Redis.from_url(args.redis_url, socket_timeout=2).ping()
        except redis.RedisError as error:
            raise RuntimeError(f"--cluster: Redis not reachable at {args.redis_url} "
                               f"({error})") from None
        if args.database_url:
            self.database_url = args.database_url
        else:
            name = f"workshop_load_{args.stamp.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
            create_database(args.postgres_admin_url, name)
            self.created_database = name
            self.database_url = database_url_for(args.postgres_admin_url, name)
        self.pg = psycopg.connect(self.database_url, autocommit=True)
        # Several deployments (tests, other runs) may share the Redis: this run has its channel.
        self.channel = f"workshop-load-{args.stamp}-{uuid.uuid4().hex[:6]}"
        app_dir = Path(args.app_dir).resolve()
        env = {**os.environ, "WORKSHOP_DATABASE_URL": self.database_url,
               "WORKSHOP_REDIS_URL": args.redis_url, "WORKSHOP_SOCKETIO_CHANNEL": self.channel,
               "WORKSHOP_SECRET_KEY": "bench-secret", "PYTHONUNBUFFERED": "1",
               "WORKSHOP_JOINS_PER_MINUTE": JOINS_PER_MINUTE,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir),
                                                           os.environ.get("PYTHONPATH")]))}
        started = now()
        self.prepare_database(env, app_dir)
        log(f"database ready in {now() - started:.1f} s ({_safe_url(self.database_url)}"
            f"{', created for the run' if self.created_database else ''})")
        for index in range(self.cluster):
            port = free_port()
            server = ServerProcess(f"workshop serve #{index}",
                                   [sys.executable, "-m", "workshop", "serve", "--port", str(port)],
                                   env, port, self.workdir / f"server-{index}.log", cwd=app_dir)
            self.servers.append(server)
            server.start()
            self.urls.append(f"http://127.0.0.1:{port}")
        self.pids = [server.pid for server in self.servers]
        self.url, self.pid = self.urls[0], self.pids[0]
        self.setup_info["cluster"] = {
            "processes": self.cluster, "urls": self.urls, "pids": self.pids,
            "database_url": _safe_url(self.database_url),
            "database_created": bool(self.created_database), "redis_url": args.redis_url,
            "channel": self.channel, "facilitator_process": 0,
            "screen_process": self.screen_process, "observer_phone_process": self.screen_process,
            "phones": "phone i on process i % N"}
        log(f"{self.cluster} server processes (pids {self.pids}) on {', '.join(self.urls)}; "
            f"Redis {args.redis_url}, channel {self.channel}")

    def services(self) -> dict:
        """What the monitor watches besides the servers (--cluster): our database's backends
        and the Redis server (when it runs here: pgrep)."""
        if self.pg is None:
            return {}
        return {"postgres": self._postgres_backends, "redis": self._redis_server}

    def _postgres_backends(self) -> list[int]:
        rows = self.pg.execute("SELECT pid FROM pg_stat_activity WHERE datname = "
                               "current_database() AND pid <> pg_backend_pid()").fetchall()
        return [row[0] for row in rows]

    def _redis_server(self) -> list[int]:
        if self.redis_pids is None:
            host = urllib.parse.urlsplit(self.args.redis_url).hostname
            found = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True,
                                   text=True) if host in ("127.0.0.1", "localhost", "::1") else None
            self.redis_pids = [int(p) for p in found.stdout.split()] if found else []
        return self.redis_pids

    def stop(self) -> None:
        if self.server:
            self.server.stop()
            text = self.server.log_path.read_text()
            self.setup_info["server_tracebacks"] = text.count("Traceback")
        if not self.cluster:
            return
        for server in self.servers:
            server.stop()
        tracebacks = [server.log_path.read_text(errors="replace").count("Traceback")
                      for server in self.servers]
        self.setup_info["server_tracebacks"] = sum(tracebacks)
        self.setup_info["server_tracebacks_per_process"] = tracebacks
        if self.pg is not None:
            self.pg.close()
        if self.channel:  # the presence hashes of the run (they would expire anyway)
            try:
                import redis

                client = redis.Redis.from_url(self.args.redis_url, socket_timeout=2)
                keys = list(client.scan_iter(f"{self.channel}:*"))
                if keys:
                    client.delete(*keys)
            except Exception as error:  # noqa: BLE001 - a clean-up, not a result
                log(f"redis keys of {self.channel} not deleted: {error}")
        if self.created_database and self.args.keep:
            log(f"database kept: {_safe_url(self.database_url)}")
        elif self.created_database:
            drop_database(self.args.postgres_admin_url, self.created_database)
            log(f"database {self.created_database} dropped")

    async def prepare_seance(self) -> None:
        self.fac = await asyncio.to_thread(Facilitator, self.url, self.email, self.password)
        self.seance_id = self.args.seance or await asyncio.to_thread(self.fac.create_seance)
        page = await asyncio.to_thread(self.fac.get, f"/seances/{self.seance_id}/pilotage")
        self.screen_token = re.search(r'href="/ecran/([^"/]+)"', page).group(1)
        proxy = page.split('id="proxy-collectivite"', 1)[1].split("</select>", 1)[0]
        self.members = [int(m) for m in re.findall(r'<option value="(\d+)"', proxy)]
        themes = page.split('id="fac-theme"', 1)[1].split("</select>", 1)[0]
        self.themes = [int(t) for t in re.findall(r'<option value="(\d+)"', themes)]
        state = await asyncio.to_thread(self.fac.state, self.seance_id)
        self.join_code = state["seance"]["join_code"]
        self.horizon = state["seance"]["horizon"]
        self.budget = state["seance"]["dot_budget"]
        self.max_per_need = state["seance"]["max_dots_per_need"]
        log(f"séance {self.seance_id}: {len(self.members)} collectivités in the perimeter, "
            f"budget {self.budget}")

    async def join(self, http: aiohttp.ClientSession, index: int) -> Phone:
        collectivite = self.members[index % len(self.members)]
        process = index % len(self.urls) if self.urls else 0
        base = self.urls[process] if self.urls else self.url
        for attempt in range(10):  # a person whose join was turned away (429) tries again
            async with http.post(f"{base}/j/{self.join_code}/participants",
                                 json={"collectivite_id": collectivite,
                                       "role": ROLES[index % len(ROLES)]}) as response:
                if response.status == 429:
                    self.setup_info["join_429"] = self.setup_info.get("join_429", 0) + 1
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                body = await response.json()
                if response.status != 200 or not body.get("ok"):
                    raise RuntimeError(f"join refused: {response.status} {body}")
                return Phone(index, body["token"], body["participant_id"], collectivite,
                             process=process)
        raise RuntimeError("join refused: still 429 after 10 tries")

    def phone_auth(self, phone: Phone) -> dict:
        return {"token": phone.token, "fresh": True}

    def screen_auth(self, fresh: bool = True) -> dict:
        return {"screen": self.screen_token, "fresh": fresh}

    def vote_payload(self, vote: Vote) -> dict:
        return {"need_id": vote.need, "dots": vote.dots}

    async def phase(self, phase: str) -> float:
        started = now()
        response = await asyncio.to_thread(self.fac.post, f"/seances/{self.seance_id}/phase",
                                           phase=phase)
        if response.status_code != 200:
            raise RuntimeError(f"phase {phase}: {response.status_code}")
        return now() - started

    async def reveal(self) -> float:
        started = now()
        response = await asyncio.to_thread(
            self.fac.post, f"/seances/{self.seance_id}/reglages", dot_budget=self.budget,
            max_dots_per_need=self.max_per_need, weighting="participant", tallies_visible="true")
        if response.status_code != 200:
            raise RuntimeError(f"reglages: {response.status_code}")
        return now() - started

    async def recueil(self, run: "Run") -> dict:
        """Phones add the needs and declare agents; then the vote phase, tallies shown."""
        info = {"phase_recueil_s": round(await self.phase("recueil"), 3)}
        phones, rng = run.phones, run.rng
        add_acks, needs = [], []
        for i in range(self.args.needs):
            phone = phones[i % len(phones)]
            started = now()
            ack = await phone.client.call("add_need", {
                "theme_id": rng.choice(self.themes), "title": f"Besoin de charge {i + 1}",
                "details": "Créé par bench/load.py."}, timeout=60)
            add_acks.append(now() - started)
            if not ack.get("ok"):
                raise RuntimeError(f"add_need refused: {ack}")
            needs.append(ack["need_id"])
        declare_lat, refused = [], Counter()
        semaphore = asyncio.Semaphore(50)

        async def declare(k: int) -> None:
            phone = phones[rng.randrange(len(phones))]
            payload = {"need_id": rng.choice(needs),
                       "year": rng.randint(self.horizon[0], self.horizon[1]),
                       "agents": rng.randint(1, 8)}
            async with semaphore:
                started = now()
                ack = await phone.client.call("declare", payload, timeout=60)
                declare_lat.append(now() - started)
                if not ack.get("ok"):
                    refused[ack.get("code")] += 1

        started = now()
        await asyncio.gather(*(declare(k) for k in range(self.args.declarations)))
        info.update(add_need_ack_ms=percentiles(add_acks), declarations=self.args.declarations,
                    declare_ack_ms=percentiles(declare_lat), declare_refused=dict(refused),
                    declare_wall_s=round(now() - started, 2))
        info["phase_vote_s"] = round(await self.phase("vote"), 3)
        info["reveal_s"] = round(await self.reveal(), 3)
        self.needs = needs
        # The screen shows every need with its tally once the reveal went out.
        deadline = now() + 60
        while now() < deadline:
            latest = self.screen_board(run.screen)
            if latest and set(needs) <= set(latest[1]):
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the screen never showed the tallies of every need")
        return info

    # observation

    def screen_boards(self, screen: Screen) -> list[tuple[float, dict[int, int]]]:
        return [(t, board_counts(html)) for t, html in screen.pushes
                if isinstance(html, str) and 'id="screen-board"' in html]

    def screen_board(self, screen: Screen):
        for t, html in reversed(screen.pushes):
            if isinstance(html, str) and 'id="screen-board"' in html:
                return t, board_counts(html)
        return None

    async def stored(self) -> tuple[int, dict[int, int]]:
        state = await asyncio.to_thread(self.fac.state, self.seance_id)
        return state["totals"]["dots"], {n["id"]: n["dots"] for n in state["needs"]}

    def event_mark(self) -> int | None:
        if self.pg is not None:
            return self.pg.execute("SELECT COALESCE(MAX(id), 0) FROM event").fetchone()[0]
        db = self._event_db()
        if db is None:
            return None
        with db:
            return db.execute("SELECT COALESCE(MAX(id), 0) FROM event").fetchone()[0]

    def _event_db(self):
        if not self.database_url or not self.database_url.startswith("sqlite:///"):
            return None
        path = self.database_url.removeprefix("sqlite:///")
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) \
            if Path(path).exists() else None

    def commit_order(self, since: int | None) -> list[tuple[int, int, int]] | None:
        """(participant, need, dots) of the votes stored after `since`, in commit order.

        The event log row is written in the vote's own transaction, and SQLite
        runs one writer at a time: the log's ids are the commit order.

        On PostgreSQL (--cluster) the ids are taken at insert, so across processes they are not
        the commit order: each row comes with its transaction (`xmin`), and `attribute` orders
        each process's transactions by id (one vote writer per process: exact) and the
        processes' between them by acknowledgement.
        """
        if self.pg is not None and since is not None:
            rows = self.pg.execute(
                "SELECT actor, payload, xmin::text FROM event WHERE kind = 'vote.set' "
                "AND seance_id = %s AND id > %s ORDER BY id", (self.seance_id, since)).fetchall()
            order = []
            for actor, payload, transaction in rows:
                data = json.loads(payload) if isinstance(payload, str) else payload
                order.append((int(actor.split(":")[1]), data["need_id"], data["dots"],
                              transaction))
            return order
        db = self._event_db() if since is not None else None
        if db is None:
            return None
        with db:
            rows = db.execute("SELECT actor, payload FROM event WHERE kind = 'vote.set' "
                              "AND seance_id = ? AND id > ? ORDER BY id",
                              (self.seance_id, since)).fetchall()
        order = []
        for actor, payload in rows:
            data = json.loads(payload)
            order.append((int(actor.split(":")[1]), data["need_id"], data["dots"]))
        return order

    def attribute(self, step: "Step", screen: Screen, start: int, observer: Phone | None) -> dict:
        """Screen time of each accepted vote: the first board whose tally for its need reached
        the tally that vote made (votes on one need are ordered by commit; see README)."""
        order = step.commit_order
        by_key = {(v.phone.participant_id, v.need, v.dots): v for v in step.votes}
        if order is not None and self.pg is not None:
            method = "event log per process, processes merged by acknowledgement (PostgreSQL)"
            sequence, extra = _merge_processes(order, by_key)
        elif order is not None:
            method = "commit order (event log)"
            sequence = [by_key[key] for key in order if key in by_key]
            extra = len(order) - len(sequence)
        else:
            method = "acknowledgement order"
            sequence = sorted((v for v in step.votes if v.ok), key=lambda v: v.acked)
            extra = 0
        per_need: dict[int, list[Vote]] = defaultdict(list)
        for vote in sequence:
            per_need[vote.need].append(vote)
        boards = self.screen_boards(_Since(screen, start))
        observed = [(t, board_counts(html)) for t, html in observer.observed] if observer else []
        for need, votes in per_need.items():
            start = step.initial.get(need, 0)
            for k, vote in enumerate(votes, 1):
                vote.seq = k
            _first_reaching(votes, boards, need, start, step.direction, "shown")
            if observer:
                _first_reaching(votes, observed, need, start, step.direction, "on_phone")
        final = self.screen_board(screen)
        return {"method": method, "stored_not_acknowledged": extra,
                "shown_total": sum(final[1].values()) if final else None,
                "shown_per_need": final[1] if final else {}}


def _merge_processes(order: list[tuple], by_key: dict) -> tuple[list[Vote], int]:
    """The stored votes of a step in the order they became visible, across processes.

    Within a process the log's ids are the commit order (one vote writer commits its batches in
    turn), and the votes of one transaction become visible together. Between processes each
    transaction is placed at its first acknowledgement, which follows its commit by the time
    the ack takes to arrive: two transactions of different processes committed a few
    milliseconds apart may still be swapped. Returns the votes and the count of stored votes
    that were not acknowledged."""
    streams: dict[int, list[list]] = defaultdict(list)  # process -> [[key, xid, votes], ...]
    extra = 0
    for participant, need, dots, transaction in order:
        vote = by_key.get((participant, need, dots))
        if vote is None:
            extra += 1
            continue
        stream = streams[vote.phone.process]
        if stream and stream[-1][1] == transaction:
            stream[-1][2].append(vote)
        else:
            stream.append([None, transaction, [vote]])
    for stream in streams.values():
        for transaction in stream:
            transaction[0] = min((v.acked for v in transaction[2] if v.acked is not None),
                                 default=float("inf"))
    merged = heapq.merge(*streams.values(), key=lambda transaction: transaction[0])
    return [vote for transaction in merged for vote in transaction[2]], extra


def _first_reaching(votes: list[Vote], boards, need: int, start: int, direction: int,
                    attr: str) -> None:
    """For the k-th vote on a need, the first board (in time order) whose tally went k steps."""
    j = 0
    for vote in votes:
        target = start + direction * vote.seq
        while j < len(boards):
            t, counts = boards[j]
            if need in counts and (counts[need] - target) * direction >= 0:
                setattr(vote, attr, t)
                break
            j += 1
        else:
            return


class Baseline:
    """bench/baseline_server.py: relays each vote to the screen room, nothing else."""

    name = "baseline"
    screen_event = "vote"
    free_votes = True  # no rules and per-vote attribution: search steps may last as long as ours

    pids = None  # one process
    screen_process = 0
    cluster = 0

    def __init__(self, args, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.server: ServerProcess | None = None
        self.pid = None
        self.setup_info: dict = {}
        self.budget = 5
        self.needs = list(range(1, args.needs + 1))

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = ServerProcess("baseline", [sys.executable, str(REPO / "bench" /
                                                                     "baseline_server.py"),
                                                 "--port", str(port)],
                                    {**os.environ, "PYTHONUNBUFFERED": "1"}, port,
                                    self.workdir / "baseline.log")
        self.server.start()
        self.pid = self.server.pid
        log(f"baseline pid {self.pid} on {self.url}")

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    async def prepare_seance(self) -> None:
        pass

    async def join(self, http, index: int) -> Phone:
        return Phone(index, f"phone-{index}", index, None)

    def phone_auth(self, phone: Phone) -> dict:
        return {"token": phone.token}

    def phone_url(self, phone: Phone) -> str:
        return self.url

    @property
    def screen_url(self) -> str:
        return self.url

    def services(self) -> dict:
        return {}

    def screen_auth(self, fresh: bool = True) -> dict:
        return {"screen": "bench"}

    def vote_payload(self, vote: Vote) -> dict:
        return {"need_id": vote.need, "dots": vote.dots, "v": id(vote)}

    async def recueil(self, run: "Run") -> dict:
        return {}

    async def stored(self) -> tuple[int, dict[int, int]]:
        async with aiohttp.ClientSession() as http, http.get(self.url + "/etat.json") as response:
            return (await response.json())["totals"]["dots"], {}

    def event_mark(self):
        return None

    def commit_order(self, since):
        return None

    def attribute(self, step: "Step", screen: Screen, start: int, observer) -> dict:
        votes = {id(v): v for v in step.votes}
        shown: dict[tuple[str, int], int] = {}
        for t, payload in screen.pushes[start:]:
            vote = votes.get(payload.get("v")) if isinstance(payload, dict) else None
            if vote is not None and vote.shown is None:
                vote.shown = t
        for _t, payload in screen.pushes:  # the screen's picture: the last figure per phone and need
            shown[(payload["p"], payload["need_id"])] = payload["dots"]
        return {"method": "relayed vote id", "stored_not_acknowledged": 0,
                "shown_total": sum(shown.values())}


# --- a run ---------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    rate: float | None  # None: all at once
    direction: int  # +1: votes set 1 dot, -1: votes take it back
    votes: list[Vote]
    initial: dict[int, int] = field(default_factory=dict)
    commit_order: list | None = None


class Run:
    def __init__(self, target, args) -> None:
        self.target, self.args = target, args
        self.rng = random.Random(args.seed)
        self.phones: list[Phone] = []
        self.screen: Screen | None = None
        self.observer: Phone | None = None
        self.facilitator_page: FacilitatorPage | None = None
        self.monitor: ProcMonitor | None = None
        self.lag = LoopLag()
        self.http: aiohttp.ClientSession | None = None
        self.result: dict = {"target": target.name}

    async def connect_phone(self, phone: Phone) -> None:
        def on_html(payload) -> None:
            phone.pushes += 1
            phone.push_bytes += len(payload) if isinstance(payload, str) else 0
            if phone.observed is not None:
                if self.args.client == "lite":  # the raw frame: 42["html", "..."]
                    event, payload = json.loads(payload[2:])[:2]
                    if event != "html":
                        return
                phone.observed.append((now(), payload))

        def on_disconnect(*_args) -> None:
            phone.disconnected = True

        auth, url = self.target.phone_auth(phone), self.target.phone_url(phone)
        if self.args.client == "lite":
            client = LiteSocket(self.http, on_html, on_disconnect)
            await client.connect(url, auth)
        else:
            client = socketio.AsyncClient(reconnection=False)
            client.on("html", on_html)
            client.on("disconnect", on_disconnect)
            await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=60)
        phone.client = client

    async def setup(self) -> None:
        args, target = self.args, self.target
        started = now()
        await target.prepare_seance()
        self.monitor = ProcMonitor(target.pids or target.pid, services=target.services())
        self.monitor.start()
        self.lag.start()
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.screen = Screen(self, target.screen_event)
        await self.screen.connect()
        if target.name == "ours" and not args.no_facilitator_page:
            self.facilitator_page = FacilitatorPage(target)
            await self.facilitator_page.connect()
        t0 = now()
        connector = aiohttp.TCPConnector(limit=args.join_concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            semaphore = asyncio.Semaphore(args.join_concurrency)

            async def join(i: int) -> Phone:
                async with semaphore:
                    return await target.join(http, i)

            self.phones = list(await asyncio.gather(*(join(i) for i in range(args.phones))))
        joined = now() - t0
        log(f"{target.name}: {len(self.phones)} phones joined in {joined:.1f} s")
        self.observer = self.phones[-1]
        self.observer.observed = []
        self.observer.process = target.screen_process  # --cluster: with the screen
        t1 = now()
        semaphore = asyncio.Semaphore(args.connect_concurrency)

        async def connect(phone: Phone) -> None:
            async with semaphore:
                await self.connect_phone(phone)

        await asyncio.gather(*(connect(p) for p in self.phones))
        connected = now() - t1
        log(f"{target.name}: {len(self.phones)} phones connected in {connected:.1f} s")
        self.result["setup"] = {
            "join_s": round(joined, 2), "connect_s": round(connected, 2),
            "joins_per_s": round(len(self.phones) / joined, 1) if joined else None,
            "server_during_joins": self.monitor.window(t0, t1),
            "server_during_connects": self.monitor.window(t1, now()),
            "server_memory_after_connects": self.monitor.memory(),
        }
        if target.cluster:
            self.result["setup"]["phones_per_process"] = [
                sum(p.process == i for p in self.phones) for i in range(target.cluster)]
        recueil = await target.recueil(self)
        self.result["recueil"] = recueil
        self.result["setup"]["total_s"] = round(now() - started, 1)
        if recueil:
            log(f"{target.name}: recueil done ({recueil.get('declarations')} declarations, "
                f"phase vote took {recueil['phase_vote_s']} s, reveal {recueil['reveal_s']} s)"
                + (f"; declarations refused: {recueil['declare_refused']}"
                   if recueil.get("declare_refused") else ""))

    def plan(self, count: int, direction: int) -> list[Vote]:
        """`count` votes, one dot each, spread over phones in turn (each phone within its budget,
        never more than one dot on a need: the per-need maximum is never in the way)."""
        budget, needs = self.target.budget, self.target.needs
        if self.target.free_votes:  # the relay has no rules: phones toggle 1 dot on needs in turn
            votes, planned = [], {}
            while len(votes) < count:
                order = list(self.phones)
                self.rng.shuffle(order)
                for phone in order[:count - len(votes)]:
                    need = needs[phone.cursor % len(needs)]
                    phone.cursor += 1
                    dots = 1 - planned.get((phone.index, need), phone.dots.get(need, 0))
                    planned[(phone.index, need)] = dots
                    votes.append(Vote(phone, need, dots))
            return votes
        queues = []
        for phone in self.phones:
            if direction > 0:
                free = [n for n in needs if not phone.dots.get(n)]
                room = budget - sum(phone.dots.values())
                self.rng.shuffle(free)
                queues.append([(phone, n, 1) for n in free[:max(room, 0)]])
            else:
                held = [n for n, d in phone.dots.items() if d]
                self.rng.shuffle(held)
                queues.append([(phone, n, 0) for n in held])
        votes: list[Vote] = []
        while len(votes) < count and any(queues):
            order = list(range(len(queues)))
            self.rng.shuffle(order)
            for i in order:
                if queues[i] and len(votes) < count:
                    phone, need, dots = queues[i].pop()
                    votes.append(Vote(phone, need, dots))
        return votes

    def capacity(self, direction: int) -> int:
        if self.target.free_votes:
            return 10**9
        held = sum(sum(p.dots.values()) for p in self.phones)
        return self.target.budget * len(self.phones) - held if direction > 0 else held

    async def step(self, name: str, count: int, rate: float | None, direction: int | None = None,
                   ) -> dict:
        target, args = self.target, self.args
        waited = await self.wait_idle()
        if direction is None:  # the way with room for the whole step, else the roomier one
            up, down = self.capacity(1), self.capacity(-1)
            direction = 1 if up >= count or (down < count and up >= down) else -1
        count = min(count, self.capacity(direction))
        votes = self.plan(count, direction)
        stored_before, per_need = await target.stored()
        step = Step(name, rate, direction, votes, initial=per_need)
        mark = target.event_mark()
        screen_from = len(self.screen.pushes)
        if self.observer.observed is not None:
            self.observer.observed.clear()
        disconnected_before = sum(p.disconnected for p in self.phones)
        screen_disconnects = self.screen.disconnects
        expected_before = sum(sum(p.dots.values()) for p in self.phones)
        pushes_before = sum(p.pushes for p in self.phones)
        bytes_before = sum(p.push_bytes for p in self.phones)

        pending = len(votes)
        all_acked = asyncio.Event()
        if not votes:
            all_acked.set()

        def acknowledged(vote: Vote, *answer) -> None:
            nonlocal pending
            vote.acked = now()
            vote.ack = answer[0] if answer and isinstance(answer[0], dict) else {"ok": False}
            if vote.ok:
                vote.phone.dots[vote.need] = vote.dots
            pending -= 1
            if pending == 0:
                all_acked.set()

        cpu0 = own_cpu()
        start = now() + 0.05
        for i, vote in enumerate(votes):
            vote.sched = start + (i / rate if rate else 0)
        send_errors = 0
        for vote in votes:
            delay = vote.sched - now()
            if delay > 0:
                await asyncio.sleep(delay)
            vote.sent = now()
            try:
                await vote.phone.client.emit("vote", target.vote_payload(vote),
                                             callback=lambda *a, v=vote: acknowledged(v, *a))
            except Exception:  # a closed socket: counted, never retried
                send_errors += 1
                vote.ack = {"ok": False, "code": "envoi_impossible"}
                acknowledged(vote, vote.ack)
        last_sent = now()
        try:
            await asyncio.wait_for(all_acked.wait(), timeout=args.ack_timeout)
        except TimeoutError:
            pass
        acks_done = now()
        gen_cpu = own_cpu() - cpu0
        # Let the screen settle: its tallies stop moving and match what is stored.
        stored_total, stored_per_need = await target.stored()
        deadline = now() + args.settle_timeout
        while now() < deadline:
            result = target.attribute(Step(name, rate, direction, []), self.screen, screen_from,
                                      None)
            if result["shown_total"] == stored_total and now() - self._last_push(screen_from) > 0.4:
                break
            await asyncio.sleep(0.1)
        settled = now()
        step.commit_order = target.commit_order(mark)
        attribution = target.attribute(step, self.screen, screen_from, self.observer)

        accepted = [v for v in votes if v.ok]
        refused = Counter(v.ack.get("code") for v in votes if v.ack and not v.ok)
        unanswered = sum(1 for v in votes if v.ack is None)
        expected = sum(sum(p.dots.values()) for p in self.phones)
        first_sent = min((v.sent for v in votes), default=start)
        last_ack = max((v.acked for v in votes if v.acked), default=first_sent)
        last_shown = max((v.shown for v in accepted if v.shown), default=None)
        ack_lat = [v.acked - v.sent for v in accepted]
        screen_lat = [max(v.shown - v.sent, 0) for v in accepted if v.shown]
        phone_lat = [max(v.on_phone - v.sent, 0) for v in accepted if v.on_phone]
        lag = [v.sent - v.sched for v in votes if v.sent]
        duration = last_ack - first_sent
        out = {
            "step": name, "offered_rate": rate, "direction": "+1 dot" if direction > 0 else "-1 dot",
            "votes": len(votes), "accepted": len(accepted),
            "accepted_per_s": round(len(accepted) / duration, 1) if duration > 0 else None,
            "send_s": round(last_sent - first_sent, 3),
            "drain_s": round(duration, 3),
            "screen_drain_s": round(last_shown - first_sent, 3) if last_shown else None,
            "ack_ms": percentiles(ack_lat),
            "vote_to_screen_ms": percentiles(screen_lat),
            "vote_to_observer_phone_ms": percentiles(phone_lat) if target.name == "ours" else None,
            "errors": {"refused": dict(refused), "unanswered": unanswered,
                       "send_failed": send_errors,
                       "disconnects": sum(p.disconnected for p in self.phones) - disconnected_before,
                       "screen_disconnects": self.screen.disconnects - screen_disconnects,
                       "not_seen_on_screen": len(accepted) - len(screen_lat)},
            "totals": {"acknowledged": expected, "stored": stored_total,
                       "shown": attribution["shown_total"],
                       "acknowledged_before": expected_before, "stored_before": stored_before},
            "screen_method": attribution["method"],
            "stored_not_acknowledged": attribution["stored_not_acknowledged"],
            "server": self.monitor.window(first_sent, acks_done) if self.monitor else {},
            "generator": {"cpu_pct": round(100 * gen_cpu / max(acks_done - first_sent, 1e-9), 1),
                          "send_lag_ms": percentiles(lag),
                          "loop_lag_max_ms": self.lag.max(first_sent, acks_done)},
            "settle_s": round(settled - acks_done, 2),
            "waited_for_idle_s": waited,
            "screen_pushes": len(self.screen.pushes) - screen_from,
            "phone_pushes": sum(p.pushes for p in self.phones) - pushes_before,
            "phone_push_mb": round((sum(p.push_bytes for p in self.phones) - bytes_before) / 1e6, 1),
        }
        if target.cluster:  # votes whose screen push went through Redis to another process
            out["votes_from_other_processes"] = sum(
                v.phone.process != target.screen_process for v in accepted)
        out["error_count"] = sum(refused.values()) + unanswered + send_errors + \
            out["errors"]["disconnects"] + out["errors"]["screen_disconnects"]
        out["lost"] = expected - min(stored_total, attribution["shown_total"] or 0) \
            if attribution["shown_total"] is not None else None
        out["consistent"] = expected == stored_total == attribution["shown_total"] \
            and attribution["stored_not_acknowledged"] == 0
        return out

    async def wait_idle(self) -> float | None:
        """Wait (at most --idle-wait s) until nothing else runs on the machine: another test
        suite on a 2-core machine skews every figure. Returns the time waited."""
        if not self.args.idle_wait:
            return None
        started = now()
        while now() - started < self.args.idle_wait:
            busy0, harness0 = machine_busy(), own_cpu()
            server0 = self.monitor.read()[0] if self.monitor and self.monitor.read() else 0
            await asyncio.sleep(2)
            server1 = self.monitor.read()[0] if self.monitor and self.monitor.read() else 0
            other = machine_busy() - busy0 - (own_cpu() - harness0) - (server1 - server0)
            if other / 2 < 0.10:
                break
        return round(now() - started, 1)

    def _last_push(self, start: int) -> float:
        return self.screen.pushes[-1][0] if len(self.screen.pushes) > start else 0.0

    async def search(self) -> dict:
        """Highest offered rate with p95 vote-to-screen under the target, no error, no loss."""
        args = self.args
        rate, good, bad, steps = float(args.search_start or args.rate), None, None, []
        for _ in range(args.search_steps):
            count = max(50, min(int(rate * args.search_seconds), args.search_max_votes,
                                max(self.capacity(1), self.capacity(-1))))
            result = await self.step(f"search@{rate:.0f}", count, rate)
            p95 = result["vote_to_screen_ms"]["p95"]
            passed = p95 is not None and p95 < args.target_ms and result["error_count"] == 0 \
                and result["consistent"]
            steps.append({"rate": round(rate), "votes": result["votes"], "p95_screen_ms": p95,
                          "p99_screen_ms": result["vote_to_screen_ms"]["p99"],
                          "ack_p95_ms": result["ack_ms"]["p95"],
                          "accepted_per_s": result["accepted_per_s"],
                          "errors": result["error_count"], "consistent": result["consistent"],
                          "server_cpu_mean_pct": result["server"].get("cpu_mean_pct"),
                          "generator_cpu_pct": result["generator"]["cpu_pct"],
                          "other_processes_cpu_pct":
                              result["server"].get("other_processes_cpu_pct"), "passed": passed,
                          "detail": result})
            log(f"{self.target.name}: search {rate:.0f}/s -> p95 screen {p95} ms "
                f"({'pass' if passed else 'fail'})")
            if passed:
                good = rate if good is None else max(good, rate)
            else:
                bad = rate if bad is None else min(bad, rate)
            if bad is None:
                rate = rate * 2
            elif good is None:
                rate = rate / 2
            elif bad / good <= 1.15:
                break
            else:
                rate = (good + bad) / 2
            await asyncio.sleep(1)
        return {"max_rate": round(good) if good else None, "first_failing_rate":
                round(bad) if bad else None, "steps": steps}

    async def close(self) -> None:
        clients = [p.client for p in self.phones if p.client]
        await asyncio.gather(*(asyncio.wait_for(c.disconnect(), 10) for c in clients),
                             self.screen.close(), return_exceptions=True)
        if self.facilitator_page is not None:
            self.result["facilitator_page"] = await self.facilitator_page.close()
        if self.http is not None:
            await self.http.close()
        if self.monitor:
            self.result["server_memory"] = self.monitor.memory()
            await self.monitor.stop()
        await self.lag.stop()


class _Since:
    """The screen's pushes from one step on."""

    def __init__(self, screen: Screen, start: int) -> None:
        self.pushes = screen.pushes[start:]


async def run_target(target, args) -> dict:
    run = Run(target, args)
    await run.setup()
    profilers = []
    if args.py_spy and target.pid:
        await run.wait_idle()  # the profile covers the step, not the wait
        pids = target.pids or [target.pid]  # --cluster: one profile per process
        profiles = [Path(args.out) / (f"{target.name}-main-{args.stamp}.txt" if len(pids) == 1
                                      else f"{target.name}-{i}-main-{args.stamp}.txt")
                    for i in range(len(pids))]
        seconds = int(args.votes / args.rate) + 5
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        for pid, profile in zip(pids, profiles, strict=True):
            profilers.append(subprocess.Popen(
                [py_spy, "record", "--pid", str(pid), "--rate", "250", "--duration",
                 str(seconds), "--format", "raw", "--output", str(profile), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        run.result["profile"] = str(profiles[0]) if len(pids) == 1 else [str(p) for p in profiles]
    main = await run.step("main", args.votes, args.rate, direction=1)
    for profiler in profilers:
        profiler.wait(timeout=120)
    run.result["main"] = main
    _say(target.name, main)
    if args.burst:
        await asyncio.sleep(1)
        burst = await run.step("burst", args.votes, None)
        run.result["burst"] = burst
        _say(target.name, burst)
    if args.search:
        await asyncio.sleep(1)
        run.result["search"] = await run.search()
    await run.close()
    return run.result


def _say(name: str, step: dict) -> None:
    s, a = step["vote_to_screen_ms"], step["ack_ms"]
    log(f"{name} {step['step']}: {step['accepted']}/{step['votes']} accepted at "
        f"{step['accepted_per_s']}/s, ack p95 {a['p95']} ms, screen p50/p95/p99/max "
        f"{s['p50']}/{s['p95']}/{s['p99']}/{s['max']} ms, errors {step['error_count']}, "
        f"totals {step['totals']['acknowledged']}/{step['totals']['stored']}/"
        f"{step['totals']['shown']}, server cpu {step['server'].get('cpu_mean_pct')}%, "
        f"generator cpu {step['generator']['cpu_pct']}%"
        + (f", postgres cpu {step['server']['postgres_cpu_pct']}%, redis cpu "
           f"{step['server'].get('redis_cpu_pct')}%" if "postgres_cpu_pct" in step["server"] else "")
        + (f" (DISTURBED: other processes used {other}% of a core)"
           if (other := step["server"].get("other_processes_cpu_pct") or 0) > DISTURBED else ""))


# --- report ----------------------------------------------------------------------------------


def ratio(a, b):
    return round(a / b, 2) if a is not None and b not in (None, 0) else None


def summary(ours: dict, baseline: dict | None, args) -> dict:
    def pick(result, *path):
        for key in path:
            if result is None:
                return None
            result = result.get(key)
        return result

    rows = [
        ("vote-to-screen p50 (ms)", ("main", "vote_to_screen_ms", "p50")),
        ("vote-to-screen p95 (ms)", ("main", "vote_to_screen_ms", "p95")),
        ("vote-to-screen p99 (ms)", ("main", "vote_to_screen_ms", "p99")),
        ("vote-to-screen max (ms)", ("main", "vote_to_screen_ms", "max")),
        ("ack p50 (ms)", ("main", "ack_ms", "p50")),
        ("ack p95 (ms)", ("main", "ack_ms", "p95")),
        ("ack p99 (ms)", ("main", "ack_ms", "p99")),
        ("ack max (ms)", ("main", "ack_ms", "max")),
        ("accepted votes/s", ("main", "accepted_per_s")),
        ("errors", ("main", "error_count")),
        ("dots acknowledged / stored / shown", None),
        ("server CPU mean (% of a core)", ("main", "server", "cpu_mean_pct")),
        ("server CPU peak (% of a core)", ("main", "server", "cpu_peak_pct")),
        ("server peak RSS (MB)", ("server_memory", "peak_rss_mb")),
        ("generator CPU (% of a core)", ("main", "generator", "cpu_pct")),
        ("other processes' CPU (% of a core)", ("main", "server", "other_processes_cpu_pct")),
        ("burst: drain (s)", ("burst", "drain_s")),
        ("burst: screen drain (s)", ("burst", "screen_drain_s")),
        ("burst: errors", ("burst", "error_count")),
        ("burst: accepted votes/s", ("burst", "accepted_per_s")),
        ("burst: dots acknowledged / stored / shown after", None),
        ("max rate with p95 screen < target (votes/s)", ("search", "max_rate")),
    ]
    if args.cluster:  # N processes: sums, each process, and the services they share
        renamed = {"server CPU mean (% of a core)": "server CPU mean, sum of the processes "
                   "(% of a core)",
                   "server CPU peak (% of a core)": "server CPU peak, sum of the processes "
                   "(% of a core)",
                   "server peak RSS (MB)": "server peak RSS, sum of the processes (MB)"}
        rows = [(renamed.get(label, label), path) for label, path in rows]
        at = next(i for i, (label, _) in enumerate(rows) if label.startswith("generator CPU"))
        rows[at:at] = [
            ("server CPU mean per process (% of a core)", _per_process("main", "cpu_mean_pct")),
            ("server peak RSS per process (MB)", _per_process(None, "peak_rss_mb")),
            ("PostgreSQL CPU, the run's database backends (% of a core)",
             ("main", "server", "postgres_cpu_pct")),
            ("Redis server CPU (% of a core)", ("main", "server", "redis_cpu_pct")),
            ("votes received by another process than the screen's",
             ("main", "votes_from_other_processes")),
        ]
    table = []
    for label, path in rows:
        if callable(path):
            table.append((label, path(ours), path(baseline), None))
            continue
        if path is None:
            step = "burst" if label.startswith("burst") else "main"
            values = []
            for result in (ours, baseline):
                t = pick(result, step, "totals")
                values.append(f"{t['acknowledged']} / {t['stored']} / {t['shown']}" if t else None)
            table.append((label, values[0], values[1], None))
            continue
        a, b = pick(ours, *path), pick(baseline, *path)
        table.append((label, a, b, ratio(a, b) if isinstance(a, (int, float)) and
                      isinstance(b, (int, float)) else None))
    main = ours["main"]
    checks = {
        "no error": main["error_count"] == 0,
        "no lost vote (acknowledged = stored = shown)": bool(main["consistent"]),
        f"p95 vote-to-screen < {args.target_ms} ms": (main["vote_to_screen_ms"]["p95"] or 1e9)
        < args.target_ms,
        "p99 vote-to-screen < 500 ms": (main["vote_to_screen_ms"]["p99"] or 1e9) < 500,
        "ack p95 < 100 ms": (main["ack_ms"]["p95"] or 1e9) < 100,
        "server memory < 400 MB": (pick(ours, "server_memory", "peak_rss_mb") or 0) < 400,
    }
    if args.cluster:
        del checks["server memory < 400 MB"]
        peaks = [p["peak_rss_mb"] for p in
                 (pick(ours, "server_memory", "processes") or {}).values()]
        checks["server memory < 400 MB (each process)"] = max(peaks, default=0) < 400
    if "burst" in ours:
        checks["burst drained with no error and no loss"] = ours["burst"]["error_count"] == 0 \
            and bool(ours["burst"]["consistent"])
    if "search" in ours and baseline and "search" in baseline:
        a, b = ours["search"]["max_rate"], baseline["search"]["max_rate"]
        checks["max rate >= half the baseline's"] = bool(a and b and a >= b / 2)
    return {"table": table, "checks": checks}


def _per_process(step: str | None, key: str):
    """A cell: one figure per server process (--cluster), "a / b / …"."""
    def cell(result: dict | None) -> str | None:
        if not result:
            return None
        source = result.get(step, {}).get("server", {}) if step else result.get("server_memory",
                                                                               {})
        values = [p.get(key) for p in source.get("processes", {}).values()]
        return " / ".join(_cell(v) for v in values) if values else None

    return cell


def cluster_label(n: int) -> str:
    return f"{n} process{'es' if n > 1 else ''}, PostgreSQL + Redis"


def markdown(report: dict) -> str:
    cfg = report["config"]
    target = cfg["url"] or "started by the harness (SQLite)"
    header = "| metric | ours | baseline | ours / baseline |"
    if cfg.get("cluster"):
        n = cfg["cluster"]
        main = report["ours"]["main"]
        target = (f"started by the harness: **{cluster_label(n)}** (phone i on process i % {n}, "
                  f"the screen and the observer phone on process {n - 1}, the facilitator on "
                  f"process 0; {main.get('votes_from_other_processes')} of "
                  f"{main['accepted']} accepted votes were received by another process than "
                  f"the screen's; vote-to-screen by {main['screen_method']}); the baseline is "
                  f"one process")
        header = (f"| metric | ours ({cluster_label(n)}) | baseline (1 process) "
                  f"| ours / baseline |")
    lines = [f"# Load run {report['started']}", "",
             f"{cfg['phones']} phones, {cfg['votes']} votes offered at {cfg['rate']} votes/s "
             f"(open loop), {cfg['needs']} needs, {cfg['declarations']} declarations; "
             f"{report['machine']['cores']} cores, Python {report['machine']['python']}; "
             f"target {target}.", "",
             header, "| --- | ---: | ---: | ---: |"]
    for label, a, b, r in report["summary"]["table"]:
        lines.append(f"| {label} | {_cell(a)} | {_cell(b)} | {_cell(r)} |")
    lines += ["", "| target | met |", "| --- | --- |"]
    lines += [f"| {k} | {'yes' if v else 'NO'} |" for k, v in report["summary"]["checks"].items()]
    if report["ours"].get("search"):
        lines += ["", "Rate search (ours): " + ", ".join(
            _search_cell(s) for s in report["ours"]["search"]["steps"])]
    if report.get("baseline") and report["baseline"].get("search"):
        lines += ["", "Rate search (baseline): " + ", ".join(
            _search_cell(s) for s in report["baseline"]["search"]["steps"])]
    return "\n".join(lines) + "\n"


def _search_cell(step: dict) -> str:
    disturbed = (step.get("other_processes_cpu_pct") or 0) > DISTURBED
    return (f"{step['rate']}/s → p95 {step['p95_screen_ms']} ms{'' if step['passed'] else ' ✗'}"
            f"{' (disturbed)' if disturbed else ''}")


def _cell(value) -> str:
    return "–" if value is None else str(value)


# --- main --------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
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


if __name__ == "__main__":
    sys.exit(main())
