"""Benchmark of a plan file's preview (prints figures, asserts nothing).

    python bench/import_bench.py [--rows 5000] [--runs 3]

Builds, in a temporary SQLite database and through the same services the
facilitator uses, a perimeter (CC Pévèle-Carembault) and uploads one plan of
N rows as a CSV and as an XLSX (the kind of file a collectivité sends: a
theme, a title, agents, a year, remarks); then times `plan_imports.preview`
(read the file, recognise the columns, match every theme, name the
collectivité) on each, as the preview page does. The script only uses
`upload` and `preview`, whose signatures did not change, so that it runs on
the code before and after the reading was rewritten.
"""

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

PEVELE = "200041960"
TITLES = ["Sauveteur secouriste du travail (SST)", "Habilitation électrique B0 H0V", "CACES nacelle",
          "Conduire l'entretien professionnel annuel", "Budget et comptabilité en M57",
          "Accueil du public difficile", "Tir police municipale", "Gestes et postures"]


def rows(count: int) -> list[list]:
    header = ["Thème", "Intitulé de l'action", "Nombre d'agents", "Année souhaitée", "Remarques"]
    body = [["Hygiène et sécurité", f"{TITLES[i % len(TITLES)]} {i // len(TITLES)}", i % 9 + 1,
             2027 + i % 3, "à organiser sur le territoire" if i % 5 == 0 else ""] for i in range(count)]
    return [header, *body]


def csv_bytes(table: list[list]) -> bytes:
    return "\r\n".join(";".join(str(c) for c in row) for row in table).encode("utf-8-sig")


def xlsx_bytes(table: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Plan 2027")
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from workshop import migrate
    from workshop.db import make_engine
    from workshop.services import facilitators, perimetres, reference
    from workshop.services import plan_imports as service

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        migrate.upgrade(engine)
        with Session(engine, expire_on_commit=False) as db:
            reference.load_territories(db)
            reference.load_themes(db)
            owner = facilitators.add(db, "bench@example.fr", "Bench", "bench-password")
            perimetre = perimetres.create(db, owner.id, "Pévèle", [PEVELE])
            orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
            table = rows(args.rows)
            print(f"input: {args.rows} rows, {args.runs} runs each")
            for name, data in (("plan.csv", csv_bytes(table)), ("plan.xlsx", xlsx_bytes(table))):
                started = time.perf_counter()
                upload = service.upload(db, perimetre, name, data, orchies, owner.id)
                upload_s = time.perf_counter() - started
                times, accepted = [], 0
                for _ in range(args.runs):
                    started = time.perf_counter()
                    preview = service.preview(db, upload, 2027)
                    times.append(time.perf_counter() - started)
                    accepted = len(preview.accepted)
                print(f"preview {name} ({len(data) // 1024} KB): median {statistics.median(times):.2f} s, "
                      f"min {min(times):.2f} s; {accepted} rows accepted")
                _in_the_request(service, preview, upload_s, Path(folder) / f"{name}.kept")
        engine.dispose()


def _in_the_request(service, preview, upload_s: float, path: Path) -> None:
    """Since the preview runs in the worker (when the code has `kept_preview`): what the
    requests still do, the upload (checks and storage) and reading the kept preview."""
    if not hasattr(service, "kept_preview"):
        return
    started = time.perf_counter()
    path.write_bytes(service.kept_preview(preview))
    kept_s = time.perf_counter() - started
    started = time.perf_counter()
    service.stored(path)
    read_s = time.perf_counter() - started
    print(f"  in the request: upload {upload_s * 1000:.0f} ms, kept preview read "
          f"{read_s * 1000:.0f} ms ({path.stat().st_size // 1024} KB); in the worker: kept "
          f"{kept_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
