"""A run against one target: the recueil, the vote steps, their figures."""

import asyncio
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

try:
    import aiohttp
    import socketio
except ImportError as error:  # pragma: no cover - told to the user
    sys.exit(f"bench/load.py needs python-socketio's asyncio client and aiohttp: "
             f"pip install 'python-socketio[asyncio_client]' ({error})")

from .client import FacilitatorPage, LiteSocket, Phone, Screen, Vote
from .common import DISTURBED, log, now
from .measures import LoopLag, ProcMonitor, machine_busy, own_cpu, percentiles


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


