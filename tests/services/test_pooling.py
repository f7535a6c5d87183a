"""Pooling a line below threshold with another perimeter's séance (issue 17, item 9):
accept, both plans show it, withdraw (kept), refusal when the figures moved."""

import pytest
from sqlmodel import select

from tests import factories
from workshop.domain.rules import Refusal
from workshop.models import PlanPooling
from workshop.services import board, pooling
from workshop.services import plan as plan_service


@pytest.fixture
def two(db, facilitator):
    """9 agents of Orchies (Pévèle) and 7 of Merville (Flandre Lys) for 2028, same theme."""
    return factories.pooling_pair(db, facilitator)


def shared(db, seance):
    plan = plan_service.draft(db, seance).plan
    return [line for line in plan.lines if line.pooling is not None], plan


def test_an_accepted_pooling_shows_in_both_plans(db, facilitator, two):
    here, other, (ours, theirs) = two
    [offer] = pooling.offers(db, here, facilitator.id)[f"{ours.id}:2028"]
    assert (offer.ours, offer.theirs, offer.total, offer.their_key) == (9, 7, 16, f"{theirs.id}:2028")
    after = pooling.accept(db, here, offer.line_key, other.id, offer.their_key, facilitator.id)
    assert not isinstance(after, Refusal), after
    assert after.line.pooling is not None and after.line.territorialised
    [line], plan = shared(db, here)
    assert (line.total, line.pooled_total, line.year, line.pooling.partner) == (9, 16, 2028, "CC Flandre Lys")
    assert plan.below == [] and line.host_name(after.names) == "Orchies"  # most trainees
    [mirror], their_plan = shared(db, other)
    assert (mirror.total, mirror.pooled_total, mirror.pooling.partner) == (7, 16, "Pévèle")
    assert mirror.host_id is None and mirror.pool_host == "Orchies"  # the same host, seen from there
    assert plan.used[2028] == 2 and their_plan.used[2028] == 0  # the host's capacity only
    assert "action mutualisée avec CC Flandre Lys, 9 + 7 = 16 stagiaires" in line.reason
    assert [len(factories.events(db, s, "plan.pooled")) for s in (here, other)] == [1, 1]
    # No offer for a line pooled already; a second acceptance is refused.
    assert pooling.offers(db, here, facilitator.id) == {}
    again = pooling.accept(db, other, f"{theirs.id}:2028", here.id, f"{ours.id}:2028", facilitator.id)
    assert isinstance(again, Refusal) and again.code == "ligne_inconnue"


def test_withdrawing_keeps_the_acceptance_and_its_events(db, facilitator, two):
    here, other, (ours, theirs) = two
    factories.ok(pooling.accept(db, here, f"{ours.id}:2028", other.id, f"{theirs.id}:2028", facilitator.id))
    [row] = db.exec(select(PlanPooling)).all()
    # From the other séance's side: either facilitator may withdraw it.
    after = factories.ok(pooling.withdraw(db, other, row.id, facilitator.id))
    assert after.plan.lines == [] and [str(ln.key) for ln in after.plan.below] == [f"{theirs.id}:2028"]
    assert shared(db, here)[0] == []
    db.refresh(row)
    assert row.status == "withdrawn" and row.withdrawn_by_id == facilitator.id
    assert len(db.exec(select(PlanPooling)).all()) == 1
    assert [e.kind for e in factories.events(db, here) if e.kind.startswith("plan.")] == \
        ["plan.pooled", "plan.unpooled"]
    twice = pooling.withdraw(db, here, row.id, facilitator.id)
    assert isinstance(twice, Refusal) and twice.code == "mutualisation_inconnue"


def test_refused_when_the_other_figures_no_longer_reach_the_threshold(db, facilitator, two):
    here, other, (ours, theirs) = two
    [offer] = pooling.offers(db, here, facilitator.id)[f"{ours.id}:2028"]
    # Meanwhile Merville lowers its figure to 4: 9 + 4 = 13 < 15.
    person = factories.participant(db, other, "Merville")
    factories.ok(board.declare(db, other, person, theirs.id, 2028, 4))
    refused = pooling.accept(db, here, offer.line_key, other.id, offer.their_key, facilitator.id)
    assert isinstance(refused, Refusal) and refused.code == "mutualisation_caduque"
    assert "9 + 4 = 13 stagiaires, sous le seuil de 15" in str(refused.why)
    assert db.exec(select(PlanPooling)).all() == []


def test_an_accepted_pooling_that_no_longer_holds_is_shown_not_dropped(db, facilitator, two):
    here, other, (ours, theirs) = two
    factories.ok(pooling.accept(db, here, f"{ours.id}:2028", other.id, f"{theirs.id}:2028", facilitator.id))
    factories.ok(board.declare(db, other, factories.participant(db, other, "Merville"), theirs.id, 2028, 3))
    for seance in (here, other):
        lines, plan = shared(db, seance)
        [lapsed] = plan.lapsed_poolings
        assert lines == [] and len(plan.below) == 1
    assert "9 + 3 = 12, sous le seuil de 15" in str(shared(db, here)[1].lapsed_poolings[0].why)
    # Still accepted (the facilitator decides): withdrawing it is how it goes.
    assert db.exec(select(PlanPooling)).one().status == "accepted"


def test_only_a_seance_the_facilitator_runs_can_be_pooled_with(db, facilitator, two):
    here, other, (ours, theirs) = two
    stranger = factories.facilitator(db)
    refused = pooling.accept(db, here, f"{ours.id}:2028", other.id, f"{theirs.id}:2028", stranger.id)
    assert isinstance(refused, Refusal) and refused.code == "seance_inconnue"


def copy_of(db, facilitator, here, agents=9, year=2028, who="Orchies"):
    """Another perimeter over the same communes (what a re-imported séance used to create),
    whose séance has the same collectivité's agents on the same theme and year."""
    copy = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Pévèle (copie)"),
                            title="Pévèle 2027 (copie)")
    factories.phase(db, copy, "recueil")
    need = factories.need(db, copy, "Accueil du public", "acc-accueil-public")
    factories.ok(board.declare(db, copy, factories.participant(db, copy, who), need.id, year, agents))
    return copy, need


def test_a_seance_with_the_same_collectivites_is_never_pooled_with(db, facilitator, two):
    """The tester's case: a plan offered pooling with its own copy (9 + 9 = 18), the same
    agents of Orchies counted twice. Not offered (said why), and an acceptance is refused."""
    here, other, (ours, theirs) = two
    copy, copied = copy_of(db, facilitator, here)
    survey = pooling.survey(db, here, facilitator.id)
    assert [(o.seance.id, o.total) for o in survey.offers[f"{ours.id}:2028"]] == [(other.id, 16)]
    [aside] = survey.set_aside
    assert aside.seance.id == copy.id and str(aside.why) == \
        "agents de Orchies sur les deux lignes : ils seraient comptés deux fois"
    refused = pooling.accept(db, here, f"{ours.id}:2028", copy.id, f"{copied.id}:2028", facilitator.id)
    assert isinstance(refused, Refusal) and refused.code == "memes_collectivites"
    assert str(refused.why).startswith(
        "Mutualisation impossible avec Pévèle 2027 (copie) : agents de Orchies")
    assert db.exec(select(PlanPooling)).all() == []
    # From the copy's side too; with disjoint collectivités (Cysoing there) the offer comes back.
    assert pooling.offers(db, copy, facilitator.id)[f"{copied.id}:2028"][0].seance.id == other.id
    other_copy, moved = copy_of(db, facilitator, here, agents=6, who="Cysoing")
    assert {o.seance.id for o in pooling.offers(db, here, facilitator.id)[f"{ours.id}:2028"]} == \
        {other.id, other_copy.id}
