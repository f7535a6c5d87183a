"""What is measured: percentiles, the screen's counts, CPU, memory, loop lag."""

import asyncio
import re
import resource
import statistics
import subprocess
from pathlib import Path

from .common import CLOCK_TICKS, DOTS, NEED_INFO, log, now


def board_counts(html: str) -> dict[int, int]:
    """Need id -> dots shown, from pushed HTML (`#need-N-info` fragments carrying "N gommettes")."""
    marks = list(NEED_INFO.finditer(html))
    counts = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(html)
        found = DOTS.search(html, mark.end(), end)
        if found:
            counts[int(mark.group(1))] = int(re.sub(r"\D", "", found.group(1)))
    return counts


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(ordered[-1] * 1000, 1), "mean": round(statistics.fmean(ordered) * 1000, 1)}


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


