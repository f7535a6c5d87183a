"""The one place that writes the append-only event log."""

from sqlmodel import Session

from workshop.models import Event


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


def facilitator_actor(facilitator_id: int) -> str:
    return f"facilitator:{facilitator_id}"
