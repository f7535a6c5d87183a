"""bench/load.py stays runnable: a few seconds of it against the real server, and the bare relay.

The full run (1,000 phones, minutes) is not part of the suite: see bench/README.md.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the load harness's client needs aiohttp: "
                    "pip install 'python-socketio[asyncio_client]'")

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_twenty_phones_vote_and_nothing_is_lost(live_server, tmp_path):
    out = tmp_path / "results"
    command = [sys.executable, str(BENCH / "load.py"), "--url", live_server.url,
               "--email", live_server.email, "--password", live_server.password,
               "--seance", str(live_server.seance_id),
               "--database-url", live_server.database_url,
               "--server-pid", str(live_server.process.process.pid),
               "--phones", "20", "--needs", "6", "--declarations", "20",
               "--votes", "100", "--rate", "50", "--burst",
               "--settle-timeout", "10", "--ack-timeout", "30",
               "--out", str(out), "--check"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr

    [result] = out.glob("load-*.json")
    report = json.loads(result.read_text())
    assert list(out.glob("load-*.md")), "the Markdown table is written too"
    for name in ("ours", "baseline"):
        main = report[name]["main"]
        assert main["accepted"] == main["votes"] == 100, (name, main)
        assert main["error_count"] == 0, (name, main["errors"])
        assert main["totals"]["acknowledged"] == main["totals"]["stored"] \
            == main["totals"]["shown"] == 100, (name, main["totals"])
        assert main["vote_to_screen_ms"]["n"] == 100, (name, main["vote_to_screen_ms"])
        assert main["ack_ms"]["p95"] is not None
        burst = report[name]["burst"]
        assert burst["error_count"] == 0 and burst["consistent"], (name, burst)
    # The burst takes every dot back: each phone had spent its whole budget.
    assert report["ours"]["burst"]["totals"]["stored"] == 0
    ours = report["ours"]["main"]
    assert ours["screen_method"] == "commit order (event log)"
    assert ours["server"]["cpu_s"] >= 0 and report["ours"]["server_memory"]["peak_rss_mb"] > 0
    assert report["summary"]["checks"]["no lost vote (acknowledged = stored = shown)"]
    # The facilitator's page is open as in a room: its board reached it at each refresh.
    assert report["ours"]["facilitator_page"]["pushes"] > 0
    assert "| vote-to-screen p95 (ms) |" in done.stdout
