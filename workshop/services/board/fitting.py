"""Dots that no longer fit go back: the one place the dot invariants are restored.

Whatever happens on the board (a need shown again, a merge, an un-merge, a new
budget or cap per need), no participant counts more than the séance's budget in
all, nor more than the cap on one need (DOMAIN.md, "Regroupement" and "Vote";
issue 14, item 1). A write that may break this calls `refit` in its own
transaction, before its commit: each concerned participant's dots on the needs
that count (visible, not merged) go through `domain.merging.fit`, in the order
they were placed, the need that came back last (it gives way, never a choice the
participant made since). What does not fit goes back to the participant: the
stored dots are lowered and one `vote.returned` event row per participant says,
need by need, what was returned, from what, and why. After the commit the
caller publishes `Change("vote.returned", ..., built=Returned)`: the live layer
tells each of those participants, on every phone, in their language.

Concurrency: `lock` takes the participants' rows FOR UPDATE (in id order, as
the vote's group commit does, `ballots.cast_many`), so a vote and a refit of
the same participant run one after the other on PostgreSQL; SQLite has one
writer.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from workshop.domain.merging import fit
from workshop.models import Need, Participant, Vote
from workshop.services import events
from workshop.services.changes import Change, publish

REASONS = ("shown", "settings", "merged", "unmerged")


@dataclass(frozen=True)
class Returned:
    """Dots given back by one write, for the phones' notices.

    reason: one of REASONS. need_ids / titles: the needs the reason names (the need
    shown again; the merge's target then source). by_participant: participant ->
    need -> dots returned (> 0). budget, cap: the séance's settings after the write.
    """

    reason: str
    need_ids: tuple[int, ...]
    titles: tuple[str, ...]
    budget: int
    cap: int
    by_participant: dict[int, dict[int, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_participant)

    def count(self, participant_id: int) -> int:
        """Dots returned to one participant, in all."""
        return sum(self.by_participant.get(participant_id, {}).values())

    @property
    def touched(self) -> tuple[int, ...]:
        """Every need whose dots went down."""
        return tuple(sorted({n for given in self.by_participant.values() for n in given}))


def lock(db: Session, participant_ids: Iterable[int]) -> None:
    """Lock the participants' rows for the transaction (PostgreSQL; a no-op on SQLite)."""
    ids = sorted(set(participant_ids))
    if ids and db.get_bind().dialect.name == "postgresql":
        db.exec(select(Participant.id).where(Participant.id.in_(ids))
                .order_by(Participant.id).with_for_update()).all()


def counting(db: Session, seance_id: int,
             participant_ids: Iterable[int] | None = None) -> dict[int, list[Vote]]:
    """The votes that count (dots > 0 on visible, unmerged needs), per participant, in the
    order they were placed (oldest first). Rows read afresh (`populate_existing`): votes
    are written by the group commit without the ORM."""
    query = select(Vote).join(Need, Need.id == Vote.need_id).where(
        Vote.seance_id == seance_id, Vote.dots > 0, Need.hidden.is_(False),
        Need.merged_into_id.is_(None))
    if participant_ids is not None:
        query = query.where(Vote.participant_id.in_(sorted(set(participant_ids))))
    result: dict[int, list[Vote]] = defaultdict(list)
    for vote in db.exec(query.order_by(Vote.participant_id, Vote.updated_at, Vote.id)
                        .execution_options(populate_existing=True)):
        result[vote.participant_id].append(vote)
    return dict(result)


def refit(db: Session, seance, actor: str, returned: Returned,
          participant_ids: Iterable[int] | None = None, last: Iterable[int] = ()) -> Returned:
    """Bring the participants' counting dots within `seance`'s budget and cap, in the
    caller's transaction (not committed); add what was returned to `returned` and give it back.

    participant_ids: whom to check (None: everyone of the séance). last: needs that give
    way first (the ones coming back to the board). One `vote.returned` event row per
    participant who got dots back: {"participant_id", "reason", "need_ids",
    "returned": {need: dots}, "before": {need: dots}}.
    """
    db.flush()  # the caller's changes (a need shown, a merge) are what the read must see
    last = set(last)
    budget, cap = seance.dot_budget, seance.max_dots_per_need
    for participant_id, votes in counting(db, seance.id, participant_ids).items():
        ordered = [v for v in votes if v.need_id not in last] + \
                  [v for v in votes if v.need_id in last]
        result = fit([(v.need_id, v.dots) for v in ordered], budget, cap)
        if not result.returned:
            continue
        before = {}
        for vote in ordered:
            if result.returned.get(vote.need_id):
                before[vote.need_id] = vote.dots
                vote.dots = result.kept[vote.need_id]
                db.add(vote)
        given = returned.by_participant.setdefault(participant_id, {})
        for need_id, n in result.returned.items():
            given[need_id] = given.get(need_id, 0) + n
        events.record(db, "vote.returned", actor, seance_id=seance.id,
                      participant_id=participant_id, reason=returned.reason,
                      need_ids=list(returned.need_ids),
                      returned={str(k): v for k, v in result.returned.items()},
                      before={str(k): v for k, v in before.items()})
    return returned


def returned_for(reason: str, seance, needs: Iterable[Need] = ()) -> Returned:
    """An empty `Returned` for a write about these needs."""
    needs = list(needs)
    assert reason in REASONS, reason
    return Returned(reason, tuple(n.id for n in needs), tuple(n.title for n in needs),
                    seance.dot_budget, seance.max_dots_per_need)


def publish_returned(seance_id: int, returned: Returned) -> None:
    """After the commit: tell the participants who got dots back (nothing when nobody did)."""
    if returned:
        publish(Change("vote.returned", seance_id, returned.touched, built=returned))


def after_settings(db: Session, seance, actor: str) -> Returned:
    """The séance's budget or cap changed (set on `seance`, not committed): everyone's dots
    brought within them, the most recently placed giving way. In the caller's transaction."""
    lock(db, db.exec(select(Participant.id).where(Participant.seance_id == seance.id)).all())
    return refit(db, seance, actor, returned_for("settings", seance))
