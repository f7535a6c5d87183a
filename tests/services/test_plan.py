"""The plan draft fed from a real board, and the facilitator's adjustments."""

import pytest
from sqlmodel import select

from tests import factories
from workshop.domain.rules import Refusal
from workshop.models import PlanAdjustment
from workshop.services import board
from workshop.services import plan as plan_service


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator))


def declared(db, seance, title, theme_code, figures):
    """A need with agents declared by the named collectivités: {name: (agents, year)}."""
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, title, theme_code)
    for name, (agents, year) in figures.items():
        person = factories.participant(db, seance, name)
        assert not isinstance(board.declare(db, seance, person, need.id, year, agents), Refusal)
    return need


def keys(plan):
    return {line.key: line for line in plan.all_lines}


def test_the_board_becomes_a_plan(db, seance):
    need = declared(db, seance, "Gestion des conflits", "mgt-encadrement-proximite",
                    {"Orchies": (9, 2027), "Cysoing": (7, 2027), "Templeuve-en-Pévèle": (4, 2028)})
    small = declared(db, seance, "État civil", "jur-etat-civil", {"Orchies": (3, 2027)})
    plan, names = plan_service.build(db, seance)
    [line] = plan.lines
    assert (line.need_id, line.year, line.total) == (need.id, 2027, 16)
    assert names[line.host_id] == "Orchies"  # the most trainees
    assert plan.capacity == {2027: 40, 2028: 40, 2029: 40}
    below = {ln.need_id: ln for ln in plan.below}
    assert below[small.id].missing == 12
    assert below[need.id].total == 4  # Templeuve's 2028 agents wait, alone below threshold
    assert "(IEL)" in below[small.id].reason and below[small.id].year == 2027


def test_capacity_reflows_and_is_recorded(db, seance):
    for i, name in enumerate(("A", "B", "C")):
        declared(db, seance, f"Action {name}", "mgt-encadrement-proximite",
                 {"Orchies": (10, 2027), "Cysoing": (6 + i, 2027)})
    plan, _ = plan_service.build(db, seance)
    assert [ln.year for ln in plan.lines] == [2027, 2027, 2027]
    days = plan.lines[0].days
    plan_service.set_capacity(db, seance, {2027: days}, seance.owner_id)
    plan, _ = plan_service.build(db, seance)
    assert sorted(ln.year for ln in plan.lines) == [2027, 2028, 2028]
    assert plan.used[2027] == days
    [event] = factories.events(db, seance, "plan.capacity")
    assert event.payload == {"capacity": {"2027": days}}
    refused = plan_service.set_capacity(db, seance, {2027: -1}, seance.owner_id)
    assert refused.code == "capacite_invalide"
    assert plan_service.set_capacity(db, seance, {2040: 5}, seance.owner_id).code == \
        "annee_hors_horizon"


def test_pins_move_a_line_and_refuse_what_cannot_be(db, seance):
    declared(db, seance, "Conflits", "mgt-encadrement-proximite",
             {"Orchies": (10, 2027), "Cysoing": (6, 2027)})
    key = plan_service.build(db, seance)[0].lines[0].key
    assert not isinstance(plan_service.pin(db, seance, key, 2029, seance.owner_id), Refusal)
    line = keys(plan_service.build(db, seance)[0])[key]
    assert (line.year, line.pinned) == (2029, True)
    assert "épinglée" in line.reason

    assert plan_service.pin(db, seance, key, 2031, seance.owner_id).code == "annee_hors_horizon"
    assert plan_service.pin(db, seance, "999:2027", 2028, seance.owner_id).code == "ligne_inconnue"
    plan_service.set_capacity(db, seance, {2028: 1}, seance.owner_id)
    assert plan_service.pin(db, seance, key, 2028, seance.owner_id).code == "capacite_depassee"

    plan_service.pin(db, seance, key, None, seance.owner_id)
    line = keys(plan_service.build(db, seance)[0])[key]
    assert (line.year, line.pinned) == (2027, False)
    assert [e.kind for e in factories.events(db, seance) if e.kind.startswith("plan.")] == \
        ["plan.pinned", "plan.capacity", "plan.unpinned"]


def test_a_line_cannot_be_pinned_before_it_is_asked(db, seance):
    declared(db, seance, "Conflits", "mgt-encadrement-proximite",
             {"Orchies": (10, 2028), "Cysoing": (6, 2028)})
    key = plan_service.build(db, seance)[0].lines[0].key
    refused = plan_service.pin(db, seance, key, 2027, seance.owner_id)
    assert refused.code == "avant_demande"
    assert "2028" in refused.message


def test_host_must_be_in_the_perimeter(db, seance):
    declared(db, seance, "Conflits", "mgt-encadrement-proximite",
             {"Orchies": (10, 2027), "Cysoing": (6, 2027)})
    key = plan_service.build(db, seance)[0].lines[0].key
    cysoing = factories.collectivite_id(db, seance, "Cysoing")
    plan_service.set_host(db, seance, key, cysoing, seance.owner_id)
    line = keys(plan_service.build(db, seance)[0])[key]
    assert (line.host_id, line.host_chosen) == (cysoing, True)
    refused = plan_service.set_host(db, seance, key, factories.outsider_id(db), seance.owner_id)
    assert refused.code == "collectivite_hors_perimetre"


def test_split_and_join_back(db, seance):
    declared(db, seance, "Conflits", "mgt-encadrement-proximite",
             {"Orchies": (20, 2027), "Cysoing": (15, 2027)})
    [line] = plan_service.build(db, seance)[0].lines
    assert len(line.groups) == 2
    plan_service.set_split(db, seance, line.key, True, seance.owner_id)
    parts = plan_service.build(db, seance)[0].lines
    assert [str(p.key) for p in parts] == [f"{line.key}:g1", f"{line.key}:g2"]
    assert sum(p.total for p in parts) == 35
    plan_service.set_split(db, seance, parts[0].key, False, seance.owner_id)
    assert [p.key for p in plan_service.build(db, seance)[0].lines] == [line.key]


def test_a_one_group_line_cannot_be_split(db, seance):
    declared(db, seance, "Conflits", "mgt-encadrement-proximite", {"Orchies": (16, 2027)})
    key = plan_service.build(db, seance)[0].lines[0].key
    assert plan_service.set_split(db, seance, key, True, seance.owner_id).code == "un_seul_groupe"


def test_horizon_changes_the_years(db, seance):
    plan_service.set_horizon(db, seance, 2028, 5, seance.owner_id)
    plan, _ = plan_service.build(db, seance)
    assert plan.years == (2028, 2029, 2030, 2031, 2032)
    assert plan_service.set_horizon(db, seance, 2028, 11, seance.owner_id).code == "horizon_invalide"


def test_votes_order_the_plan(db, seance):
    first = declared(db, seance, "Peu voté", "mgt-encadrement-proximite", {"Orchies": (16, 2027)})
    second = declared(db, seance, "Très voté", "mgt-encadrement-proximite", {"Cysoing": (16, 2027)})
    factories.phase(db, seance, "vote")
    voter = factories.participant(db, seance, "Orchies")
    board.vote(db, seance, voter, second.id, 3)
    plan_service.set_capacity(db, seance, {2027: plan_service.build(db, seance)[0].lines[0].days},
                              seance.owner_id)
    plan, _ = plan_service.build(db, seance)
    by_need = {ln.need_id: ln for ln in plan.lines}
    assert by_need[second.id].year == 2027 and by_need[second.id].priority == 1
    assert by_need[first.id].year == 2028


def test_a_pin_follows_its_need_when_the_demand_moves_year(db, seance):
    """Issue 17, rule 4: line 2027 pinned to 2029; the commune moves its agents to 2028."""
    need = declared(db, seance, "Conflits", "mgt-encadrement-proximite",
                    {"Orchies": (10, 2027), "Cysoing": (6, 2027)})
    [line] = plan_service.build(db, seance)[0].lines
    assert str(line.key) == f"{need.id}:2027"
    plan_service.pin(db, seance, str(line.key), 2029, seance.owner_id)
    # Both move their agents to 2028 (a 0 for 2027, the figure for 2028).
    factories.phase(db, seance, "recueil")
    for name, agents in (("Orchies", 10), ("Cysoing", 6)):
        person = factories.participant(db, seance, name)
        board.declare(db, seance, person, need.id, 2027, 0)
        board.declare(db, seance, person, need.id, 2028, agents)
    plan, _ = plan_service.build(db, seance)
    [moved] = plan.lines
    assert str(moved.key) == f"{need.id}:2028"
    assert (moved.year, moved.pinned, str(moved.pin_from)) == (2029, True, f"{need.id}:2027")
    assert "épinglage repris de la demande de 2027" in moved.reason
    assert plan.stale_pins == []
    # Pinning it again stores the pin on its own key and drops the old one.
    again = plan_service.pin(db, seance, moved.key, 2029, seance.owner_id, str(moved.pin_from))
    assert again.line.pinned and again.line.pin_from is None  # the plan built once, after
    plan, _ = plan_service.build(db, seance)
    assert plan.lines[0].pin_from is None and plan.lines[0].pinned
    rows = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id)).all()
    stored = {a.line_key: a.pin_year for a in rows}
    assert stored == {f"{need.id}:2027": None, f"{need.id}:2028": 2029}


def test_a_pin_that_no_longer_applies_is_shown_then_can_be_removed(db, seance):
    need = declared(db, seance, "Conflits", "mgt-encadrement-proximite",
                    {"Orchies": (10, 2027), "Cysoing": (6, 2027)})
    key = plan_service.build(db, seance)[0].lines[0].key
    plan_service.pin(db, seance, key, 2028, seance.owner_id)
    factories.phase(db, seance, "recueil")
    board.declare(db, seance, factories.participant(db, seance, "Cysoing"), need.id, 2027, 2)
    plan, _ = plan_service.build(db, seance)
    assert plan.lines == []  # 12 < 15: below threshold now
    [stale] = plan.stale_pins
    assert (str(stale.key), stale.year) == (f"{need.id}:2027", 2028)
    assert "plus de ligne territorialisée" in str(stale.why)
    assert not isinstance(plan_service.pin(db, seance, str(stale.key), None, seance.owner_id), Refusal)
    assert plan_service.build(db, seance)[0].stale_pins == []


def test_the_need_and_the_seance_choose_kind_pooling_and_cost(db, seance):
    need = declared(db, seance, "CACES nacelle", "hs-caces", {"Orchies": (8, 2027), "Cysoing": (5, 2027)})
    plan, _ = plan_service.build(db, seance)
    [line] = plan.lines
    assert line.kind == "sante_securite" and line.cost == line.total * line.theme.days * line.cost_per_day
    plan_service.set_theme_cost(db, seance, "hs-caces", 200, seance.owner_id)
    [line] = plan_service.build(db, seance)[0].lines
    assert line.total == 12 and line.cost == 12 * line.theme.days * 200
    assert plan_service.set_theme_cost(db, seance, "mgt-encadrement-proximite", 5,
                                       seance.owner_id).code == "theme_non_payant"
    assert plan_service.set_theme_cost(db, seance, "hs-caces", -1, seance.owner_id).code == "cout_invalide"
    plan_service.set_need_plan(db, seance, need.id, "integration", None, seance.owner_id)
    plan, _ = plan_service.build(db, seance)
    assert plan.lines == [] and [ln.need_id for ln in plan.statutory] == [need.id]
    assert plan.used == {2027: 0, 2028: 0, 2029: 0}  # statutory: no capacity eaten
    assert plan_service.set_need_plan(db, seance, need.id, "autre", None, seance.owner_id).code == \
        "type_inconnu"
    assert plan_service.set_need_plan(db, seance, need.id, None, 9, seance.owner_id).code == \
        "attente_invalide"
