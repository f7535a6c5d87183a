"""Séances: creation, listing, and the facilitator's controls (phase, settings, timer)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import clock, codes, phases, rules
from workshop.domain.limits import TIMER_MINUTES_MAX
from workshop.domain.rules import Refusal
from workshop.models import Event, Facilitator, Participant, Perimetre, Seance, SeanceShare, utcnow
from workshop.schemas import SeanceCreate, SeanceSettings
from workshop.services import events, perimetres
from workshop.services.board import fitting
from workshop.services.changes import Change, publish


@dataclass
class SeanceRow:
    seance: Seance
    perimetre: Perimetre
    participants: int


def create(db: Session, owner_id: int, data: SeanceCreate) -> Seance | Refusal:
    """A new séance and its `seance.created` event, committed."""
    seance = add(db, owner_id, data)
    if not isinstance(seance, Refusal):
        db.commit()
    return seance


def add(db: Session, owner_id: int, data: SeanceCreate) -> Seance | Refusal:
    """A new séance and its event in the caller's transaction (flushed, not committed), for
    a use case that stores more with it in one transaction. Call it first in the
    transaction: a join code collision rolls back and draws again."""
    perimetre = perimetres.get_owned(db, data.perimetre_id, owner_id)
    if perimetre is None:
        return Refusal("perimetre_inconnu", "Choisissez un de vos périmètres.", "perimetre_id")
    refusal = (rules.non_empty_perimeter(len(perimetres.member_ids(db, perimetre.id)))
               or rules.dot_settings(data.dot_budget, data.max_dots_per_need))
    if refusal:
        return refusal
    for _attempt in range(5):  # a join code collision is rare; draw again
        seance = Seance(owner_id=owner_id, join_code=codes.new_join_code(),
                        screen_token=codes.new_secret(), **data.model_dump())
        db.add(seance)
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            continue
        events.record(db, "seance.created", events.facilitator_actor(owner_id),
                      seance_id=seance.id, perimetre_id=perimetre.id, title=seance.title)
        return seance
    return Refusal("code_indisponible", "Aucun code libre n'a été trouvé : réessayez.")


OWNER_ONLY = Refusal("proprietaire_seulement", "Seul le propriétaire de la séance peut la partager.")


def _mine(facilitator_id: int):
    """Séances a facilitator runs: their own and those shared with them."""
    shared = select(SeanceShare.seance_id).where(SeanceShare.facilitator_id == facilitator_id)
    return and_(or_(Seance.owner_id == facilitator_id, Seance.id.in_(shared)),
                Seance.importing == false())  # a séance being imported is nobody's yet


def owned(db: Session, owner_id: int) -> list[SeanceRow]:
    counts = dict(db.exec(
        select(Participant.seance_id, func.count()).join(Seance)
        .where(_mine(owner_id)).group_by(Participant.seance_id)).all())
    rows = db.exec(select(Seance, Perimetre).join(Perimetre)
                   .where(_mine(owner_id))
                   .order_by(Seance.held_on.desc(), Seance.id.desc())).all()
    return [SeanceRow(s, p, counts.get(s.id, 0)) for s, p in rows]


def get_owned(db: Session, seance_id: int, owner_id: int) -> Seance | None:
    """The séance if this facilitator owns it or it was shared with them, else None (a 404)."""
    seance = db.get(Seance, seance_id)
    if seance is None or seance.importing:
        return None
    if seance.owner_id == owner_id or db.get(SeanceShare, (seance.id, owner_id)):
        return seance
    return None


def share(db: Session, seance: Seance, email: str, actor_id: int) -> Facilitator | Refusal:
    """Let a colleague run the séance too (its perimeter stays its owner's to edit).
    Only the owner shares: a colleague cannot pass the séance on."""
    if actor_id != seance.owner_id:
        return OWNER_ONLY
    other = db.exec(select(Facilitator).where(Facilitator.email == email.strip().lower())).first()
    if other is None or not other.active:
        return Refusal("compte_inconnu", "Aucun compte animateur pour cette adresse.", "email")
    if other.id == seance.owner_id or db.get(SeanceShare, (seance.id, other.id)):
        return Refusal("deja_partagee", "%(name)s anime déjà cette séance.", "email", name=other.name)
    db.add(SeanceShare(seance_id=seance.id, facilitator_id=other.id, shared_by_id=actor_id))
    events.record(db, "seance.shared", events.facilitator_actor(actor_id), seance_id=seance.id,
                  facilitator_id=other.id)
    db.commit()
    return other


def unshare(db: Session, seance: Seance, facilitator_id: int, actor_id: int) -> Facilitator | Refusal:
    """The owner takes a séance back from a colleague: they no longer see or run it."""
    if actor_id != seance.owner_id:
        return OWNER_ONLY
    row = db.get(SeanceShare, (seance.id, facilitator_id))
    if row is None:
        return Refusal("partage_inconnu", "Cette séance n'est pas partagée avec ce compte.")
    db.delete(row)
    events.record(db, "seance.unshared", events.facilitator_actor(actor_id), seance_id=seance.id,
                  facilitator_id=facilitator_id)
    db.commit()
    return db.get(Facilitator, facilitator_id)


def shared_with(db: Session, seance: Seance) -> list[Facilitator]:
    return list(db.exec(select(Facilitator).join(SeanceShare,
                                                 SeanceShare.facilitator_id == Facilitator.id)
                        .where(SeanceShare.seance_id == seance.id).order_by(Facilitator.name)))


def by_join_code(db: Session, code: str) -> Seance | None:
    return db.exec(select(Seance).where(Seance.join_code == code, Seance.importing == false())).first()


def by_screen_token(db: Session, token: str) -> Seance | None:
    if not codes.plausible_secret(token):
        return None
    return db.exec(select(Seance).where(Seance.screen_token == token, Seance.importing == false())).first()


# --- The facilitator's controls ---------------------------------------------------------
# Each moves the séance's revision. A facilitator page sends the revision it shows
# (`revision`); when another page changed the séance since, nothing is written and the
# refusal goes back with the fresh state (issue 14, item 6). None: no check (scripts).

STALE = Refusal("etat_perime", "Un autre animateur vient de modifier la séance : voici son état "
                               "actuel. Refaites votre modification si elle est encore utile.")


def _claim(db: Session, seance: Seance, revision: int | None) -> Refusal | None:
    """Move the séance's revision in the caller's transaction, if it still is `revision`
    (one conditional UPDATE: two pages racing, one wins). The loser's session is rolled back
    and `seance` reloaded, so the caller shows the fresh state."""
    expected = seance.revision if revision is None else revision
    moved = db.execute(update(Seance).where(Seance.id == seance.id, Seance.revision == expected)
                       .values(revision=expected + 1).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.rollback()
        db.refresh(seance)
        return STALE
    seance.revision = expected + 1
    return None


def set_phase(db: Session, seance: Seance, phase: str, actor_id: int,
              revision: int | None = None) -> Seance | Refusal:
    refusal = phases.check_phase(phase) or _claim(db, seance, revision)
    if refusal:
        return refusal
    previous, seance.phase, seance.timer_ends_at = seance.phase, phase, None
    db.add(seance)
    events.record(db, "seance.phase", events.facilitator_actor(actor_id), seance_id=seance.id,
                  phase=phase, previous=previous)
    db.commit()
    publish(Change("seance.phase", seance.id))
    return seance


def update_settings(db: Session, seance: Seance, data: SeanceSettings,
                    actor_id: int, revision: int | None = None) -> Seance | Refusal:
    """Dot budget, cap per need, weighting, tallies shown.

    Only the fields `data` gives are written (None: unchanged): the tallies toggle sends
    the tallies alone, and cannot undo a budget another page set meanwhile. A lower
    budget or cap gives back the dots that no longer fit (`board.fitting`: each
    participant's most recently placed dots first), told on their phones.
    """
    given = data.model_dump(exclude_none=True)
    refusal = rules.dot_settings(given.get("dot_budget", seance.dot_budget),
                                 given.get("max_dots_per_need", seance.max_dots_per_need)) \
        or _claim(db, seance, revision)
    if refusal:
        return refusal
    changes = {k: v for k, v in given.items() if getattr(seance, k) != v}
    for key, value in changes.items():
        setattr(seance, key, value)
    db.add(seance)
    returned = None
    if changes:
        events.record(db, "seance.settings", events.facilitator_actor(actor_id),
                      seance_id=seance.id, **changes)
        if {"dot_budget", "max_dots_per_need"} & set(changes):  # dots that no longer fit go back
            returned = fitting.after_settings(db, seance, events.facilitator_actor(actor_id))
    db.commit()
    publish(Change("seance.settings", seance.id))
    if returned is not None:
        fitting.publish_returned(seance.id, returned)
    return seance


def set_timer(db: Session, seance: Seance, minutes: int, actor_id: int,
              revision: int | None = None) -> Seance | Refusal:
    """Start a countdown for the current phase (0 stops it)."""
    refusal = _claim(db, seance, revision)
    if refusal:
        return refusal
    seance.timer_ends_at = utcnow() + timedelta(minutes=minutes) if minutes > 0 else None
    db.add(seance)
    events.record(db, "seance.timer", events.facilitator_actor(actor_id), seance_id=seance.id,
                  minutes=minutes)
    db.commit()
    publish(Change("seance.timer", seance.id))
    return seance


def extend_timer(db: Session, seance: Seance, minutes: int, actor_id: int,
                 revision: int | None = None) -> Seance | Refusal:
    """`minutes` more on the running countdown (a stopped or finished one starts anew);
    never beyond TIMER_MINUTES_MAX from now."""
    refusal = _claim(db, seance, revision)
    if refusal:
        return refusal
    now = utcnow()
    ends = seance.timer_ends_at
    start = ends if ends is not None and clock.as_utc(ends) > now else now
    seance.timer_ends_at = min(clock.as_utc(start) + timedelta(minutes=minutes),
                               now + timedelta(minutes=TIMER_MINUTES_MAX))
    db.add(seance)
    # Its own kind: the screen's ring keeps counting from when the countdown was set
    # (`timer_started` reads the last `seance.timer`), now over a longer span.
    events.record(db, "seance.timer_extended", events.facilitator_actor(actor_id),
                  seance_id=seance.id, added=minutes)
    db.commit()
    publish(Change("seance.timer", seance.id))
    return seance


def timer_minutes_left(seance: Seance) -> int | None:
    """Whole minutes left on the running countdown (rounded up), None when none runs."""
    if seance.timer_ends_at is None:
        return None
    seconds = (clock.as_utc(seance.timer_ends_at) - utcnow()).total_seconds()
    return max(0, -(-int(seconds) // 60)) if seconds > 0 else None


def timer_started(db: Session, seance: Seance) -> datetime | None:
    """When the running countdown was set (the last `seance.timer` event), for the screen's
    ring that empties from there to `seance.timer_ends_at`; None when no countdown runs.

    One indexed read, made when the header is drawn (a phase or timer change, a page load).
    """
    if seance.timer_ends_at is None:
        return None
    return db.exec(select(Event.at).where(Event.seance_id == seance.id, Event.kind == "seance.timer")
                   .order_by(Event.id.desc()).limit(1)).first()


def set_closed(db: Session, seance: Seance, closed: bool, actor_id: int,
               revision: int | None = None) -> Seance | Refusal:
    refusal = _claim(db, seance, revision)
    if refusal:
        return refusal
    seance.closed_at = utcnow() if closed else None
    db.add(seance)
    kind = "seance.closed" if closed else "seance.reopened"
    events.record(db, kind, events.facilitator_actor(actor_id), seance_id=seance.id)
    db.commit()
    publish(Change(kind, seance.id))
    return seance
