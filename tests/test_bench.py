"""The benchmark scripts stay runnable (a few needs, no timing asserted)."""

import runpy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_plan_bench_runs_on_a_small_perimeter(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["plan_bench.py", "--collectivites", "20", "--needs", "30",
                                      "--years", "3", "--runs", "1"])
    runpy.run_path(str(BENCH / "plan_bench.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "input: 20 collectivités, 30 needs, 3 years" in output
    assert "build_plan over 1 runs: median" in output


def test_vote_bench_runs_on_a_small_room(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["vote_bench.py", "--participants", "12", "--needs", "5",
                                      "--rounds", "1"])
    runpy.run_path(str(BENCH / "vote_bench.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "12 participants, 5 needs, 120 votes per round, 1 rounds" in output
    for layer in ("board.cast_many (1):", "board.cast_many (50):", "phone vote handler:"):
        assert layer in output and "µs per vote" in output.split(layer)[1].splitlines()[0]


def test_import_bench_runs_on_a_small_file(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["import_bench.py", "--rows", "50", "--runs", "1"])
    runpy.run_path(str(BENCH / "import_bench.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "input: 50 rows, 1 runs each" in output
    for name in ("plan.csv", "plan.xlsx"):
        assert f"preview {name}" in output and "50 rows accepted" in output.split(f"preview {name}")[1]


def test_worker_memory_bench_runs_on_a_small_seance(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["worker_memory.py", "--needs", "5", "--runs", "1",
                                      "--kind", "tableau_csv", "--modes", "isolated"])
    runpy.run_path(str(BENCH / "worker_memory.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "séance built: 5 needs" in output and "isolated: worker at start" in output
    assert "fork server after the jobs" in output and " done " in output
