"""Cost of one vote inside the server, layer by layer (prints figures, asserts nothing).

    python bench/vote_bench.py [--participants 1000] [--needs 10] [--rounds 3]

Builds a séance in a temporary SQLite database through the services (N
participants, M needs, vote phase, tallies revealed), then times, per vote:
`board.cast_many` with one vote (store it and its event, commit), and with
batches of 50 votes (one commit per batch, as the live layer's group commit under load), and the phone's
`vote` handler as the socket layer runs it (parse, hand the ballot to the
group-commit writer, which stores it alone here, and the ack fragment). Each
participant spends 5 dots one by one, then takes them back; the figures are
the median of the rounds, in microseconds per vote.
"""

import argparse
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlmodel import Session


def build(url: str, participants: int, needs: int):
    from workshop import migrate
    from workshop.db import make_engine
    from workshop.schemas import SeanceCreate, SeanceSettings
    from workshop.services import board, facilitators, perimetres, reference, seances
    from workshop.services import participants as people

    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = facilitators.add(db, "bench@example.fr", "Bench", "bench-password")
        perimetre = perimetres.create(db, owner.id, "MEL", ["200093201"])
        seance = seances.create(db, owner.id, SeanceCreate(
            perimetre_id=perimetre.id, title="Séance de référence", held_on=date(2026, 12, 1),
            horizon_start=2027, horizon_years=3, dot_budget=5, max_dots_per_need=3))
        members = perimetres.members(db, perimetre.id)
        themes = board.themes(db)
        seances.set_phase(db, seance, "recueil", owner.id)
        crowd = [people.join(db, seance, members[i % len(members)].id, "elu").id
                 for i in range(participants)]
        made = [board.add_need(db, seance, rng.choice(themes).id, f"Besoin {i}",
                               participant=None, facilitator_id=owner.id).id
                for i in range(needs)]
        seances.set_phase(db, seance, "vote", owner.id)
        seances.update_settings(db, seance, SeanceSettings(
            dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=True),
            owner.id)
    engine.dispose()
    return seance.id, crowd, made


def plan_votes(crowd, made, rng):
    """Each participant: 5 dots on 5 needs, then back to 0 (every vote accepted)."""
    up = [(p, n, 1) for p in crowd for n in rng.sample(made, min(5, len(made)))]
    down = [(p, n, 0) for p, n, _ in up]
    return up + down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--needs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--action-ids", action="store_true",
                        help="every vote carries an action id, as live.js sends (remembered once)")
    args = parser.parse_args()

    from workshop import create_app
    from workshop.db import get_session
    from workshop.domain.rules import Refusal
    from workshop.live.broadcast import broadcaster
    from workshop.live.connections import Identity, connections
    from workshop.live.votes import on_vote
    from workshop.services import board

    rng = random.Random(11)
    counter = iter(range(10**9))

    def ids() -> str | None:
        return f"a{next(counter)}" if args.action_ids else None
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        seance_id, crowd, made = build(url, args.participants, args.needs)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False,
                          # the bench votes faster than a person taps: no flood limit here
                          "LIVE_BURST": 10**9, "LIVE_RATE": 10.0**9})
        # No socket server here: time the vote alone (the refresh is restored at the end).
        broadcaster.counts = lambda *a, **k: None
        results: dict[str, list[float]] = {"board.cast_many (1)": [], "board.cast_many (50)": [],
                                           "phone vote handler": []}
        for _ in range(args.rounds):
            votes = plan_votes(crowd, made, rng)
            with app.app_context():
                db = get_session()
                started = time.perf_counter()
                for participant, need, dots in votes:
                    [result] = board.cast_many(db, [board.Ballot(seance_id, participant, need,
                                                                 dots, ids())])
                    assert not isinstance(result, Refusal), result
                results["board.cast_many (1)"].append((time.perf_counter() - started) / len(votes))
                votes = plan_votes(crowd, made, rng)
                ballots = [board.Ballot(seance_id, *vote, ids()) for vote in votes]
                started = time.perf_counter()
                for i in range(0, len(ballots), 50):
                    for result in board.cast_many(db, ballots[i:i + 50]):
                        assert not isinstance(result, Refusal), result
                results["board.cast_many (50)"].append(
                    (time.perf_counter() - started) / len(votes))
            votes = plan_votes(crowd, made, rng)
            for participant in crowd:
                connections.add(f"sid{participant}", Identity("phone", seance_id, participant))
            started = time.perf_counter()
            for participant, need, dots in votes:
                payload = {"need_id": need, "dots": dots}
                if args.action_ids:
                    payload["action_id"] = ids()
                answer = on_vote(app, f"sid{participant}", payload)
                assert answer["ok"], answer
            results["phone vote handler"].append((time.perf_counter() - started) / len(votes))
        del broadcaster.counts  # the instance attribute: the class's method again
        print(f"{args.participants} participants, {args.needs} needs, "
              f"{2 * 5 * args.participants} votes per round, {args.rounds} rounds"
              + (", with action ids" if args.action_ids else ""))
        for name, values in results.items():
            print(f"{name:>20}: {statistics.median(values) * 1e6:7.0f} µs per vote "
                  f"(min {min(values) * 1e6:.0f}, max {max(values) * 1e6:.0f})")


if __name__ == "__main__":
    main()
