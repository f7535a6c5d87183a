"""Cost of one live flush inside the server: the board snapshot and its renders (prints figures).

    python bench/flush_bench.py [--participants 1000] [--needs 10] [--runs 200]

Builds a séance through the services (as `vote_bench.py` does: N participants,
M needs, vote phase, tallies revealed), puts 5 dots per participant on 5 needs,
then times, over `--runs` repetitions (median, microseconds): the vote totals
query, the whole `board.snapshot`, and the screen's and facilitator's renders
of that snapshot, which together are what one flush of `live/broadcast.py`
costs (it runs up to ten times a second while a room votes). CPU time of this
process is printed too, since the machine may be busy (`time.process_time`).
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from vote_bench import build, plan_votes


def timed(call, runs: int) -> tuple[float, float]:
    """Median wall and CPU time of `call()` in µs."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1e6, statistics.median(cpu) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--needs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from workshop import create_app
    from workshop.db import get_session
    from workshop.live import broadcast
    from workshop.models import Seance
    from workshop.services import board
    from workshop.services.board import reads

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        seance_id, crowd, made = build(url, args.participants, args.needs)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
        broadcast.broadcaster.counts = lambda *a, **k: None
        up = [v for v in plan_votes(crowd, made, rng) if v[2] == 1]
        with app.app_context():
            db = get_session()
            ballots = [board.Ballot(seance_id, *vote) for vote in up]
            for i in range(0, len(ballots), 200):
                board.cast_many(db, ballots[i:i + 200])
            seance = db.get(Seance, seance_id)
            snap = reads.snapshot(db, seance)
            figures = {
                "vote totals (2 queries)": timed(lambda: reads._vote_totals(db, seance_id),
                                                 args.runs),
                "board.snapshot": timed(lambda: reads.snapshot(db, seance), args.runs),
            }
            with app.test_request_context("/"):
                figures["screen render"] = timed(
                    lambda: broadcast.screen_html(db, seance, snap), args.runs)
                figures["facilitator render"] = timed(
                    lambda: broadcast.facilitator_html(snap), args.runs)
        del broadcast.broadcaster.counts
        print(f"{args.participants} participants, {args.needs} needs, {len(up)} votes stored, "
              f"{args.runs} runs (median)")
        for name, (wall, cpu) in figures.items():
            print(f"{name:>26}: {wall:8.0f} µs wall, {cpu:8.0f} µs CPU")


if __name__ == "__main__":
    main()
