"""Benchmark of the exports for a large séance (prints figures, asserts nothing).

    python bench/export_bench.py [--participants 300] [--needs 500]

Builds, in a temporary SQLite database and through the same services a room
uses, a séance of the Métropole Européenne de Lille (95 communes) with N
participants and M needs, agents declared and dots cast; then times each
export as the facilitator downloads it.
"""

import argparse
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlmodel import Session


def build(url: str, participants: int, needs: int):
    from workshop import migrate
    from workshop.db import make_engine
    from workshop.schemas import SeanceCreate
    from workshop.services import board, facilitators, perimetres, reference, seances
    from workshop.services import participants as people

    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(59)
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
        crowd = [people.join(db, seance, members[i % len(members)].id, "elu")
                 for i in range(participants)]
        made = [board.add_need(db, seance, rng.choice(themes).id, f"Besoin {i}",
                               participant=crowd[i % participants]) for i in range(needs)]
        for person in crowd:
            for need in rng.sample(made, 4):
                board.declare(db, seance, person, need.id, rng.choice((2027, 2028, 2029)),
                              rng.randint(1, 8))
        seances.set_phase(db, seance, "vote", owner.id)
        for person in crowd:
            for need in rng.sample(made, 3):
                board.vote(db, seance, person, need.id, 1)
    engine.dispose()
    return seance.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--needs", type=int, default=500)
    args = parser.parse_args()
    from workshop import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        started = time.perf_counter()
        seance_id = build(url, args.participants, args.needs)
        print(f"séance built: {args.participants} participants, {args.needs} needs "
              f"in {time.perf_counter() - started:.1f} s")
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        client.post("/connexion", data={"email": "bench@example.fr", "password": "bench-password"})
        for path in ("synthese", "synthese.pdf", "seance.xlsx", "csv/besoins.csv", "csv/demande.csv",
                     "csv/plan.csv", "csv/iel.csv", "seance.json"):
            started = time.perf_counter()
            response = client.get(f"/seances/{seance_id}/{path}")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code)
            print(f"{path:18} {elapsed * 1000:8.0f} ms {len(response.data) / 1024:9.0f} KiB")
        app.extensions["workshop.engine"].dispose()


if __name__ == "__main__":
    main()
