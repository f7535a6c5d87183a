"""Backups, restores and the purge of participants' identities (RGPD)."""

import sqlite3
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workshop.domain import codes
from workshop.domain.rules import Refusal
from workshop.models import Participant, Seance, utcnow
from workshop.services import events


def _sqlite_path(engine: Engine) -> str | None:
    return engine.url.database if engine.dialect.name == "sqlite" else None


def backup(engine: Engine, target: str) -> int | Refusal:
    """A consistent copy of the live SQLite database (online backup: the app may keep running)."""
    source = _sqlite_path(engine)
    if source is None:
        return Refusal("postgresql", "Base PostgreSQL : sauvegardez-la avec pg_dump "
                                     "(voir docs/deploy.md).")
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    with sqlite3.connect(target) as copy:
        return copy.execute("SELECT count(*) FROM event").fetchone()[0]


def restore(engine: Engine, source: str) -> int | Refusal:
    """Replace the database by a backup (stop the server first: its sessions would be stale)."""
    target = _sqlite_path(engine)
    if target is None:
        return Refusal("postgresql", "Base PostgreSQL : restaurez-la avec pg_restore "
                                     "(voir docs/deploy.md).")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return Refusal("sauvegarde_abimee", "Cette sauvegarde est abîmée.")
            count = backup_db.execute("SELECT count(*) FROM event").fetchone()[0]
            engine.dispose()
            with sqlite3.connect(target) as live:
                backup_db.backup(live)
    except sqlite3.DatabaseError:
        return Refusal("sauvegarde_illisible", "Ce fichier n'est pas une sauvegarde de l'application.")
    return count


def purge_identities(db: Session, older_than_days: int, actor: str = "system") -> int:
    """Anonymise the participants of séances held more than N days ago; results stay.

    Participants give no name or e-mail; what identifies them is their token
    (a phone's cookie) and an optional display name: both go.
    """
    limit = (utcnow() - timedelta(days=older_than_days)).date()
    people = db.exec(select(Participant).join(Seance).where(
        Seance.held_on <= limit, Participant.anonymised_at.is_(None))).all()
    for person in people:
        person.token = codes.new_secret()  # the old cookie no longer opens anything
        person.display_name = None
        person.anonymised_at = utcnow()
        db.add(person)
    if people:
        events.record(db, "participants.anonymised", actor, count=len(people),
                      older_than_days=older_than_days)
    db.commit()
    return len(people)
