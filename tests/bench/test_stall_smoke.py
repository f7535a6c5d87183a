"""bench/stall.py stays runnable: a tiny room through every phase (figures printed, none asserted)."""

import re
import runpy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_stall_bench_runs_every_phase_and_loses_no_acknowledged_vote(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["stall.py", "--phones", "10", "--rate", "10", "--needs", "20",
                                      "--xlsx-rows", "50", "--json-kb", "20", "--calm-s", "1",
                                      "--lock-s", "1"])
    monkeypatch.syspath_prepend(str(BENCH))
    try:
        runpy.run_path(str(BENCH / "stall.py"), run_name="__main__")
    except SystemExit as done:
        assert done.code == 0
    output = capsys.readouterr().out
    for phase in ("calme", "pdf", "xlsx", "json", "verrou"):
        assert re.search(rf"^{phase}\s+\d+", output, re.M), phase
    assert "by the worker" in output and "longest loop block over the run:" in output
    stored, acknowledged = re.search(r"(\d+) stored, (\d+) as the acknowledgements say", output).groups()
    assert stored == acknowledged, output
