"""Board writes: needs added, edited, hidden, merged; agents declared.

Each is one transaction with its event-log row, then `changes.publish` tells
the live layer what changed. Votes have their own module (`ballots`).
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import merging, phases, rules
from workshop.domain.limits import DETAILS_MAX, TITLE_MAX
from workshop.domain.planning import CATEGORIES
from workshop.domain.rules import Refusal
from workshop.models import (
    Collectivite,
    Demand,
    Event,
    Need,
    Participant,
    Seance,
    Theme,
    Vote,
    utcnow,
)
from workshop.services import actions, events
from workshop.services.actions import Action
from workshop.services.board import checks, fitting, reads
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



Cell = tuple[int, int]  # (collectivite_id, year)


@dataclass
class MergeResult:
    target: Need
    source: Need
    participants: list[int]  # whose dots moved
    collectivites: list[int]  # whose agents moved
    board: reads.Board | None = None  # the board after the merge, for the caller and the live layer
    # One collectivité declared the same year on both needs: the larger figure was kept
    # (DOMAIN.md, "Regroupement"); the facilitator is told, with the collectivités' names.
    overlaps: list[merging.Overlap] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # collectivité id -> name
    returned: fitting.Returned | None = None  # dots above the cap, back to their owners


def _votes(db: Session, need_id: int) -> dict[int, Vote]:
    """Every vote row on a need, by participant, read afresh (the group commit writes
    votes without the ORM)."""
    return {v.participant_id: v for v in db.exec(
        select(Vote).where(Vote.need_id == need_id).execution_options(populate_existing=True))}


def _demand(db: Session, need_id: int) -> dict[Cell, Demand]:
    return {(d.collectivite_id, d.year): d for d in db.exec(
        select(Demand).where(Demand.need_id == need_id)
        .execution_options(populate_existing=True))}


def _voters(db: Session, *need_ids: int) -> list[int]:
    return sorted(set(db.exec(select(Vote.participant_id).where(Vote.need_id.in_(need_ids)))))


def _cells(figures: dict[Cell, int]) -> list[list[int]]:
    """Figures as JSON for an event: [[collectivite_id, year, agents], ...]."""
    return [[c, y, n] for (c, y), n in sorted(figures.items())]


def _uncells(rows) -> dict[Cell, int]:
    return {(c, y): n for c, y, n in rows}


def _ids(figures: dict[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(figures.items())}


def _set_votes(db: Session, seance: Seance, rows: dict[int, Vote], need_id: int,
               dots: dict[int, int]) -> None:
    """Set participants' dots on one need (rows absent are created, others left alone)."""
    for pid, n in dots.items():
        row = rows.get(pid) or Vote(seance_id=seance.id, participant_id=pid, need_id=need_id,
                                    dots=0)
        if row.dots != n or row.id is None:
            # `updated_at` stays: it says when the participant placed them (`fitting` order).
            row.dots = n
            db.add(row)
            rows[pid] = row


def _set_demand(db: Session, rows: dict[Cell, Demand], need_id: int,
                agents: dict[Cell, int]) -> None:
    for (cid, year), n in agents.items():
        row = rows.get((cid, year)) or Demand(need_id=need_id, collectivite_id=cid, year=year,
                                              agents=0)
        if row.agents != n or row.id is None:
            row.agents = n
            db.add(row)
            rows[(cid, year)] = row


def _merge_refusal(seance: Seance, target: Need | None, source: Need | None) -> Refusal | None:
    if target is None or source is None:
        return rules.UNKNOWN_NEED
    refusal = rules.mergeable(target.id, source.id, target.merged_into_id is not None,
                              source.merged_into_id is not None,
                              target.seance_id == source.seance_id == seance.id)
    if refusal:
        return refusal
    if target.hidden or source.hidden:
        return Refusal("besoin_masque", "Remettez d'abord ce besoin au tableau pour le regrouper.")
    return None


def merge_many(db: Session, seance: Seance, target_id: int, need_ids: list[int],
               facilitator_id: int) -> list["MergeResult"] | Refusal:
    """Merge the ticked needs (`need_ids`, the one kept among them or not) into `target_id`:
    one `merge` each, in id order, each with its event (each can be undone alone). Every
    pair is checked first: a refusal merges none."""
    sources = sorted(set(need_ids) - {target_id})
    if not sources:
        return rules.mergeable(target_id, target_id, False, False, True)
    target = db.get(Need, target_id)
    for source_id in sources:
        refusal = _merge_refusal(seance, target, db.get(Need, source_id))
        if refusal:
            return refusal
    results = []
    for source_id in sources:
        result = merge(db, seance, target_id, source_id, facilitator_id)
        if isinstance(result, Refusal):  # a concurrent change since the check
            return results or result
        results.append(result)
    return results


def merge(db: Session, seance: Seance, target_id: int, source_id: int,
          facilitator_id: int) -> MergeResult | Refusal:
    """Merge a duplicate (`source_id`) into the need kept (`target_id`), by DOMAIN.md's rule.

    Agents: across collectivités they add up; for one collectivité and year the
    kept need has the larger of the two figures (`merging.merge_demand`; the
    overlaps are in the result, for the facilitator). Dots: a participant's dots
    on both add up to the cap (`merging.merge_dots`); the rest goes back to
    their budget (`MergeResult.returned`, told on their phones). The source stays
    in the database, marked merged, its figures at 0; the `need.merged` event
    holds what `unmerge` needs to restore both: each need's dots and figures
    before, the merged ones, what was returned, the overlaps.
    Refusals: `besoin_inconnu`, `fusion_identique`, `deja_regroupe`, `besoin_masque`.
    """
    target, source = db.get(Need, target_id), db.get(Need, source_id)
    refusal = _merge_refusal(seance, target, source)
    if refusal:
        return refusal
    actor = events.facilitator_actor(facilitator_id)
    fitting.lock(db, _voters(db, target.id, source.id))
    target_votes, source_votes = _votes(db, target.id), _votes(db, source.id)
    dots_before = ({p: v.dots for p, v in target_votes.items() if v.dots > 0},
                   {p: v.dots for p, v in source_votes.items() if v.dots > 0})
    dots = merging.merge_dots(*dots_before, seance.max_dots_per_need)
    target_demand, source_demand = _demand(db, target.id), _demand(db, source.id)
    demand_before = ({c: d.agents for c, d in target_demand.items() if d.agents > 0},
                     {c: d.agents for c, d in source_demand.items() if d.agents > 0})
    demand = merging.merge_demand(*demand_before)

    _set_votes(db, seance, target_votes, target.id, dots.dots)
    _set_votes(db, seance, source_votes, source.id, dict.fromkeys(dots_before[1], 0))
    _set_demand(db, target_demand, target.id, demand.agents)
    _set_demand(db, source_demand, source.id, dict.fromkeys(demand_before[1], 0))
    source.merged_into_id = target.id
    db.add(source)
    events.record(db, "need.merged", actor, seance_id=seance.id, target_id=target.id,
                  source_id=source.id,
                  dots={"target": _ids(dots_before[0]), "source": _ids(dots_before[1]),
                        "merged": _ids(dots.dots), "returned": _ids(dots.returned)},
                  demand={"target": _cells(demand_before[0]), "source": _cells(demand_before[1]),
                          "merged": _cells(demand.agents)},
                  overlaps=[[o.collectivite_id, o.year, o.target, o.source]
                            for o in demand.overlaps])
    returned = fitting.returned_for("merged", seance, (target, source))
    for pid, n in dots.returned.items():
        returned.by_participant[pid] = {target.id: n}
    fitting.refit(db, seance, actor, returned, dots.dots)  # already within: a safeguard
    db.commit()
    after = reads.snapshot(db, seance)
    publish(Change("need.merged", seance.id, (source.id, target.id), built=after))
    fitting.publish_returned(seance.id, returned)
    overlapping = sorted({o.collectivite_id for o in demand.overlaps})
    names = dict(db.exec(select(Collectivite.id, Collectivite.name)
                         .where(Collectivite.id.in_(overlapping))).all()) if overlapping else {}
    return MergeResult(target, source, sorted(dots_before[1]),
                       sorted({c for c, _ in demand_before[1]}), after, demand.overlaps, names,
                       returned)


NOT_MERGED = Refusal("besoin_non_regroupe", "Ce besoin n'est pas regroupé avec un autre.")
NO_TRACE = Refusal("regroupement_sans_trace",
                   "Ce regroupement ne peut pas être défait : l'historique ne dit pas ce qu'il a "
                   "déplacé (séance importée).")


@dataclass
class UnmergeResult:
    target: Need
    source: Need
    participants: list[int]  # whose dots on either need changed
    collectivites: list[int]  # whose agents on either need changed
    board: reads.Board | None = None
    returned: fitting.Returned | None = None
    kept: int = 0  # figures and dots changed on the merged need since the merge, left there


PEOPLE = ("vote.set", "demand.declared")  # changes people make (participant, proxy)


@dataclass
class _History:
    """What the event log says of a need kept, for an un-merge (`_history`)."""

    undone: Event  # the `need.merged` being undone
    first: Event  # the first merge still in force (its `target` figures: the start)
    events: list[Event]  # from `first` on, in order: merges, people's changes, dots given back
    active: set[int]  # the `need.merged` event ids still in force (`undone` among them)


def _history(db: Session, seance: Seance, target_id: int, source_id: int) -> _History | None:
    """The need kept's log, from the last moment nothing was merged into it: every merge
    into it (and which are still in force: an un-merge names its `merge_event_id`), the
    votes and declarations on it, the dots given back from it. None: the merge of
    `source_id` left no trace (an imported séance)."""
    on_target = Event.payload["need_id"].as_integer() == target_id  # JSON, both bases
    log = db.exec(select(Event).where(
        Event.seance_id == seance.id,
        or_(and_(Event.kind.in_(PEOPLE), on_target),
            Event.kind.in_(("vote.returned", "need.merged", "need.unmerged"))))
        .order_by(Event.id)).all()
    active: dict[int, Event] = {}
    first: Event | None = None
    kept: list[Event] = []
    for event in log:
        p = event.payload
        if event.kind in PEOPLE or (event.kind == "vote.returned"
                                    and str(target_id) in p.get("returned", {})):
            kept.append(event)
        elif event.kind == "need.merged" and p.get("target_id") == target_id and "dots" in p:
            if not active:
                first, kept = event, []  # nothing merged before: the history starts here
            active[event.id] = event
            kept.append(event)
        elif event.kind == "need.unmerged" and p.get("target_id") == target_id:
            active.pop(p.get("merge_event_id"), None)
    undone = next((e for e in reversed(active.values())
                   if e.payload.get("source_id") == source_id), None)
    if undone is None or first is None:
        return None
    return _History(undone, first, kept, set(active))


def _recomputed(history: _History, target_id: int) -> tuple[dict[int, int], dict[Cell, int]]:
    """The need kept's dots (participant -> dots) and agents ((collectivité, year) ->
    agents) as if the undone merge had not happened: from the figures before the first merge
    still in force, the duplicates still merged added (dots up to the cap a merge applied,
    agents the larger), what people set since, the dots given back since (a limit)."""
    start = history.first.payload
    dots: list[merging.Step] = []
    agents: list[merging.Step] = []
    for event in history.events:
        p = event.payload
        if event.kind == "need.merged":
            if event.id == history.undone.id or event.id not in history.active:
                continue
            dots.append(("add", {int(k): v for k, v in p["dots"]["source"].items()}))
            dots.append(("at_most", {int(k): p["dots"]["merged"][k]
                                     for k in p["dots"].get("returned", {})}))
            agents.append(("add", _uncells(p["demand"]["source"])))
        elif event.kind == "vote.set":
            dots.append(("set", {_participant(event): p["dots"]}))
        elif event.kind == "demand.declared":
            agents.append(("set", {(p["collectivite_id"], p["year"]): p["agents"]}))
        elif event.kind == "vote.returned":
            key = str(target_id)
            dots.append(("at_most", {p["participant_id"]: p["before"][key] - p["returned"][key]}))
    return (merging.replay({int(k): v for k, v in start["dots"]["target"].items()}, dots,
                           lambda a, b: a + b),
            merging.replay(_uncells(start["demand"]["target"]), agents, max))


def _participant(event: Event) -> int:
    return int(event.actor.split(":", 1)[1])


def _changed_by_people(history: _History) -> tuple[set[int], set[Cell]]:
    """Participants whose dots, and (collectivité, year) whose agents, on the need kept a
    person changed (a vote, a declaration: a participant or a proxy) after the undone
    merge. Later merges, un-merges and dots given back are not people's choices."""
    people: set[int] = set()
    cells: set[Cell] = set()
    for event in history.events:
        if event.id <= history.undone.id:
            continue
        if event.kind == "vote.set":
            people.add(_participant(event))
        elif event.kind == "demand.declared":
            cells.add((event.payload["collectivite_id"], event.payload["year"]))
    return people, cells


def unmerge(db: Session, seance: Seance, source_id: int,
            facilitator_id: int) -> UnmergeResult | Refusal:
    """Undo the merge of `source_id`: both needs back with their own figures and dots.

    From the event log (nothing was deleted). The rule (docs/architecture.md, "Un-merge"):
    - the duplicate gets back its dots and agents from before the merge;
    - the need kept loses exactly the duplicate's contribution, whatever other needs were
      merged into it and whatever the order of the un-merges: its figures are recomputed
      from before the first merge still in force, with the duplicates still merged, what
      people set since and the dots given back since (`_recomputed`);
    - a participant's dots, or a collectivité's agents for a year, that a person changed on
      the merged need after this merge (a vote, a declaration) stay as they are: the later
      choice wins, and `kept` counts those the duplicate had a share in. Later merges,
      un-merges and dots given back are no one's choice: they do not count as changes;
    - then every concerned participant's dots are fitted to the budget and cap
      (`fitting.refit`), the duplicate giving way: what no longer fits goes back to the
      participant, who is told.
    With nothing done in between, a merge then its un-merge leave every need and every
    participant's dots exactly as before (tests/services/test_board_invariants.py).
    A merge whose need kept was itself merged since is undone after that one.
    Refusals: `besoin_inconnu`, `besoin_non_regroupe`, `regroupement_imbrique`,
    `regroupement_sans_trace`.
    """
    source = db.get(Need, source_id)
    if source is None or source.seance_id != seance.id:
        return rules.UNKNOWN_NEED
    if source.merged_into_id is None:
        return NOT_MERGED
    target = db.get(Need, source.merged_into_id)
    if target.merged_into_id is not None:
        return Refusal("regroupement_imbrique",
                       "« %(target)s » a depuis été regroupé dans un autre besoin : "
                       "séparez d'abord ce regroupement-là.", target=target.title)
    actor = events.facilitator_actor(facilitator_id)
    fitting.lock(db, _voters(db, target.id, source.id))
    history = _history(db, seance, target.id, source.id)
    if history is None:
        return NO_TRACE
    p = history.undone.payload
    touched_people, touched_cells = _changed_by_people(history)
    target_votes, source_votes = _votes(db, target.id), _votes(db, source.id)
    target_demand, source_demand = _demand(db, target.id), _demand(db, source.id)
    dots_s = {int(k): v for k, v in p["dots"]["source"].items()}
    agents_s = _uncells(p["demand"]["source"])
    dots_r, agents_r = _recomputed(history, target.id)
    dots_t = {pid: n for pid, n in dots_r.items() if pid not in touched_people}
    dots_t |= {pid: 0 for pid in target_votes if pid not in dots_r and pid not in touched_people}
    agents_t = {cell: n for cell, n in agents_r.items() if cell not in touched_cells}
    agents_t |= {cell: 0 for cell in target_demand
                 if cell not in agents_r and cell not in touched_cells}
    kept_people = sorted(touched_people & {pid for pid, n in dots_s.items() if n > 0})
    kept_cells = sorted(touched_cells & {cell for cell, n in agents_s.items() if n > 0})
    was = ({pid: v.dots for pid, v in target_votes.items()},
           {c: d.agents for c, d in target_demand.items()})

    _set_votes(db, seance, target_votes, target.id, dots_t)
    _set_votes(db, seance, source_votes, source.id, dots_s)
    _set_demand(db, target_demand, target.id, agents_t)
    _set_demand(db, source_demand, source.id, agents_s)
    source.merged_into_id = None
    db.add(source)
    events.record(db, "need.unmerged", actor, seance_id=seance.id, target_id=target.id,
                  source_id=source.id, merge_event_id=history.undone.id,
                  dots={"target": _ids({k: v.dots for k, v in target_votes.items()
                                        if v.dots > 0}),
                        "source": _ids(dots_s), "kept": kept_people},
                  demand={"target": _cells({c: d.agents for c, d in target_demand.items()
                                            if d.agents > 0}),
                          "source": _cells(agents_s), "kept": [list(c) for c in kept_cells]})
    returned = fitting.refit(db, seance, actor, fitting.returned_for("unmerged", seance,
                                                                      (source, target)),
                             set(dots_s) | set(was[0]) | set(dots_t), last=(source.id,))
    db.commit()
    after = reads.snapshot(db, seance)
    people = sorted({pid for pid, n in dots_t.items() if was[0].get(pid, 0) != n} | set(dots_s))
    places = sorted({c for c, _ in agents_s} | {c for (c, y), n in agents_t.items()
                                                if was[1].get((c, y), 0) != n})
    result = UnmergeResult(target, source, people, places, after, returned,
                           len(kept_people) + len(kept_cells))
    publish(Change("need.unmerged", seance.id, (source.id, target.id), built=result))
    fitting.publish_returned(seance.id, returned)
    return result


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
    """Take a need off the board (its dots stop counting: freed for the participants) or
    put it back. Shown again, it gives way: each participant's dots are fitted to the
    budget and cap with that need last (`fitting.refit`); what no longer fits goes back
    to them, with `vote.returned` rows, and they are told."""
    need = db.get(Need, need_id)
    if need is None or need.seance_id != seance.id or need.merged_into_id is not None:
        return rules.UNKNOWN_NEED
    actor = events.facilitator_actor(facilitator_id)
    returned = fitting.returned_for("shown", seance, (need,))
    voters = [] if hidden else _voters(db, need.id)
    fitting.lock(db, voters)
    need.hidden = hidden
    db.add(need)
    kind = "need.hidden" if hidden else "need.shown"
    events.record(db, kind, actor, seance_id=seance.id, need_id=need.id)
    if voters:
        fitting.refit(db, seance, actor, returned, voters, last=(need.id,))
    db.commit()
    publish(Change(kind, seance.id, (need.id,)))
    fitting.publish_returned(seance.id, returned)
    return need
