"""The room's invariants through the real services (issue 14, items 1-3): hide, show,
budget and cap changes, merge and un-merge never leave a participant above the budget
or the cap, and what goes back is recorded and published."""

import pytest
from sqlmodel import select

from tests import factories
from workshop.models import Demand, Vote
from workshop.schemas import SeanceSettings
from workshop.services import board, changes, seances, state


@pytest.fixture
def seance(db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    return seance


@pytest.fixture
def published():
    heard = []
    changes.subscribe(heard.append)
    yield heard
    changes._listeners.remove(heard.append)


def stored(db, participant):
    """need -> dots as stored (every row, hidden needs included)."""
    return {v.need_id: v.dots for v in db.exec(
        select(Vote).where(Vote.participant_id == participant.id, Vote.dots > 0)
        .execution_options(populate_existing=True))}


def figures(db, need):
    return {(d.collectivite_id, d.year): d.agents for d in db.exec(
        select(Demand).where(Demand.need_id == need.id, Demand.agents > 0)
        .execution_options(populate_existing=True))}


def counted(db, seance, participant):
    """What the participant counts, as etat.json says it."""
    data = state.seance_state(db, seance)
    return sum(v["dots"] for v in data["votes"] if v["participant_id"] == participant.id)


def settings(db, seance, budget, cap):
    return factories.ok(seances.update_settings(db, seance, SeanceSettings(
        dot_budget=budget, max_dots_per_need=cap, weighting=seance.weighting,
        tallies_visible=seance.tallies_visible), seance.owner_id))


def test_the_issue_case_a_need_shown_again_gives_way(db, seance, facilitator, published):
    """Budget 5, cap 3: 3 on A, 2 on B; A hidden; 3 on C; A shown again: A's dots go back."""
    p = factories.participant(db, seance, "Orchies")
    a, b, c = (factories.need(db, seance, t) for t in ("A", "B", "C"))
    factories.phase(db, seance, "vote")
    factories.ok(board.vote(db, seance, p, a.id, 3))
    factories.ok(board.vote(db, seance, p, b.id, 2))
    board.set_hidden(db, seance, a.id, True, facilitator.id)
    assert board.mine(db, seance, p).left == 3  # A's dots are freed
    factories.ok(board.vote(db, seance, p, c.id, 3))
    published.clear()

    factories.ok(board.set_hidden(db, seance, a.id, False, facilitator.id))

    assert stored(db, p) == {b.id: 2, c.id: 3}
    mine = board.mine(db, seance, p)
    assert mine.allocation == {b.id: 2, c.id: 3} and mine.left == 0
    assert counted(db, seance, p) == 5
    snapshot = board.snapshot(db, seance)
    assert {v.need.id: v.dots for v in snapshot.needs} == {a.id: 0, b.id: 2, c.id: 3}
    [event] = factories.events(db, seance, "vote.returned")
    assert event.payload == {"participant_id": p.id, "reason": "shown", "need_ids": [a.id],
                             "returned": {str(a.id): 3}, "before": {str(a.id): 3}}
    assert [c_.kind for c_ in published] == ["need.shown", "vote.returned"]
    returned = published[1].built
    assert (returned.reason, returned.titles, returned.count(p.id)) == ("shown", ("A",), 3)
    assert returned.by_participant == {p.id: {a.id: 3}}
    # A comes back to the board for P's next choices.
    assert board.vote(db, seance, p, a.id, 1).code == "budget_epuise"
    assert board.vote(db, seance, p, c.id, 2).left == 1


def test_a_need_shown_again_within_the_budget_keeps_its_dots(db, seance, facilitator, published):
    p = factories.participant(db, seance, "Orchies")
    a, b = (factories.need(db, seance, t) for t in ("A", "B"))
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, a.id, 3)
    board.set_hidden(db, seance, a.id, True, facilitator.id)
    board.vote(db, seance, p, b.id, 2)
    published.clear()
    board.set_hidden(db, seance, a.id, False, facilitator.id)
    assert stored(db, p) == {a.id: 3, b.id: 2}
    assert factories.events(db, seance, "vote.returned") == []
    assert [c.kind for c in published] == ["need.shown"]


def test_a_cap_lowered_while_hidden_applies_when_shown(db, seance, facilitator):
    p = factories.participant(db, seance, "Orchies")
    a = factories.need(db, seance, "A")
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, a.id, 3)
    board.set_hidden(db, seance, a.id, True, facilitator.id)
    settings(db, seance, 5, 2)
    assert stored(db, p) == {a.id: 3}  # hidden: stored, not counted
    board.set_hidden(db, seance, a.id, False, facilitator.id)
    assert stored(db, p) == {a.id: 2}


def test_a_lower_budget_or_cap_gives_back_the_latest_dots(db, seance, published):
    p, q = factories.participant(db, seance, "Orchies"), factories.participant(db, seance, "Cysoing")
    a, b, c = (factories.need(db, seance, t) for t in ("A", "B", "C"))
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, a.id, 2)
    board.vote(db, seance, p, b.id, 3)
    board.vote(db, seance, q, c.id, 1)
    published.clear()

    settings(db, seance, 4, 3)
    assert stored(db, p) == {a.id: 2, b.id: 2}  # B was placed last: it gives way
    assert stored(db, q) == {c.id: 1}
    settings(db, seance, 4, 1)
    assert stored(db, p) == {a.id: 1, b.id: 1}
    assert [e.payload["reason"] for e in factories.events(db, seance, "vote.returned")] == \
        ["settings", "settings"]
    assert [c_.kind for c_ in published] == ["seance.settings", "vote.returned"] * 2
    assert published[-1].built.by_participant == {p.id: {a.id: 1, b.id: 1}}
    assert (published[-1].built.budget, published[-1].built.cap) == (4, 1)
    # Raising them gives nothing back, and nothing is published about returns.
    published.clear()
    settings(db, seance, 6, 3)
    assert stored(db, p) == {a.id: 1, b.id: 1}
    assert [c_.kind for c_ in published] == ["seance.settings"]


def test_merge_keeps_the_larger_figure_per_collectivite_and_year(db, seance, facilitator):
    """Issue 14, item 2: one commune declared 5 for 2027 on both duplicates: 5, not 10."""
    orchies, cysoing = (factories.participant(db, seance, n) for n in ("Orchies", "Cysoing"))
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    board.declare(db, seance, orchies, target.id, 2027, 5)
    board.declare(db, seance, orchies, source.id, 2027, 5)
    board.declare(db, seance, orchies, source.id, 2028, 2)
    board.declare(db, seance, cysoing, source.id, 2027, 7)
    board.declare(db, seance, cysoing, target.id, 2028, 1)

    result = factories.ok(board.merge(db, seance, target.id, source.id, facilitator.id))

    o, c = orchies.collectivite_id, cysoing.collectivite_id
    assert figures(db, target) == {(o, 2027): 5, (o, 2028): 2, (c, 2027): 7, (c, 2028): 1}
    assert figures(db, source) == {}
    assert [(x.collectivite_id, x.year, x.target, x.source, x.kept) for x in result.overlaps] == \
        [(o, 2027, 5, 5, 5)]
    assert result.names == {o: "Orchies"}
    shown = [v for v in result.board.needs if v.need.id == target.id][0]
    assert shown.by_year == {2027: 12, 2028: 3}


def test_merge_adds_dots_up_to_the_cap_and_returns_the_rest(db, seance, facilitator, published):
    p, q = factories.participant(db, seance, "Orchies"), factories.participant(db, seance, "Cysoing")
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, target.id, 3)
    board.vote(db, seance, p, source.id, 2)
    board.vote(db, seance, q, source.id, 1)
    published.clear()

    result = factories.ok(board.merge(db, seance, target.id, source.id, facilitator.id))

    assert stored(db, p) == {target.id: 3} and board.mine(db, seance, p).left == 2
    assert stored(db, q) == {target.id: 1}
    assert result.returned.by_participant == {p.id: {target.id: 2}}
    assert [c.kind for c in published] == ["need.merged", "vote.returned"]
    [event] = factories.events(db, seance, "need.merged")
    assert event.payload["dots"] == {"target": {str(p.id): 3},
                                     "source": {str(p.id): 2, str(q.id): 1},
                                     "merged": {str(p.id): 3, str(q.id): 1},
                                     "returned": {str(p.id): 2}}
    assert counted(db, seance, p) == 3


def test_unmerge_restores_both_needs_as_before(db, seance, facilitator, published):
    p, q = factories.participant(db, seance, "Orchies"), factories.participant(db, seance, "Cysoing")
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    board.declare(db, seance, p, target.id, 2027, 5)
    board.declare(db, seance, p, source.id, 2027, 4)
    board.declare(db, seance, q, source.id, 2028, 7)
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, target.id, 3)
    board.vote(db, seance, p, source.id, 2)
    board.vote(db, seance, q, source.id, 1)
    before = {n.id: (figures(db, n), {x.id: stored(db, x).get(n.id, 0) for x in (p, q)})
              for n in (target, source)}
    board.merge(db, seance, target.id, source.id, facilitator.id)
    published.clear()

    result = factories.ok(board.unmerge(db, seance, source.id, facilitator.id))

    after = {n.id: (figures(db, n), {x.id: stored(db, x).get(n.id, 0) for x in (p, q)})
             for n in (target, source)}
    assert after == before
    assert result.kept == 0 and not result.returned
    snapshot = board.snapshot(db, seance)
    assert sorted(v.need.id for v in snapshot.needs) == [target.id, source.id]
    assert snapshot.merged == []
    [event] = factories.events(db, seance, "need.unmerged")
    assert (event.payload["source_id"], event.payload["target_id"]) == (source.id, target.id)
    assert [c.kind for c in published] == ["need.unmerged"]
    assert set(result.participants) == {p.id, q.id}
    # Unmerged twice: refused, nothing written.
    assert board.unmerge(db, seance, source.id, facilitator.id).code == "besoin_non_regroupe"
    assert board.unmerge(db, seance, target.id, facilitator.id).code == "besoin_non_regroupe"
    assert board.unmerge(db, seance, 99_999, facilitator.id).code == "besoin_inconnu"


def test_unmerge_keeps_later_choices_on_the_kept_need_then_fits(db, seance, facilitator,
                                                               published):
    """Changes made on the merged need stay there; the duplicate gets its figures back and
    gives way if the participant's budget was spent since."""
    p, q = factories.participant(db, seance, "Orchies"), factories.participant(db, seance, "Cysoing")
    target, source, other = (factories.need(db, seance, t) for t in ("Paie", "Paye", "CACES"))
    board.declare(db, seance, p, target.id, 2027, 5)
    board.declare(db, seance, p, source.id, 2027, 5)
    board.declare(db, seance, q, target.id, 2027, 3)
    factories.phase(db, seance, "vote")
    board.vote(db, seance, p, target.id, 3)
    board.vote(db, seance, p, source.id, 2)
    board.vote(db, seance, q, target.id, 1)
    board.vote(db, seance, q, source.id, 1)
    board.merge(db, seance, target.id, source.id, facilitator.id)  # p: 3 (2 back); q: 2
    board.vote(db, seance, p, other.id, 2)  # p spends what came back
    board.vote(db, seance, q, target.id, 3)  # q changes the merged need: 3 stays there
    factories.phase(db, seance, "regroupement")
    board.declare(db, seance, p, target.id, 2027, 6)  # a later figure on the merged need
    factories.phase(db, seance, "vote")
    published.clear()

    result = factories.ok(board.unmerge(db, seance, source.id, facilitator.id))

    assert stored(db, p) == {target.id: 3, other.id: 2}  # source's 2 no longer fit: back
    assert stored(db, q) == {target.id: 3, source.id: 1}
    o, c = p.collectivite_id, q.collectivite_id
    assert figures(db, target) == {(o, 2027): 6, (c, 2027): 3}
    assert figures(db, source) == {(o, 2027): 5}
    assert result.kept == 2  # q's dots and Orchies' 2027 figure
    assert result.returned.by_participant == {p.id: {source.id: 2}}
    assert [c_.kind for c_ in published] == ["need.unmerged", "vote.returned"]
    for x in (p, q):
        assert counted(db, seance, x) <= seance.dot_budget


def test_nested_merges_are_undone_last_first(db, seance, facilitator):
    a, b, c = (factories.need(db, seance, t) for t in ("A", "B", "C"))
    board.merge(db, seance, b.id, c.id, facilitator.id)
    board.merge(db, seance, a.id, b.id, facilitator.id)
    assert board.unmerge(db, seance, c.id, facilitator.id).code == "regroupement_imbrique"
    factories.ok(board.unmerge(db, seance, b.id, facilitator.id))
    factories.ok(board.unmerge(db, seance, c.id, facilitator.id))
    assert sorted(v.need.id for v in board.snapshot(db, seance).needs) == [a.id, b.id, c.id]


# --- on PostgreSQL: the same rules, and a vote in flight is waited for ----------------


@pytest.fixture
def pg(postgres_url):
    from sqlmodel import Session

    from workshop import migrate
    from workshop.db import make_engine
    from workshop.services import reference

    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = factories.facilitator(db)
        seance_ = factories.seance(db, owner, factories.perimetre(db, owner))
        factories.phase(db, seance_, "recueil")
    yield engine, seance_
    engine.dispose()


def test_showing_a_need_waits_for_a_vote_in_flight_on_postgresql(pg):
    """The issue's case with the last vote still uncommitted when the need is shown: the
    show waits for the participant's row, then sees the vote and gives A's dots back."""
    import threading

    from sqlalchemy import text
    from sqlmodel import Session

    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as db:
        p = factories.participant(db, seance_, "Orchies")
        a, b, c = (factories.need(db, seance_, t) for t in ("A", "B", "C"))
        factories.phase(db, seance_, "vote")
        board.vote(db, seance_, p, a.id, 3)
        board.vote(db, seance_, p, b.id, 2)
        board.set_hidden(db, seance_, a.id, True, seance_.owner_id)
    in_flight = engine.connect()  # the group commit storing P's 3 dots on C, not committed yet
    transaction = in_flight.begin()
    in_flight.execute(text("SELECT id FROM participant WHERE id = :p FOR UPDATE"), {"p": p.id})
    in_flight.execute(text("INSERT INTO vote (seance_id, participant_id, need_id, dots, updated_at) "
                           "VALUES (:s, :p, :n, 3, now())"), {"s": seance_.id, "p": p.id, "n": c.id})
    results = []
    with Session(engine, expire_on_commit=False) as db:
        shows = threading.Thread(target=lambda: results.append(board.set_hidden(
            db, db.get(type(seance_), seance_.id), a.id, False, seance_.owner_id)))
        shows.start()
        shows.join(0.5)
        assert shows.is_alive()  # waits on P's row
        transaction.commit()
        in_flight.close()
        shows.join(10)
    assert not isinstance(results[0], board.Refusal)
    with Session(engine) as db:
        assert stored(db, p) == {b.id: 2, c.id: 3}
        assert counted(db, db.get(type(seance_), seance_.id), p) == 5


def test_merge_and_unmerge_on_postgresql(pg):
    from sqlmodel import Session

    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as db:
        p = factories.participant(db, seance_, "Orchies")
        target, source = factories.need(db, seance_, "Paie"), factories.need(db, seance_, "Paye")
        board.declare(db, seance_, p, target.id, 2027, 5)
        board.declare(db, seance_, p, source.id, 2027, 5)
        factories.phase(db, seance_, "vote")
        board.vote(db, seance_, p, target.id, 3)
        board.vote(db, seance_, p, source.id, 2)
        merged = factories.ok(board.merge(db, seance_, target.id, source.id, seance_.owner_id))
        assert len(merged.overlaps) == 1 and stored(db, p) == {target.id: 3}
        assert figures(db, target) == {(p.collectivite_id, 2027): 5}
        board.vote(db, seance_, p, target.id, 1)  # a later choice on the merged need (JSON read)
        result = factories.ok(board.unmerge(db, seance_, source.id, seance_.owner_id))
        assert result.kept == 1
        assert stored(db, p) == {target.id: 1, source.id: 2}
        assert figures(db, source) == {(p.collectivite_id, 2027): 5}
        assert figures(db, target) == {(p.collectivite_id, 2027): 5}


# --- several needs merged into one, then separated (the tester's case) ------------------


def whole(db, seance, people, needs):
    """Every need's figures and every participant's dots on them, as stored."""
    return ({n.id: figures(db, n) for n in needs},
            {x.id: {n.id: stored(db, x).get(n.id, 0) for n in needs} for x in people})


def three_duplicates(db, seance):
    """Needs 1, 2, 7 of the issue: P has 1/2/2 dots on them, Orchies and Cysoing figures."""
    p, q = factories.participant(db, seance, "Orchies"), factories.participant(db, seance, "Cysoing")
    needs = [factories.need(db, seance, t) for t in ("Paie", "Paye", "La paie")]
    o, c = p.collectivite_id, q.collectivite_id
    for need, who, year, agents in ((0, p, 2027, 5), (1, p, 2027, 4), (2, p, 2028, 6),
                                    (1, q, 2027, 3), (2, q, 2027, 8), (0, q, 2028, 2)):
        board.declare(db, seance, who, needs[need].id, year, agents)
    factories.phase(db, seance, "vote")
    for need, who, dots in ((0, p, 1), (1, p, 2), (2, p, 2), (0, q, 1), (2, q, 1)):
        factories.ok(board.vote(db, seance, who, needs[need].id, dots))
    return (p, q), needs, (o, c)


def total_agents(db, seance):
    return sum(sum(v.by_year.values()) for v in board.snapshot(db, seance).needs)


@pytest.mark.parametrize("order", [(1, 2), (2, 1)])
@pytest.mark.parametrize("how", ["ticked", "one_after_the_other"])
def test_merging_three_then_separating_each_restores_every_figure_and_dot(
        db, seance, facilitator, published, order, how):
    """Issue 14 item 3, tester's case: merge [1, 2, 7] keeping 1 (ticked together, or 2 then
    7 into 1), then "Séparer" each, in either order: every need is back as it was, nothing
    doubled, nobody's dots moved to a need they did not choose, and "0 changed since"."""
    people, needs, _ = three_duplicates(db, seance)
    before, agents_before = whole(db, seance, people, needs), total_agents(db, seance)
    kept, *duplicates = needs
    if how == "ticked":
        assert len(factories.ok(board.merge_many(db, seance, kept.id,
                                                 [n.id for n in needs], facilitator.id))) == 2
    else:
        for duplicate in duplicates:
            factories.ok(board.merge(db, seance, kept.id, duplicate.id, facilitator.id))
    p, q = people
    assert stored(db, p) == {kept.id: 3}  # 1 + 2 + 2, at most 3: 2 went back to P's budget
    assert total_agents(db, seance) <= agents_before

    first = factories.ok(board.unmerge(db, seance, needs[order[0]].id, facilitator.id))
    assert first.kept == 0 and not first.returned
    assert total_agents(db, seance) <= agents_before
    second = factories.ok(board.unmerge(db, seance, needs[order[1]].id, facilitator.id))
    assert second.kept == 0 and not second.returned

    assert whole(db, seance, people, needs) == before
    assert stored(db, p) == {needs[0].id: 1, needs[1].id: 2, needs[2].id: 2}
    assert total_agents(db, seance) == agents_before
    for event in factories.events(db, seance, "need.unmerged"):
        assert event.payload["dots"]["kept"] == [] and event.payload["demand"]["kept"] == []


def test_separating_one_of_two_merges_removes_exactly_its_contribution(db, seance, facilitator):
    """Un-merging 2 while 7 stays merged into 1: need 1 holds what 1 and 7 make together."""
    (p, q), needs, (o, c) = three_duplicates(db, seance)
    kept, second, third = needs
    factories.ok(board.merge_many(db, seance, kept.id, [second.id, third.id], facilitator.id))
    factories.ok(board.unmerge(db, seance, second.id, facilitator.id))
    assert figures(db, kept) == {(o, 2027): 5, (o, 2028): 6, (c, 2027): 8, (c, 2028): 2}
    assert figures(db, second) == {(o, 2027): 4, (c, 2027): 3}
    assert stored(db, p) == {kept.id: 3, second.id: 2}  # 1 + 2 on the merged need, 2 back on 2
    assert stored(db, q) == {kept.id: 2}


def test_later_choices_on_the_kept_need_stay_whatever_the_order(db, seance, facilitator):
    """A participant's vote and a declaration on the merged need, made after both merges,
    stay when each duplicate is separated; what nobody touched comes back exactly."""
    (p, q), needs, (o, c) = three_duplicates(db, seance)
    kept, second, third = needs
    factories.ok(board.merge(db, seance, kept.id, second.id, facilitator.id))
    factories.ok(board.merge(db, seance, kept.id, third.id, facilitator.id))
    factories.ok(board.vote(db, seance, q, kept.id, 3))  # q changes the merged need
    factories.phase(db, seance, "regroupement")
    factories.ok(board.declare(db, seance, p, kept.id, 2027, 9))  # a later figure
    factories.phase(db, seance, "vote")

    first = factories.ok(board.unmerge(db, seance, third.id, facilitator.id))
    assert first.kept == 1  # q's dots (q had 1 on 7; Orchies 2027 was not on 7)
    second_ = factories.ok(board.unmerge(db, seance, second.id, facilitator.id))
    assert second_.kept == 1  # Orchies 2027, declared since on the merged need (2 had it)
    assert figures(db, kept) == {(o, 2027): 9, (c, 2028): 2}
    assert figures(db, second) == {(o, 2027): 4, (c, 2027): 3}
    assert figures(db, third) == {(o, 2028): 6, (c, 2027): 8}
    assert stored(db, p) == {kept.id: 1, second.id: 2, third.id: 2}
    assert stored(db, q) == {kept.id: 3, third.id: 1}
