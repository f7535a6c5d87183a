"""The report: the summary against the relay, JSON and Markdown."""




from .common import DISTURBED


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
        # Issue 18: the highest rate stays at least the bare relay's, in the same run.
        checks["max rate >= the baseline's"] = bool(a and b and a >= b)
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


