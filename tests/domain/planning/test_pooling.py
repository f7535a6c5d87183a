"""Accepted poolings with another perimeter as the engine's input (issue 17, item 9)."""

from tests.domain.planning.test_engine import HORIZON, Y1, Y2, by_key, need, theme
from tests.domain.planning.test_explain import check
from workshop.domain.planning import LineKey, PlanInput, Pooling, build_plan

NAMES = {1: "Orchies", 2: "Cysoing"}


def pooling(key: str, theirs: tuple[tuple[str, int], ...], partner: str = "CC du Pays de Mormal"):
    return Pooling(1, LineKey.parse(key), partner, 9, "Séance de Mormal", LineKey.parse("40:2028"), theirs)


def build(*needs, poolings=(), capacity=None):
    return build_plan(PlanInput(HORIZON, tuple(needs), capacity or {y: 100 for y in HORIZON},
                                coordinator_id=1, names=NAMES,
                                poolings={p.key: p for p in poolings}))


def test_a_pooled_line_is_territorialised_with_our_agents_only():
    """9 here + 7 there = 16 on a 15 threshold: one session in 2028, our 9 counted here."""
    rule = theme(15, max_group=20, days=2, poolable=False)
    accepted = pooling("1:2028", (("Bavay", 7),))
    plan = build(need(1, rule, {(1, Y2): 5, (2, Y2): 4}), poolings=[accepted])
    line = by_key(plan)["1:2028"]
    assert line.territorialised and line.year == Y2 and line.pooling == accepted
    assert line.trainees == {1: 5, 2: 4} and line.total == 9 and line.pooled_total == 16
    assert line.groups == [16] and line.days == 2 and line.missing == 0
    assert plan.below == [] and plan.lapsed_poolings == []
    # The host across both perimeters: Bavay has the most trainees; it is not ours.
    assert line.host_id is None and line.host_name(NAMES) == "Bavay"
    assert plan.used[Y2] == 0  # the session is held in the other perimeter
    assert line.reason == ("2028 : action mutualisée avec CC du Pays de Mormal, 9 + 7 = 16 stagiaires"
                           "\u00a0; seuil de 15 atteint ensemble, accueil à Bavay"
                           "\u00a0; financée par la cotisation.")
    check(line, plan)


def test_hosted_here_the_session_takes_our_days():
    rule = theme(15, max_group=20, days=3, poolable=False)
    plan = build(need(1, rule, {(1, Y1): 10}), poolings=[pooling("1:2027", (("Bavay", 6),))],
                 capacity={Y1: 2, Y2: 100, 2029: 100})
    line = by_key(plan)["1:2027"]
    assert line.host_id == 1 and line.host_name(NAMES) == "Orchies"
    assert plan.used[Y1] == 3 and line.over_capacity
    assert "au-delà de la capacité de 2 jours" in line.reason
    check(line, plan)


def test_a_pooling_that_no_longer_holds_is_reported_not_dropped():
    rule = theme(15, max_group=18, poolable=False)
    cases = [
        (need(1, rule, {(1, Y2): 9}), (("Bavay", 4),), "9 + 4 = 13, sous le seuil de 15"),
        (need(1, rule, {(1, Y2): 9}), (), "CC du Pays de Mormal n'a plus de demande sous le seuil"),
        (need(1, rule, {(1, Y2): 12}), (("Bavay", 8),), "20 stagiaires dépassent le groupe maximal de 18"),
        (need(1, rule, {(1, Y2): 16}), (("Bavay", 8),), "cette ligne atteint désormais le seuil seule"),
        (need(1, rule, {(1, Y1): 9}), (("Bavay", 8),), "plus aucune demande sous le seuil ici"),
    ]
    for demand, theirs, why in cases:
        plan = build(demand, poolings=[pooling("1:2028", theirs)])
        [lapsed] = plan.lapsed_poolings
        assert why in str(lapsed.why) and lapsed.pooling.key == LineKey(1, Y2)
        assert all(line.pooling is None for line in plan.all_lines)


def test_without_poolings_the_plan_is_unchanged():
    rule = theme(15, poolable=False)
    needs = (need(1, rule, {(1, Y2): 9}), need(2, rule, {(1, Y1): 20}))
    plain, with_other = build(*needs), build(*needs, poolings=[pooling("2:2027", (("Bavay", 3),))])
    assert [str(ln.key) for ln in plain.below] == ["1:2028"]
    assert [ln.reason for ln in plain.all_lines] == [ln.reason for ln in with_other.all_lines]
    assert len(with_other.lapsed_poolings) == 1  # 2:2027 reached the threshold alone


def test_agents_of_one_collectivite_are_never_pooled_twice():
    """A séance imported again as a copy: the same 9 agents of Orchies on both lines would
    make 9 + 9 = 18 "territorialised". The rule refuses it, whatever the figures, and an
    accepted pooling that shares a collectivité no longer holds."""
    from workshop.domain.planning import pooling as rule

    plan = build(need(1, theme(15, max_group=20, poolable=False), {(1, Y2): 5, (2, Y2): 4}))
    [line] = plan.below
    copy = rule.check(line, {1: 5, 2: 4}, 9, NAMES)
    assert (copy.ok, copy.code, copy.shared, copy.total) == (False, rule.SHARED, (1, 2), 18)
    assert str(copy.why) == "agents de Cysoing, Orchies sur les deux lignes : ils seraient comptés deux fois"
    one = rule.check(line, {2: 3, 7: 5}, 8, NAMES)  # Cysoing in both: refused even if 9 + 8 = 17
    assert one.code == rule.SHARED and one.shared == (2,)
    assert rule.check(line, {7: 6}, 6, NAMES).ok
    assert rule.check(line, {7: 5}, 5, NAMES).code == rule.UNDER
    assert rule.check(line, {7: 12}, 12, NAMES).code == rule.OVER
    accepted = Pooling(1, LineKey(1, Y2), "Pévèle-Carembault", 9, "Copie", LineKey(40, Y2),
                       (("Cysoing", 4), ("Orchies", 5)), frozenset({1, 2}))
    plan = build(need(1, theme(15, max_group=20, poolable=False), {(1, Y2): 5, (2, Y2): 4}),
                 poolings=[accepted])
    [lapsed] = plan.lapsed_poolings
    assert "ils seraient comptés deux fois" in str(lapsed.why)
    assert [ln.pooling for ln in plan.all_lines] == [None] and not plan.below[0].territorialised
