"""Backups, restores and the purge of participants' identities (RGPD)."""

import fcntl
import os
import sqlite3
from contextlib import contextmanager
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


def _lock_path(database: str) -> str:
    return f"{database}.serving"


def hold_serving_lock(engine: Engine):
    """Called by a server at start: a shared lock on `<database>.serving`, held until the
    process ends (the system drops it on a crash too), which `restore` checks. Returns the
    open file (keep it); None on PostgreSQL, where restores go through pg_restore."""
    database = _sqlite_path(engine)
    if not database:
        return None
    handle = open(_lock_path(database), "a")  # noqa: SIM115 - held for the process's life
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


@contextmanager
def _no_server(database: str, force: bool):
    """The exclusive lock for the restore's time (a server starting waits), or a refusal
    while a server holds its shared lock."""
    fd = os.open(_lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not force:
                yield SERVER_RUNNING
                return
        yield None
    finally:
        os.close(fd)


SERVER_RUNNING = Refusal("serveur_actif", "Un serveur utilise cette base : arrêtez-le avant de "
                                          "restaurer (ou forcez avec --force).")


def restore(engine: Engine, source: str, force: bool = False) -> int | Refusal:
    """Replace the database by a backup. Refused while a server uses the database (its
    acknowledged votes would be silently rolled back), unless `force`."""
    target = _sqlite_path(engine)
    if target is None:
        return Refusal("postgresql", "Base PostgreSQL : restaurez-la avec pg_restore "
                                     "(voir docs/deploy.md).")
    with _no_server(target, force) as refusal:
        return refusal or _restore(engine, source, target)


def _restore(engine: Engine, source: str, target: str) -> int | Refusal:
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
