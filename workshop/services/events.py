"""The one place that writes the append-only event log."""

from datetime import datetime

from sqlalchemy import bindparam, func, text
from sqlalchemy.engine import Dialect
from sqlmodel import Session, select

from workshop.models import Event
from workshop.services.prepared import Prepared


def record(
    db: Session,
    kind: str,
    actor: str,
    *,
    seance_id: int | None = None,
    perimetre_id: int | None = None,
    **payload,
) -> Event:
    """Add an event to the caller's transaction: it commits with the change it describes."""
    event = Event(
        kind=kind, actor=actor, seance_id=seance_id, perimetre_id=perimetre_id, payload=payload
    )
    db.add(event)
    return event


_INSERT = Prepared(text(
    "INSERT INTO event (seance_id, perimetre_id, at, kind, actor, payload) "
    "VALUES (:seance, NULL, :at, :kind, :actor, :payload)"
).bindparams(bindparam("at", type_=Event.__table__.c.at.type),
             bindparam("payload", type_=Event.__table__.c.payload.type)))


def row(kind: str, actor: str, at: datetime, *, seance_id: int | None = None,
        **payload) -> dict:
    """An event row for `insert_many`: the same row as `record` makes."""
    return {"seance": seance_id, "at": at, "kind": kind, "actor": actor, "payload": payload}


def insert_many(raw, dialect: Dialect, rows: list[dict]) -> None:
    """Rows of `row`, written straight on the driver's connection, in order, in the
    caller's transaction: for the votes, the hot path (see `prepared`)."""
    _INSERT.run_many(raw, dialect, rows)


def facilitator_actor(facilitator_id: int) -> str:
    return f"facilitator:{facilitator_id}"


def last_id(db: Session, seance_id: int) -> int:
    """The id of the séance's latest event row (0 when none): a page rendered after it has
    seen every change until then (a phone's socket compares it when it connects)."""
    return db.exec(select(func.max(Event.id)).where(Event.seance_id == seance_id)).one() or 0
