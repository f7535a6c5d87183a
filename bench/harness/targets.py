"""The targets: our app (one process or a cluster), and the bare relay."""

import asyncio
import heapq
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import requests

try:
    import aiohttp
except ImportError as error:  # pragma: no cover - told to the user
    sys.exit(f"bench/load.py needs python-socketio's asyncio client and aiohttp: "
             f"pip install 'python-socketio[asyncio_client]' ({error})")

from .client import Phone, Screen, Vote
from .common import JOINS_PER_MINUTE, REPO, ROLES, free_port, log, now
from .measures import board_counts, percentiles
from .processes import ServerProcess, _safe_url, create_database, database_url_for, drop_database
from .run import Run, Step, _Since


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

    # The dots that count, as stored: on the séance's needs still on the board (the product's
    # rule, `services/board/reads._vote_totals`; its `etat.json` says the same).
    STORED = ("SELECT vote.need_id, SUM(vote.dots) FROM vote JOIN need ON need.id = vote.need_id "
              "WHERE vote.seance_id = {p} AND vote.dots > 0 AND need.hidden = {false} "
              "AND need.merged_into_id IS NULL GROUP BY vote.need_id")

    async def stored(self) -> tuple[int, dict[int, int]]:
        """Dots stored, in total and per need, read from the database itself when the harness
        knows it: `etat.json` builds the séance's whole state in a request (about 60 ms of the
        server's loop for 1,000 participants, several times that under load), and the harness
        asks before and after every step, so its own question delayed the votes it measured
        (the search's first votes of each step waited behind it)."""
        per_need = await asyncio.to_thread(self._stored_rows)
        if per_need is None:
            state = await asyncio.to_thread(self.fac.state, self.seance_id)
            return state["totals"]["dots"], {n["id"]: n["dots"] for n in state["needs"]}
        return sum(per_need.values()), per_need

    def _stored_rows(self) -> dict[int, int] | None:
        if self.pg is not None:
            rows = self.pg.execute(self.STORED.format(p="%s", false="false"),
                                   (self.seance_id,)).fetchall()
            return {need: int(dots) for need, dots in rows}
        db = self._event_db()
        if db is None:
            return None
        with db:
            rows = db.execute(self.STORED.format(p="?", false="0"), (self.seance_id,)).fetchall()
        db.close()
        return {need: int(dots) for need, dots in rows}

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


