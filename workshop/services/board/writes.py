"""Board writes: needs added, edited, hidden, merged; agents declared.

Each is one transaction with its event-log row, then `changes.publish` tells
the live layer what changed. Votes have their own module (`ballots`).
"""

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import phases, rules
from workshop.domain.limits import DETAILS_MAX, TITLE_MAX
from workshop.domain.planning import CATEGORIES
from workshop.domain.rules import Refusal
from workshop.models import Demand, Need, Participant, Seance, Theme, Vote, utcnow
from workshop.services import actions, events
from workshop.services.actions import Action
from workshop.services.board import checks, reads
from workshop.services.changes import Change, publish

BAD_CATEGORY = Refusal("categorie_invalide", "La catégorie des agents est A, B ou C.")


def _actor(participant: Participant | None, facilitator_id: int | None) -> str:
    if participant is not None:
        return f"participant:{participant.id}"
    return events.facilitator_actor(facilitator_id)


def open_need(db: Session, seance: Seance, need_id: int) -> Need | Refusal:
    """A need of this séance that still takes agents and dots (not merged, not hidden)."""
    need = db.get(Need, need_id)
    return checks.need_refusal(need, seance.id) or need


def _participant_may(seance: Seance, participant: Participant, action: str) -> Refusal | None:
    return checks.participant_refusal(participant, seance.id, seance.phase, seance.closed_at,
                                      action)


def add_need(db: Session, seance: Seance, theme_id: int | str, title: str, details: str = "", *,
             participant: Participant | None = None, facilitator_id: int | None = None,
             source: str = "participant", action: Action | None = None) -> Need | Refusal:
    """A need on the board. `action` (a phone's action id): a second add with the same id
    changes nothing and gives the need the first one added (services.actions)."""
    replayed = _replayed_need(db, action)
    if replayed is not None:
        return replayed
    if participant is not None:
        refusal = _participant_may(seance, participant, "add_need")
        if refusal:
            return refusal
    elif seance.closed_at is not None:
        return phases.allows(seance.phase, "add_need", closed=True)
    # The theme by id, or by its catalogue code (integrations read codes in etat.json).
    theme = db.get(Theme, theme_id) if isinstance(theme_id, int) else \
        db.exec(select(Theme).where(Theme.code == theme_id)).first()
    if theme is None or not theme.active:
        return rules.UNKNOWN_THEME
    title = " ".join(title.split())
    if not title:
        return rules.EMPTY_TITLE
    need = Need(seance_id=seance.id, theme_id=theme.id, title=title[:TITLE_MAX],
                details=details.strip()[:DETAILS_MAX], source=source,
                author_id=participant.id if participant else None)
    db.add(need)
    db.flush()
    events.record(db, "need.added", _actor(participant, facilitator_id), seance_id=seance.id,
                  need_id=need.id, theme_id=theme.id, title=need.title, source=source)
    actions.remember(db, action, {"need_id": need.id})
    try:
        db.commit()
    except IntegrityError:  # the same action committed meanwhile (another socket, a resend)
        db.rollback()
        replayed = _replayed_need(db, action)
        if replayed is None:
            raise
        return replayed
    publish(Change("need.added", seance.id, (need.id,)))
    return need


def _replayed_need(db: Session, action: Action | None) -> Need | None:
    stored = actions.recall(db, action)
    return db.get(Need, stored["need_id"]) if stored else None


def declare(db: Session, seance: Seance, participant: Participant, need_id: int, year: int,
            agents: int, category: str | None = None,
            action: Action | None = None) -> Demand | Refusal:
    """One figure per collectivité, need and year: a colleague's entry replaces it.

    `action` (a phone's action id): a second declaration with the same id changes nothing
    (a colleague's later figure stays) and gives what the first one stored (services.actions).

    `category` (A, B or C) says the agents' category when the participant gives it;
    None leaves the stored one as it is.
    """
    replayed = _replayed_demand(db, action, participant)
    if replayed is not None:
        return replayed
    refusal = _participant_may(seance, participant, "declare") \
        or rules.demand(agents, year, reads.horizon(seance))
    if refusal:
        return refusal
    if category is not None and category not in CATEGORIES:
        return BAD_CATEGORY
    need = open_need(db, seance, need_id)
    if isinstance(need, Refusal):
        return need
    need_id, collectivite_id, participant_id = need.id, participant.collectivite_id, participant.id
    for attempt in (1, 2):
        if attempt == 2 and (replayed := _replayed_demand(db, action, participant)) is not None:
            return replayed
        row = db.exec(select(Demand).where(
            Demand.need_id == need_id, Demand.collectivite_id == collectivite_id,
            Demand.year == year).with_for_update()).first()
        previous = row.agents if row else None
        if row is None:
            row = Demand(need_id=need_id, collectivite_id=collectivite_id, year=year,
                         agents=agents)
        row.agents, row.updated_by_id, row.updated_at = agents, participant_id, utcnow()
        if category is not None:
            row.category = category
        db.add(row)
        events.record(db, "demand.declared", f"participant:{participant_id}",
                      seance_id=seance.id, need_id=need_id, collectivite_id=collectivite_id,
                      year=year, agents=agents, previous=previous,
                      **({"category": category} if category else {}))
        actions.remember(db, action, {"need_id": need_id, "year": year, "agents": agents})
        try:
            db.commit()
        except IntegrityError:
            # A colleague's first figure for the same need and year was committed between
            # our read and our insert (FOR UPDATE locks no row that does not exist yet):
            # read again, now their row is there to lock, and ours replaces it. (Or the same
            # action was committed meanwhile: the next attempt recalls it.)
            db.rollback()
            if attempt == 2:
                raise
            continue
        publish(Change("demand.declared", seance.id, (need_id,), collectivite_id))
        return row
    raise AssertionError("unreachable")


def _replayed_demand(db: Session, action: Action | None, participant: Participant) -> Demand | None:
    """What an already applied declaration stored (a detached row: nothing is written)."""
    stored = actions.recall(db, action)
    if stored is None:
        return None
    return Demand(need_id=stored["need_id"], collectivite_id=participant.collectivite_id,
                  year=stored["year"], agents=stored["agents"])



@dataclass
class MergeResult:
    target: Need
    source: Need
    participants: list[int]  # whose dots moved
    collectivites: list[int]  # whose agents moved
    board: reads.Board | None = None  # the board after the merge, for the caller and the live layer


def merge(db: Session, seance: Seance, target_id: int, source_id: int,
          facilitator_id: int) -> MergeResult | Refusal:
    """Merge a duplicate into a need: its agents and dots add up on the target.

    The source stays in the database, marked merged; the moved figures are in
    the event so that the merge can be audited.
    """
    target, source = db.get(Need, target_id), db.get(Need, source_id)
    if target is None or source is None:
        return rules.UNKNOWN_NEED
    refusal = rules.mergeable(target.id, source.id, target.merged_into_id is not None,
                              source.merged_into_id is not None,
                              target.seance_id == source.seance_id == seance.id)
    if refusal:
        return refusal
    if target.hidden or source.hidden:
        return Refusal("besoin_masque", "Remettez d'abord ce besoin au tableau pour le regrouper.")
    moved_votes: dict[int, int] = {}
    target_votes = {v.participant_id: v for v in db.exec(select(Vote).where(Vote.need_id == target.id))}
    for v in db.exec(select(Vote).where(Vote.need_id == source.id, Vote.dots > 0)):
        into = target_votes.get(v.participant_id) or Vote(
            seance_id=seance.id, participant_id=v.participant_id, need_id=target.id, dots=0)
        into.dots += v.dots
        moved_votes[v.participant_id] = v.dots
        v.dots = 0
        db.add_all([into, v])
    moved_demand: list[dict] = []
    target_demand = {(d.collectivite_id, d.year): d
                     for d in db.exec(select(Demand).where(Demand.need_id == target.id))}
    for d in db.exec(select(Demand).where(Demand.need_id == source.id, Demand.agents > 0)):
        into = target_demand.get((d.collectivite_id, d.year)) or Demand(
            need_id=target.id, collectivite_id=d.collectivite_id, year=d.year, agents=0)
        into.agents += d.agents
        moved_demand.append({"collectivite_id": d.collectivite_id, "year": d.year,
                             "agents": d.agents})
        d.agents = 0
        db.add_all([into, d])
    source.merged_into_id = target.id
    db.add(source)
    events.record(db, "need.merged", events.facilitator_actor(facilitator_id),
                  seance_id=seance.id, target_id=target.id, source_id=source.id,
                  votes={str(k): v for k, v in moved_votes.items()}, demand=moved_demand)
    db.commit()
    after = reads.snapshot(db, seance)
    publish(Change("need.merged", seance.id, (source.id, target.id), built=after))
    return MergeResult(target, source, sorted(moved_votes),
                       sorted({d["collectivite_id"] for d in moved_demand}), after)


def edit(db: Session, seance: Seance, need_id: int, title: str, theme_id: int, details: str,
         facilitator_id: int) -> Need | Refusal:
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id or need.merged_into_id is not None:
        return rules.UNKNOWN_NEED
    theme = db.get(Theme, theme_id)
    title = " ".join(title.split())
    if theme is None or not theme.active:
        return rules.UNKNOWN_THEME
    if not title:
        return rules.EMPTY_TITLE
    before = {"title": need.title, "theme_id": need.theme_id, "details": need.details}
    need.title, need.theme_id, need.details = title[:TITLE_MAX], theme.id, details.strip()[:DETAILS_MAX]
    db.add(need)
    events.record(db, "need.edited", events.facilitator_actor(facilitator_id), seance_id=seance.id,
                  need_id=need.id, before=before,
                  after={"title": need.title, "theme_id": need.theme_id, "details": need.details})
    db.commit()
    publish(Change("need.edited", seance.id, (need.id,)))
    return need


def set_hidden(db: Session, seance: Seance, need_id: int, hidden: bool,
               facilitator_id: int) -> Need | Refusal:
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id or need.merged_into_id is not None:
        return rules.UNKNOWN_NEED
    need.hidden = hidden
    db.add(need)
    kind = "need.hidden" if hidden else "need.shown"
    events.record(db, kind, events.facilitator_actor(facilitator_id), seance_id=seance.id,
                  need_id=need.id)
    db.commit()
    publish(Change(kind, seance.id, (need.id,)))
    return need

