"""The one place that writes the append-only event log."""

from sqlalchemy import bindparam, text
from sqlmodel import Session

from workshop.models import Event, utcnow


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


_INSERT = text(
    "INSERT INTO event (seance_id, perimetre_id, at, kind, actor, payload) "
    "VALUES (:seance, NULL, :at, :kind, :actor, :payload)"
).bindparams(bindparam("at", type_=Event.__table__.c.at.type),
             bindparam("payload", type_=Event.__table__.c.payload.type))


def insert(db: Session, kind: str, actor: str, *, seance_id: int | None = None, **payload) -> None:
    """The same row as `record`, written straight (no ORM object): for the vote, the hot path."""
    db.connection().execute(_INSERT, {"seance": seance_id, "at": utcnow(), "kind": kind,
                                      "actor": actor, "payload": payload})


def facilitator_actor(facilitator_id: int) -> str:
    return f"facilitator:{facilitator_id}"
