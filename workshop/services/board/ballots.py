"""Ballots: the one place a vote is applied, and the hot path of a room voting at once.

`cast_many` judges a batch of ballots (gathered by the live layer's group
commit, `live/votes.py`) with the same checks as every other write
(`checks`, over named rows), stores the accepted ones and their event rows
with statements prepared once on the driver's cursor (`prepared`), commits
once, then publishes which needs moved.
"""

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import Session

from workshop.domain import rules
from workshop.domain.limits import ID_MAX
from workshop.domain.rules import Refusal
from workshop.models import Need, Participant, PhoneAction, Seance, Vote, utcnow
from workshop.services import events
from workshop.services.actions import Action
from workshop.services.board import checks
from workshop.services.board.checks import NOBODY, NeedRow, VoterRow
from workshop.services.changes import Change, publish
from workshop.services.prepared import Prepared


@dataclass
class VoteResult:
    need_id: int
    dots: int
    allocation: dict[int, int]
    left: int
    budget: int = 0


def vote(db: Session, seance: Seance, participant: Participant, need_id: int,
         dots: int) -> VoteResult | Refusal:
    """One vote on its own (a proxy entry, the demo): a batch of one (see `cast_many`)."""
    return cast_many(db, [Ballot(seance.id, participant.id, need_id, dots)])[0]


# The vote's statements, compiled once and run on the driver's cursor (see `prepared`). The
# reads take every participant or need of a batch at once (`:ids`, a JSON array of ids):
# a few round trips per batch, not a few per vote, which matters on PostgreSQL.
_IDS = {"sqlite": "(SELECT value FROM json_each(:ids))",
        "postgresql": "(SELECT CAST(jsonb_array_elements_text(CAST(:ids AS jsonb)) AS integer))"}


def _ids(ids) -> str:
    """The `:ids` of a batch: only ids the base can hold (a larger one names nothing)."""
    return json.dumps(sorted({i for i in ids if 0 < i <= ID_MAX}))


def _for_ids(sql: str, *binds) -> dict[str, Prepared]:
    return {name: Prepared(text(sql.format(ids=ids)).bindparams(*binds))
            for name, ids in _IDS.items()}


# Columns in the order of the named rows they become (checks.VoterRow, checks.NeedRow).
_VOTERS = _for_ids("SELECT p.id, p.seance_id, p.is_proxy, s.phase, s.closed_at, s.dot_budget, "
                   "s.max_dots_per_need "
                   "FROM participant p JOIN seance s ON s.id = p.seance_id WHERE p.id IN {ids}")
_NEEDS = _for_ids("SELECT id, seance_id, hidden, merged_into_id FROM need WHERE id IN {ids}")
_LOCK = Prepared(text("SELECT id FROM participant WHERE id IN {ids} ORDER BY id FOR UPDATE"
                      .format(ids=_IDS["postgresql"])))  # SQLite has one writer: no lock
_ALLOCATIONS = _for_ids(
    "SELECT v.participant_id, v.need_id, v.dots FROM vote v JOIN need n ON n.id = v.need_id "
    "WHERE v.participant_id IN {ids} AND n.hidden = :false",
    bindparam("false", type_=Need.__table__.c.hidden.type))
_UPSERT = Prepared(text(
    "INSERT INTO vote (seance_id, participant_id, need_id, dots, updated_at) "
    "VALUES (:seance, :participant, :need, :dots, :at) "
    "ON CONFLICT (participant_id, need_id) DO UPDATE SET dots = excluded.dots, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("at", type_=Vote.__table__.c.updated_at.type)))


@dataclass(frozen=True)
class Ballot:
    seance_id: int
    participant_id: int
    need_id: int
    dots: int
    action_id: str | None = None  # the phone's id for this tap: a resend takes effect once

    @property
    def action(self) -> Action | None:
        return Action(self.participant_id, self.action_id) if self.action_id else None


def _replay(stored: dict) -> VoteResult:
    return VoteResult(stored["need_id"], stored["dots"], {}, stored["left"], stored["budget"])


# The action ids of a batch already applied (a resend): read like the rest, on the driver.
_NAMES = {"sqlite": "(SELECT value FROM json_each(:names))",
          "postgresql": "(SELECT jsonb_array_elements_text(CAST(:names AS jsonb)))"}
_RECALL = {name: Prepared(text(
    "SELECT participant_id, action_id, reply FROM phoneaction "
    f"WHERE participant_id IN {ids} AND action_id IN {_NAMES[name]}"))
    for name, ids in _IDS.items()}


def _recalled(raw, dialect, ballots: list[Ballot]) -> dict[Action, dict]:
    """{action: its stored reply} for the ballots' action ids already applied."""
    named = [b for b in ballots if b.action_id]
    if not named:
        return {}
    rows = _RECALL[dialect.name].run(raw, dialect, {
        "ids": _ids(b.participant_id for b in named),
        "names": json.dumps(sorted({b.action_id for b in named}))}).fetchall()
    return {Action(pid, name): reply if isinstance(reply, dict) else json.loads(reply)
            for pid, name, reply in rows}


_ACTION = Prepared(text(
    "INSERT INTO phoneaction (participant_id, action_id, reply, created_at) "
    "VALUES (:participant, :action, :reply, :at)"
).bindparams(bindparam("reply", type_=PhoneAction.__table__.c.reply.type),
             bindparam("at", type_=PhoneAction.__table__.c.created_at.type)))


def cast_many(db: Session, ballots: list[Ballot]) -> list[VoteResult | Refusal]:
    """Apply votes in order, in one transaction; the only place a vote is applied.

    Each ballot is judged as if alone, after the ones before it (a participant's
    second vote in the batch sees their first). The accepted ones are stored,
    with their event-log rows, by one commit: the live layer gathers the votes
    that arrive together (a group commit) and acknowledges them after it.
    Statements prepared once, on the driver's cursor (no ORM object). Dots on a
    need the facilitator hid are released: they no longer count against the
    budget (they count again if it comes back).
    """
    connection = db.connection()
    raw, dialect = connection.connection.dbapi_connection, connection.dialect
    people = _ids(b.participant_id for b in ballots)
    if dialect.name == "postgresql":  # one participant's votes one at a time, in id order
        _LOCK.run(raw, dialect, {"ids": people})
    voters = {row[0]: VoterRow._make(row) for row in
              _VOTERS[dialect.name].run(raw, dialect, {"ids": people}).fetchall()}
    needs = {row[0]: NeedRow._make(row) for row in _NEEDS[dialect.name].run(
        raw, dialect, {"ids": _ids(b.need_id for b in ballots)}).fetchall()}
    allocations: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, need_id, dots in _ALLOCATIONS[dialect.name].run(
            raw, dialect, {"ids": people, "false": False}).fetchall():
        allocations[pid][need_id] = dots
    results: list[VoteResult | Refusal] = []
    writes: list[dict] = []
    logs: list[dict] = []
    done = _recalled(raw, dialect, ballots)
    applied: list[dict] = []
    for ballot in ballots:
        pid, need_id, dots = ballot.participant_id, ballot.need_id, ballot.dots
        if ballot.action in done:
            results.append(_replay(done[ballot.action]))
            continue
        voter = voters.get(pid, NOBODY)
        refusal = checks.participant_refusal(voter, ballot.seance_id, voter.phase,
                                             voter.closed_at, "vote") \
            or checks.need_refusal(needs.get(need_id), ballot.seance_id)
        if refusal:
            results.append(refusal)
            continue
        budget, max_per_need = voter.dot_budget, voter.max_dots_per_need
        allocation = allocations[pid]
        refusal = rules.vote(allocation, need_id, dots, budget, max_per_need)
        if refusal:
            results.append(refusal)
            continue
        previous = allocation.get(need_id, 0)
        allocation[need_id] = dots
        at = utcnow()
        writes.append({"seance": ballot.seance_id, "participant": pid, "need": need_id,
                       "dots": dots, "at": at})
        logs.append(events.row("vote.set", f"participant:{pid}", at,
                               seance_id=ballot.seance_id, need_id=need_id, dots=dots,
                               previous=previous))
        result = VoteResult(need_id, dots, dict(allocation),
                            rules.dots_left(budget, sum(allocation.values())), budget)
        results.append(result)
        if ballot.action_id:
            reply = {"need_id": need_id, "dots": dots, "left": result.left, "budget": budget}
            done[ballot.action] = reply
            applied.append({"participant": pid, "action": ballot.action_id, "reply": reply,
                            "at": at})
    if writes:
        _UPSERT.run_many(raw, dialect, writes)
        events.insert_many(raw, dialect, logs)
        if applied:
            _ACTION.run_many(raw, dialect, applied)
        db.commit()
        voted: dict[int, set[int]] = defaultdict(set)
        for write in writes:
            voted[write["seance"]].add(write["need"])
        for seance_id, need_ids in voted.items():
            publish(Change("vote.set", seance_id, tuple(sorted(need_ids))))
    else:
        db.rollback()
    return results

