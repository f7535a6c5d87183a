"""A phone's actions take effect once: each carries an id the phone made, the server remembers it.

A double tap on "Ajouter", or a resend after a reconnection, brings the same
action id twice: the first one is applied and its reply stored with it, in
the same transaction (`remember`); the next ones change nothing and get that
reply again (`recall`). The unique key (participant, action id) holds across
sockets and processes: two copies racing to commit, the second fails on it
and is answered from the first (the services catch `IntegrityError` and
`recall`). Rows are kept ACTION_MEMORY_HOURS (domain/limits.py), then
forgotten when the participant connects again (`forget_old`).

Shapes: an action id is a str of 1..ACTION_ID_MAX characters from
[A-Za-z0-9_-] (schemas.ActionId); a reply is a small JSON dict, the fields the
ack repeats (e.g. {"need_id": 12}).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from workshop.domain.limits import ACTION_MEMORY_HOURS
from workshop.models import PhoneAction, utcnow


@dataclass(frozen=True)
class Action:
    participant_id: int
    action_id: str


def recall(db: Session, action: "Action | None") -> dict | None:
    """The reply of this action if it was already applied, else None."""
    if action is None:
        return None
    return db.exec(select(PhoneAction.reply).where(
        PhoneAction.participant_id == action.participant_id,
        PhoneAction.action_id == action.action_id)).first()


def remember(db: Session, action: "Action | None", reply: dict) -> None:
    """Add the action to the caller's transaction: it commits with the change it made."""
    if action is not None:
        db.add(PhoneAction(participant_id=action.participant_id, action_id=action.action_id,
                           reply=reply))


def forget_old(db: Session, participant_id: int) -> None:
    """Forget this participant's actions older than ACTION_MEMORY_HOURS (no commit)."""
    cutoff = utcnow() - timedelta(hours=ACTION_MEMORY_HOURS)
    db.exec(delete(PhoneAction).where(PhoneAction.participant_id == participant_id,
                                      PhoneAction.created_at < cutoff))
