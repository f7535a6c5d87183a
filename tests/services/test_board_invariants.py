"""The room's invariants whatever anyone does (issue 14, items 1-3): a stateful property test.

Hypothesis drives the real services (votes of several participants of several
collectivités, a proxy entry among them; declarations; hide, show, merge,
un-merge; budget and cap changes) on a real database, and after every step
checks, against the tables and the event log:
- each participant counts at most the budget in all and the cap on one need;
- one agents figure per collectivité × need × year, and a merged duplicate
  holds none (nothing is counted twice);
- the totals the board shows (`board.snapshot`) are the totals stored;
- replaying the event log gives the stored dots and figures (every change,
  returned dots included, is recorded);
- merges and un-merges alone (one need or several into one, `merge` and
  `merge_many`, nested, un-merged in any order) never grow the agents nor a
  participant's dots, never put dots on a need the participant did not choose,
  and once every merge made since is undone, every need's figures, every
  participant's dots and every merge are exactly as before (checked against a
  snapshot taken before the first of those merges).
"""

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text
from sqlmodel import select

from tests import factories
from workshop.domain.rules import Refusal
from workshop.models import Event
from workshop.schemas import SeanceSettings
from workshop.services import board, seances

YEARS = (2027, 2028, 2029)
TOWNS = ("Orchies", "Cysoing", "Bachy")


class BoardMachine(RuleBasedStateMachine):
    db = None  # the test's session, set by the test below
    owner = None
    perimetre = None  # shared by the examples' séances (each example starts a new séance)

    needs = Bundle("needs")

    def __init__(self):
        super().__init__()
        self.seance = None
        self.people = []
        self.added = 0
        # Merges and un-merges only since `clean[0]` (the stored state, `_state`); `clean[1]`:
        # the needs merged since, still merged. None: something else happened.
        self.clean = None

    @initialize(target=needs, budget=st.integers(2, 5), cap=st.integers(1, 3))
    def a_room(self, budget, cap):
        db = self.db
        cap = min(cap, budget)
        self.seance = factories.seance(db, self.owner, self.perimetre, dot_budget=budget,
                                       max_dots_per_need=cap)  # a new séance per example
        factories.phase(db, self.seance, "vote")
        self.people = [factories.participant(db, self.seance, town) for town in TOWNS] + \
            [factories.participant(db, self.seance, "Orchies"), factories.proxy(db, self.seance,
                                                                               "Genech")]
        made = [factories.need(db, self.seance, f"Besoin {i}") for i in range(3)]
        return multiple(*[n.id for n in made])

    @precondition(lambda self: self.added < 2)
    @rule(target=needs)
    def add_need(self):
        self.added += 1
        self.clean = None
        return factories.need(self.db, self.seance, "Besoin ajouté").id

    @rule(ballots=st.lists(st.tuples(st.integers(0, 4), needs, st.integers(0, 3)), min_size=1,
                           max_size=6))
    def vote(self, ballots):
        """A few votes together, as the group commit stores them (`cast_many`)."""
        self.clean = None
        board.cast_many(self.db, [board.Ballot(self.seance.id, self.people[who].id, need, dots)
                                  for who, need, dots in ballots])

    @rule(who=st.integers(0, 4), need=needs, year=st.sampled_from(YEARS), agents=st.integers(0, 20))
    def declare(self, who, need, year, agents):
        self.clean = None
        board.declare(self.db, self.seance, self.people[who], need, year, agents)

    @rule(need=needs)
    def hide(self, need):
        self.clean = None
        board.set_hidden(self.db, self.seance, need, True, self.owner.id)

    @rule(need=needs)
    def show(self, need):
        self.clean = None
        board.set_hidden(self.db, self.seance, need, False, self.owner.id)

    @rule(kept=needs, duplicate=needs)
    def merge(self, kept, duplicate):
        before = self._before_merging()
        self._merged(before, board.merge(self.db, self.seance, kept, duplicate, self.owner.id))

    @rule(kept=needs, ticked=st.lists(needs, min_size=1, max_size=4))
    def merge_many(self, kept, ticked):
        """The merge panel's ticked needs joining the one kept: several into one need."""
        before = self._before_merging()
        self._merged(before, board.merge_many(self.db, self.seance, kept, ticked, self.owner.id))

    @rule(need=needs)
    def unmerge(self, need):
        self._unmerged(need, board.unmerge(self.db, self.seance, need, self.owner.id))

    @precondition(lambda self: self.clean is not None and self.clean[1])
    @rule(data=st.data())
    def separate_everything_merged_since(self, data):
        """"Séparer" on each need merged since the snapshot, in any order the nesting
        allows: every figure and every dot is back as it was."""
        pending = sorted(self.clean[1])
        while pending:
            need = data.draw(st.sampled_from(pending))
            result = board.unmerge(self.db, self.seance, need, self.owner.id)
            if isinstance(result, Refusal):
                assert result.code == "regroupement_imbrique", result.code
                continue
            pending.remove(need)
            self._unmerged(need, result)
        assert self.clean is not None and self.clean[1] == set()
        assert self._state() == self.clean[0]

    def _before_merging(self):
        return self._state() if self.clean is None else None

    def _merged(self, before, result):
        if isinstance(result, Refusal):
            return  # nothing written
        if self.clean is None:
            self.clean = (before, set())
        results = result if isinstance(result, list) else [result]
        self.clean[1].update(r.source.id for r in results)

    def _unmerged(self, need, result):
        if isinstance(result, Refusal):
            return
        if self.clean is None or need not in self.clean[1]:
            self.clean = None  # a merge made before the snapshot: not "nothing in between"
            return
        self.clean[1].discard(need)
        if not self.clean[1]:
            assert self._state() == self.clean[0]

    def _state(self) -> tuple[dict, dict, dict]:
        """Every stored dot (participant, need), figure (need, collectivité, year) and merge."""
        self.db.expire_all()
        return ({(p, n): d for p, n, d in self._rows(
                    "SELECT participant_id, need_id, dots FROM vote WHERE seance_id = :s") if d > 0},
                {(n, c, y): a for n, c, y, a in self._rows(
                    "SELECT d.need_id, d.collectivite_id, d.year, d.agents FROM demand d "
                    "JOIN need n ON n.id = d.need_id WHERE n.seance_id = :s") if a > 0},
                dict(self._rows("SELECT id, merged_into_id FROM need WHERE seance_id = :s")))

    @rule(budget=st.integers(1, 5), cap=st.integers(1, 3))
    def vote_settings(self, budget, cap):
        seances.update_settings(self.db, self.seance, SeanceSettings(
            dot_budget=budget, max_dots_per_need=min(cap, budget), weighting="participant"),
            self.owner.id)

    # --- what must hold after every step ----------------------------------------------

    def _rows(self, sql: str):
        return self.db.exec(text(sql).bindparams(s=self.seance.id)).all()

    @invariant()
    def budget_and_cap_hold(self):
        if self.seance is None:
            return
        budget, cap = self._rows("SELECT dot_budget, max_dots_per_need FROM seance WHERE id = :s")[0]
        spent = defaultdict(int)
        for participant, dots in self._rows(
                "SELECT v.participant_id, v.dots FROM vote v JOIN need n ON n.id = v.need_id "
                "WHERE v.seance_id = :s AND v.dots > 0 AND NOT n.hidden "
                "AND n.merged_into_id IS NULL"):
            assert dots <= cap, (participant, dots, cap)
            spent[participant] += dots
        assert all(total <= budget for total in spent.values()), (dict(spent), budget)
        # What each phone is told it has left (`mine_many`: what a merge's phones are sent).
        for pid, mine in board.mine_many(self.db, self.seance, self.people).items():
            assert mine.left == max(budget - spent[pid], 0)

    @invariant()
    def one_figure_per_collectivite_need_and_year_and_none_on_a_duplicate(self):
        if self.seance is None:
            return
        assert self._rows(
            "SELECT d.need_id, d.collectivite_id, d.year FROM demand d JOIN need n "
            "ON n.id = d.need_id WHERE n.seance_id = :s GROUP BY d.need_id, d.collectivite_id, "
            "d.year HAVING count(*) > 1") == []
        assert self._rows(
            "SELECT d.need_id FROM demand d JOIN need n ON n.id = d.need_id WHERE n.seance_id = :s "
            "AND n.merged_into_id IS NOT NULL AND d.agents > 0") == []
        assert self._rows(
            "SELECT v.need_id FROM vote v JOIN need n ON n.id = v.need_id WHERE v.seance_id = :s "
            "AND n.merged_into_id IS NOT NULL AND v.dots > 0") == []

    @invariant()
    def the_board_shows_what_is_stored(self):
        if self.seance is None:
            return
        self.db.expire_all()
        snapshot = board.snapshot(self.db, self.seance)
        dots = defaultdict(int)
        for need, n in self._rows("SELECT need_id, dots FROM vote WHERE seance_id = :s"):
            dots[need] += n
        agents = defaultdict(lambda: defaultdict(int))
        for need, year, n in self._rows(
                "SELECT d.need_id, d.year, d.agents FROM demand d JOIN need n ON n.id = d.need_id "
                "WHERE n.seance_id = :s AND d.agents > 0"):
            agents[need][year] += n
        for view in snapshot.needs:
            assert view.dots == dots[view.need.id], view.need.id
            assert view.by_year == dict(agents[view.need.id]), view.need.id
        for view in snapshot.hidden:
            assert view.by_year == dict(agents[view.need.id])

    @invariant()
    def the_event_log_replays_to_the_tables(self):
        if self.seance is None:
            return
        votes, demand = replay(self.db.exec(
            select(Event).where(Event.seance_id == self.seance.id).order_by(Event.id)))
        stored_votes = {(p, n): d for p, n, d in self._rows(
            "SELECT participant_id, need_id, dots FROM vote WHERE seance_id = :s") if d > 0}
        stored_demand = {(n, c, y): a for n, c, y, a in self._rows(
            "SELECT d.need_id, d.collectivite_id, d.year, d.agents FROM demand d JOIN need n "
            "ON n.id = d.need_id WHERE n.seance_id = :s") if a > 0}
        assert {k: v for k, v in votes.items() if v > 0} == stored_votes
        assert {k: v for k, v in demand.items() if v > 0} == stored_demand

    @invariant()
    def merges_alone_never_grow_nor_move_anything(self):
        """Since the snapshot only merges and un-merges: a need holds at most what it and the
        needs merged into it held (dots: their sum; agents: the larger per collectivité and
        year), no dot is on a need whose group the participant had none on, and the total of
        agents and each participant's dots never grow."""
        if self.seance is None or self.clean is None:
            return
        votes0, demand0, _ = self.clean[0]
        votes, demand, merged_into = self._state()

        def root(need):
            while merged_into.get(need) is not None:
                need = merged_into[need]
            return need

        group_dots, group_agents = defaultdict(int), defaultdict(int)
        for (pid, need), d in votes0.items():
            group_dots[pid, root(need)] += d
        for (need, c, y), a in demand0.items():
            group_agents[root(need), c, y] = max(group_agents[root(need), c, y], a)
        for (pid, need), d in votes.items():
            assert d <= group_dots[pid, root(need)], ("dots moved or grew", pid, need, d)
        for (need, c, y), a in demand.items():
            assert a <= group_agents[root(need), c, y], ("agents grew", need, c, y, a)
        assert sum(demand.values()) <= sum(demand0.values())
        for pid in {pid for pid, _ in votes}:
            assert sum(d for (p, _), d in votes.items() if p == pid) <= \
                sum(d for (p, _), d in votes0.items() if p == pid)


def replay(log) -> tuple[dict, dict]:
    """The dots (participant, need) and figures (need, collectivité, year) the log says."""
    votes: dict[tuple[int, int], int] = {}
    demand: dict[tuple[int, int, int], int] = {}

    def reset(need: int, dots: dict, cells: list) -> None:
        for key in [k for k in votes if k[1] == need]:
            votes[key] = 0
        for key in [k for k in demand if k[0] == need]:
            demand[key] = 0
        for p, d in dots.items():
            votes[int(p), need] = d
        for c, y, a in cells:
            demand[need, c, y] = a

    for event in log:
        p = event.payload
        if event.kind == "vote.set":
            votes[int(event.actor.split(":")[1]), p["need_id"]] = p["dots"]
        elif event.kind == "vote.returned":
            for need, n in p["returned"].items():
                votes[p["participant_id"], int(need)] = p["before"][need] - n
        elif event.kind == "demand.declared":
            demand[p["need_id"], p["collectivite_id"], p["year"]] = p["agents"]
        elif event.kind == "need.merged":
            reset(p["target_id"], p["dots"]["merged"], p["demand"]["merged"])
            reset(p["source_id"], {}, [])
        elif event.kind == "need.unmerged":
            reset(p["target_id"], p["dots"]["target"], p["demand"]["target"])
            reset(p["source_id"], p["dots"]["source"], p["demand"]["source"])
    return votes, demand


# Passing runs take ~20 s of CPU; a failing one shrinks its counterexample for longer.
@pytest.mark.timeout(400)
def test_the_rooms_invariants_hold_whatever_anyone_does(db, facilitator):
    BoardMachine.db, BoardMachine.owner = db, facilitator
    BoardMachine.perimetre = factories.perimetre(db, facilitator)
    run_state_machine_as_test(BoardMachine, settings=settings(
        max_examples=50, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
