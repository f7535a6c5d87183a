"""bench/load.py --cluster stays runnable: two server processes on PostgreSQL + Redis.

A few seconds of it; the 1,000-phone run is in bench/README.md. Skipped when PostgreSQL or
Redis is missing, unless WORKSHOP_REQUIRE asks for them (as tests/live/test_cluster.py).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.test_cluster import PG_URL, REDIS_URL, services_or_skip

pytest.importorskip("aiohttp", reason="the load harness's client needs aiohttp: "
                    "pip install 'python-socketio[asyncio_client]'")

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_two_processes_share_the_votes_and_nothing_is_lost(tmp_path):
    services_or_skip()
    out = tmp_path / "results"
    command = [sys.executable, str(BENCH / "load.py"), "--cluster", "2",
               "--postgres-admin-url", PG_URL, "--redis-url", REDIS_URL,
               "--phones", "20", "--needs", "6", "--declarations", "20",
               "--votes", "100", "--rate", "50", "--burst", "--no-baseline",
               "--settle-timeout", "10", "--ack-timeout", "30",
               "--out", str(out), "--check"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr

    [result] = out.glob("load-*.json")
    report = json.loads(result.read_text())
    assert "baseline" not in report
    ours = report["ours"]
    main = ours["main"]
    assert main["accepted"] == main["votes"] == 100, main
    assert main["error_count"] == 0, main["errors"]
    assert main["totals"]["acknowledged"] == main["totals"]["stored"] \
        == main["totals"]["shown"] == 100, main["totals"]
    assert main["stored_not_acknowledged"] == 0
    assert main["vote_to_screen_ms"]["n"] == 100, main["vote_to_screen_ms"]
    assert main["screen_method"].startswith("event log per process")
    # Phones on both processes, the screen on the second: half the votes crossed over Redis.
    assert ours["setup"]["phones_per_process"] == [10, 10]
    assert 0 < main["votes_from_other_processes"] < 100
    burst = ours["burst"]
    assert burst["error_count"] == 0 and burst["consistent"], burst
    assert burst["totals"]["stored"] == 0
    # The figures are the two processes', summed and each.
    assert len(main["server"]["processes"]) == 2
    assert len(ours["server_memory"]["processes"]) == 2
    assert ours["server_memory"]["peak_rss_mb"] > 0
    assert ours["server_tracebacks"] == 0
    assert "| metric | ours (2 processes, PostgreSQL + Redis) |" in done.stdout
    # The database made for the run was dropped.
    import psycopg

    name = ours["cluster"]["database_url"].rsplit("/", 1)[1]
    assert ours["cluster"]["database_created"]
    with psycopg.connect(PG_URL) as connection:
        assert connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone() is None
