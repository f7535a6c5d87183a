"""People in the room: join without an account, come back with a token, proxies."""

from datetime import timedelta

from sqlmodel import Session, select

from workshop.domain import clock, codes
from workshop.domain.rules import Refusal
from workshop.domain.territories import ROLES
from workshop.models import Collectivite, Participant, Seance, utcnow
from workshop.services import actions, events, perimetres
from workshop.services.changes import Change, publish

CLOSED = Refusal("seance_close", "Cette séance est close.")
OUTSIDE = Refusal("collectivite_hors_perimetre",
                  "Choisissez une collectivité du périmètre de la séance.", "collectivite_id")


def join(db: Session, seance: Seance, collectivite_id: int, role: str,
         display_name: str | None = None) -> Participant | Refusal:
    if seance.closed_at is not None:
        return CLOSED
    if collectivite_id not in perimetres.member_ids(db, seance.perimetre_id):
        return OUTSIDE
    if role not in ROLES:
        return Refusal("role_inconnu", "Choisissez votre fonction dans la liste.", "role")
    participant = Participant(seance_id=seance.id, collectivite_id=collectivite_id, role=role,
                              token=codes.new_secret(), display_name=display_name or None,
                              last_seen_at=utcnow())
    db.add(participant)
    db.flush()
    events.record(db, "participant.joined", f"participant:{participant.id}", seance_id=seance.id,
                  collectivite_id=collectivite_id, role=role)
    db.commit()
    return participant


PROXY_FIXED = Refusal("saisie_animateur",
                      "Cette saisie est celle de l'animateur : sa collectivité ne change pas.")


def change(db: Session, seance: Seance, participant: Participant, collectivite_id: int,
           role: str) -> Participant | Refusal:
    """A participant who tapped the wrong collectivité or role corrects it (issue 15).

    Their dots stay theirs; agents already declared stay with the collectivité they were
    declared for (a figure belongs to a collectivité, not to a phone): nothing is moved or
    deleted. Refused when the séance is closed, for a proxy, or outside the perimeter.
    Records `participant.changed` with the previous values.
    """
    if seance.closed_at is not None:
        return CLOSED
    if participant.is_proxy:
        return PROXY_FIXED
    if collectivite_id not in perimetres.member_ids(db, seance.perimetre_id):
        return OUTSIDE
    if role not in ROLES:
        return Refusal("role_inconnu", "Choisissez votre fonction dans la liste.", "role")
    previous = (participant.collectivite_id, participant.role)
    if previous == (collectivite_id, role):
        return participant
    participant.collectivite_id, participant.role = collectivite_id, role
    db.add(participant)
    events.record(db, "participant.changed", f"participant:{participant.id}",
                  seance_id=seance.id, collectivite_id=collectivite_id, role=role,
                  previous_collectivite_id=previous[0], previous_role=previous[1])
    db.commit()
    publish(Change("participant.changed", seance.id))
    return participant


def proxy(db: Session, seance: Seance, collectivite_id: int,
          facilitator_id: int) -> Participant | Refusal:
    """The facilitator's stand-in for a collectivité without a phone: one per collectivité."""
    if seance.closed_at is not None:
        return CLOSED
    existing = db.exec(select(Participant).where(
        Participant.seance_id == seance.id, Participant.collectivite_id == collectivite_id,
        Participant.is_proxy)).first()
    if existing:
        return existing
    if collectivite_id not in perimetres.member_ids(db, seance.perimetre_id):
        return OUTSIDE
    participant = Participant(seance_id=seance.id, collectivite_id=collectivite_id, role="autre",
                              token=codes.new_secret(), is_proxy=True,
                              display_name="Saisie par l'animateur")
    db.add(participant)
    db.flush()
    events.record(db, "participant.proxy_created", events.facilitator_actor(facilitator_id),
                  seance_id=seance.id, participant_id=participant.id,
                  collectivite_id=collectivite_id)
    db.commit()
    publish(Change("participant.proxy_created", seance.id))
    return participant


def proxy_of(db: Session, seance: Seance, participant_id: int) -> Participant | None:
    """The séance's proxy participant of that id, else None (a real phone's is not ours)."""
    participant = db.get(Participant, participant_id)
    if participant is None or participant.seance_id != seance.id or not participant.is_proxy:
        return None
    return participant


def by_token(db: Session, token: str | None) -> Participant | None:
    if not codes.plausible_secret(token):
        return None
    return db.exec(select(Participant).where(Participant.token == token)).first()


def collectivite(db: Session, participant: Participant) -> Collectivite:
    return db.get(Collectivite, participant.collectivite_id)


# A participant's connection is written down at most this often: a room arriving (a thousand
# phones joining, then each connecting its socket at once) or phones reconnecting on venue
# Wi-Fi would otherwise each write and commit, in the one writer's way of the votes.
SEEN_EVERY = timedelta(minutes=5)


def seen(db: Session, participant: Participant) -> None:
    """The participant's socket connected: when, and their old action ids forgotten; nothing
    written if they were seen (or joined) less than SEEN_EVERY ago."""
    now = utcnow()
    if participant.last_seen_at is not None and \
            now - clock.as_utc(participant.last_seen_at) < SEEN_EVERY:
        return
    participant.last_seen_at = now
    db.add(participant)
    actions.forget_old(db, participant.id)
    db.commit()
