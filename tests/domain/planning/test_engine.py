"""Worked examples of the plan engine (DOMAIN.md, "From votes to a multi-year plan draft")."""

from workshop.domain.planning import Line, LineKey, NeedDemand, Plan, PlanInput, ThemeRule, build_plan

Y1, Y2, Y3 = 2027, 2028, 2029
HORIZON = (Y1, Y2, Y3)
ROOMY = {Y1: 100, Y2: 100, Y3: 100}


def theme(threshold: int = 15, max_group: int = 20, days: int = 2, financing: str = "cotisation",
          recurrence: int = 0, poolable: bool = True, code: str = "t") -> ThemeRule:
    reason = "Formation facturée à la collectivité (CACES)" if financing == "payant" else \
        "Prise en charge par le CNFPT"
    return ThemeRule(code, f"Thème {code}", threshold, max_group, days, financing, reason,
                     recurrence, poolable)


def need(need_id: int, rule: ThemeRule, demand: dict[tuple[int, int], int],
         priority: int | None = None) -> NeedDemand:
    return NeedDemand(need_id, f"Besoin {need_id}", rule, demand,
                      need_id if priority is None else priority)


def keys(options: dict) -> dict:
    """Pins, hosts and splits written as the stored text (`"1:2027"`), read as LineKey."""
    for name in ("pins", "hosts"):
        if name in options:
            options[name] = {LineKey.parse(k): v for k, v in options[name].items()}
    if "splits" in options:
        options["splits"] = frozenset(LineKey.parse(k) for k in options["splits"])
    return options


def plan(*needs: NeedDemand, years: tuple[int, ...] = HORIZON, capacity: dict[int, int] | None = None,
         **options) -> Plan:
    return build_plan(PlanInput(years, tuple(needs), ROOMY if capacity is None else capacity,
                                **keys(options)))


def by_key(p: Plan) -> dict[str, Line]:
    return {str(line.key): line for line in p.all_lines}


# Threshold


def test_fourteen_on_a_fifteen_theme_is_one_short():
    for years, poolable in (((Y1,), True), (HORIZON, False)):
        p = plan(need(1, theme(15, poolable=poolable), {(1, Y1): 9, (2, Y1): 5}), years=years)
        assert p.lines == [] and p.unplaced == []
        [line] = [ln for ln in p.below if ln.asked_year == Y1]
        # A line below threshold keeps the year its agents asked for.
        assert not line.territorialised and line.year == Y1 and line.groups == []
        assert line.missing == 1
        assert "1 stagiaire manquant pour atteindre 15" in line.reason
        assert "(IEL)" in line.reason and "périmètre voisin" in line.reason
        assert line.reason.endswith(".")


def test_twelve_on_a_twelve_theme_is_territorialised_in_the_year_asked():
    p = plan(need(1, theme(12, max_group=12), {(1, Y2): 7, (2, Y2): 5}))
    [line] = p.lines
    assert line.territorialised and line.year == Y2 and line.asked_year == Y2
    assert line.groups == [12] and line.total == 12
    assert p.below == [] and p.unplaced == []
    assert "année demandée" in line.reason and "seuil de 12 atteint" in line.reason


# Financing


def test_payant_theme_says_payante_and_cotisation_theme_says_so():
    caces = theme(12, financing="payant", poolable=False, code="caces")
    p = plan(need(1, caces, {(1, Y1): 12, (1, Y2): 3}),
             need(2, theme(15), {(1, Y1): 15}))
    caces_lines = [ln for ln in p.all_lines if ln.need_id == 1]
    assert len(caces_lines) == 2  # one territorialised, one below threshold
    for line in caces_lines:
        assert line.financing == "payant"
        assert "payante" in line.reason and "cotisation" not in line.reason
    [other] = [ln for ln in p.all_lines if ln.need_id == 2]
    assert other.financing == "cotisation"
    assert "financée par la cotisation" in other.reason and "payante" not in other.reason


# Groups


def test_thirty_on_twelve_max_twelve_gives_two_groups_and_carries_six():
    rule = theme(12, max_group=12)
    p = plan(need(1, rule, {(1, Y1): 20, (2, Y1): 10}))
    first = by_key(p)[f"1:{Y1}"]
    assert first.groups == [12, 12] and first.total == 24
    assert sum(first.carried.values()) == 6
    assert "6 en surnombre, reportés sur 2028" in first.reason
    # The six are carried to 2028 and, with nobody else there, end below the threshold,
    # keyed and dated by the year they were left over from.
    [rest] = [ln for ln in p.all_lines if ln is not first]
    assert str(rest.key) == f"1:{Y1}:reste" and rest.year == Y1 and rest.total == 6
    assert rest in p.below
    assert "pas de session en 2028 pour eux" in rest.reason


def test_carried_trainees_join_a_later_line_earliest_asked_first():
    rule = theme(12, max_group=12, poolable=False)
    p = plan(need(1, rule, {(1, Y1): 30, (2, Y2): 8}))
    lines = by_key(p)
    assert lines[f"1:{Y1}"].groups == [12, 12] and lines[f"1:{Y1}"].carried == {1: 6}
    later = lines[f"1:{Y2}"]
    # 6 carried + 8 asked = 14: one group of 12; the carried six are seated first.
    assert later.territorialised and later.year == Y2 and later.groups == [12]
    assert later.trainees == {1: 6, 2: 6} and later.carried == {2: 2}
    # Carried over is not pooled: the sentence says which.
    assert later.pooled_from == {} and later.carried_in == 6
    assert "dont 6 reportés de 2027" in later.reason and "demandés en" not in later.reason
    [last] = p.below
    assert str(last.key) == f"1:{Y2}:reste" and last.year == Y2
    assert last.trainees == {2: 2} and last.missing == 10


def test_hundred_on_fifteen_max_twenty_gives_six_groups():
    p = plan(need(1, theme(15, max_group=20), {(c, Y1): 10 for c in range(1, 11)}))
    [line] = p.lines
    assert len(line.groups) == 6
    assert all(15 <= g <= 20 for g in line.groups)
    assert sum(line.groups) == 100 == line.total
    assert line.carried == {} and p.below == []


def test_groups_cap_at_the_maximum_and_carry_the_rest():
    # 50 on 12..12: four groups of 12, two carried.
    p = plan(need(1, theme(12, max_group=12), {(1, Y3): 50}))
    [line] = p.lines
    assert line.groups == [12] * 4 and line.carried == {1: 2}
    [rest] = p.below
    assert str(rest.key) == f"1:{Y3}:reste" and rest.total == 2
    assert "pas d'année suivante dans l'horizon" in rest.reason
    assert "reportés sur" not in line.reason and "2 en surnombre, listés à part" in line.reason


# Pooling


def test_poolable_theme_pools_with_the_next_year():
    p = plan(need(1, theme(15), {(1, Y1): 8, (2, Y2): 9}))
    [line] = p.lines
    assert str(line.key) == f"1:{Y2}" and line.year == Y2 and line.asked_year == Y2
    assert line.pooled_from == {Y1: 8}
    assert line.trainees == {1: 8, 2: 9} and line.groups == [17]
    assert "dont 8 demandés en 2027" in line.reason
    assert p.below == []


def test_non_poolable_theme_does_not_pool():
    p = plan(need(1, theme(15, poolable=False), {(1, Y1): 8, (2, Y2): 9}))
    assert p.lines == [] and p.unplaced == []
    assert [(ln.asked_year, ln.total, ln.missing) for ln in p.below] == [(Y1, 8, 7), (Y2, 9, 6)]
    assert all("non regroupable avec l'année suivante" in ln.reason for ln in p.below)


def test_pooled_demand_still_short_keeps_each_year():
    p = plan(need(1, theme(15), {(1, Y1): 4, (1, Y2): 3, (2, Y3): 2}))
    # 2027 waits for 2028 only (7 together, 8 missing); 2028 waits for 2029 (5, 10 missing).
    assert [(str(ln.key), ln.year, ln.total, ln.pool, ln.missing) for ln in p.below] == \
        [(f"1:{Y1}", Y1, 4, 7, 8), (f"1:{Y2}", Y2, 3, 5, 10), (f"1:{Y3}", Y3, 2, 5, 10)]
    first, second, _ = p.below
    assert "même avec 2028, 7 stagiaires au total" in first.reason
    assert "8 stagiaires manquants pour atteindre 15" in first.reason
    assert first.reason != second.reason


# Capacity


def test_full_year_pushes_the_lower_priority_to_the_next_year():
    rule = theme(12, days=3)
    first, second = need(1, rule, {(1, Y1): 12}, priority=1), need(2, rule, {(2, Y1): 12}, priority=2)
    p = plan(second, first, capacity={Y1: 5, Y2: 5, Y3: 5})
    lines = by_key(p)
    assert lines[f"1:{Y1}"].year == Y1
    moved = lines[f"2:{Y1}"]
    assert moved.year == Y2 and moved.asked_year == Y1
    assert "2028 : 2027 pris par des actions mieux classées" in moved.reason
    assert p.used == {Y1: 3, Y2: 3, Y3: 0}


def test_no_room_at_all_leaves_the_line_unplaced():
    rule = theme(12, days=3)
    p = plan(need(1, rule, {(1, Y1): 12}), need(2, rule, {(2, Y1): 12}), capacity={Y1: 5, Y2: 2, Y3: 0})
    assert [str(ln.key) for ln in p.lines] == [f"1:{Y1}"]
    [line] = p.unplaced
    assert str(line.key) == f"2:{Y1}" and line.year is None and line.territorialised
    assert line.reason.startswith("Sans année") and "3 jours" in line.reason
    assert p.used == {Y1: 3, Y2: 0, Y3: 0}


# Pins


def test_pin_moves_a_line_and_the_rest_reflows():
    rule = theme(12, days=2)
    a, b = need(1, rule, {(1, Y1): 12}), need(2, rule, {(2, Y2): 12})
    capacity = {Y1: 2, Y2: 2, Y3: 2}
    free = by_key(plan(a, b, capacity=capacity))
    assert (free[f"1:{Y1}"].year, free[f"2:{Y2}"].year) == (Y1, Y2)

    pinned = by_key(plan(a, b, capacity=capacity, pins={f"1:{Y1}": Y2}))
    assert pinned[f"1:{Y1}"].year == Y2 and pinned[f"1:{Y1}"].pinned
    assert "épinglée par l'animateur" in pinned[f"1:{Y1}"].reason
    assert not pinned[f"1:{Y1}"].over_capacity
    moved = pinned[f"2:{Y2}"]
    assert moved.year == Y3 and not moved.pinned  # the year it had is taken by the pin


def test_pin_before_the_year_asked_is_ignored():
    rule = theme(12)
    p = plan(need(1, rule, {(1, Y2): 12}), pins={f"1:{Y2}": Y1})
    [line] = p.lines
    assert line.year == Y2 and not line.pinned


def test_pin_outside_the_horizon_is_ignored():
    p = plan(need(1, theme(12), {(1, Y1): 12}), pins={f"1:{Y1}": 2035})
    [line] = p.lines
    assert line.year == Y1 and not line.pinned


def test_pin_into_a_full_year_is_kept_and_flagged():
    rule = theme(12, days=3)
    p = plan(need(1, rule, {(1, Y1): 12}), capacity={Y1: 0, Y2: 0, Y3: 0}, pins={f"1:{Y1}": Y2})
    [line] = p.lines
    assert line.year == Y2 and line.pinned and line.over_capacity
    assert "au-delà de la capacité de 0 jour" in line.reason
    assert p.used[Y2] == 3


# Recurrence


def test_recurring_theme_comes_back_when_due():
    rule = theme(12, recurrence=2, financing="payant")
    p = plan(need(1, rule, {(1, Y1): 12}))
    assert [(str(ln.key), ln.year, ln.renewal) for ln in p.lines] == \
        [(f"1:{Y1}", Y1, 0), (f"1:{Y1}:r1", Y3, 1)]
    renewal = p.lines[1]
    assert renewal.asked_year == Y3 and renewal.trainees == {1: 12} and renewal.groups == [12]
    assert "renouvellement, tous les 2 ans" in renewal.reason and "payante" in renewal.reason


def test_yearly_renewal_is_said_every_year():
    p = plan(need(1, theme(12, recurrence=1), {(1, Y1): 12}))
    assert [ln.renewal for ln in p.lines] == [0, 1, 2]
    assert all("renouvellement annuel" in ln.reason for ln in p.lines[1:])


def test_renewal_due_after_the_horizon_is_not_listed():
    p = plan(need(1, theme(12, recurrence=3), {(1, Y1): 12}))
    assert [ln.renewal for ln in p.all_lines] == [0]


def test_renewal_waits_for_room():
    rule = theme(12, days=2, recurrence=1)
    p = plan(need(1, rule, {(1, Y1): 12}), need(2, rule, {(2, Y2): 12}), capacity={Y1: 2, Y2: 2, Y3: 4})
    lines = by_key(p)
    assert lines[f"1:{Y1}"].year == Y1
    # The renewal due in 2028 has the higher priority, so need 2 goes to 2029.
    assert lines[f"1:{Y1}:r1"].year == Y2
    assert lines[f"2:{Y2}"].year == Y3
    assert lines[f"1:{Y1}:r2"].year == Y3


# Host


def test_host_is_the_collectivite_with_most_trainees():
    p = plan(need(1, theme(12), {(1, Y1): 4, (2, Y1): 7, (3, Y1): 3}), coordinator_id=1)
    assert p.lines[0].host_id == 2 and not p.lines[0].host_chosen


def test_host_tie_goes_to_the_coordinator_when_tied_else_the_lowest_id():
    demand = {(5, Y1): 6, (3, Y1): 6, (9, Y1): 1}
    assert plan(need(1, theme(12), demand), coordinator_id=5).lines[0].host_id == 5
    assert plan(need(1, theme(12), demand), coordinator_id=9).lines[0].host_id == 3


def test_chosen_host_wins():
    p = plan(need(1, theme(12), {(1, Y1): 10, (2, Y1): 2}), coordinator_id=1, hosts={f"1:{Y1}": 2})
    assert p.lines[0].host_id == 2 and p.lines[0].host_chosen


# Splits


def test_split_makes_one_line_per_group():
    rule = theme(12, max_group=20)
    demand = {(1, Y1): 15, (2, Y1): 15, (3, Y1): 10}
    whole = plan(need(1, rule, demand)).lines[0]
    assert whole.groups == [14, 13, 13]
    p = plan(need(1, rule, demand), splits=frozenset({f"1:{Y1}"}))
    assert [str(ln.key) for ln in p.lines] == [f"1:{Y1}:g1", f"1:{Y1}:g2", f"1:{Y1}:g3"]
    assert [ln.groups for ln in p.lines] == [[14], [13], [13]]
    assert [ln.total for ln in p.lines] == [14, 13, 13]
    totals: dict[int, int] = {}
    for line in p.lines:
        for c, n in line.trainees.items():
            totals[c] = totals.get(c, 0) + n
    assert totals == whole.trainees
    assert sum(ln.days for ln in p.lines) == whole.days


def test_split_groups_can_be_pinned_apart():
    rule = theme(12, max_group=12)
    p = plan(need(1, rule, {(1, Y1): 24}), splits=frozenset({f"1:{Y1}"}), pins={f"1:{Y1}:g2": Y3})
    assert [(str(ln.key), ln.year) for ln in p.lines] == [(f"1:{Y1}:g1", Y1), (f"1:{Y1}:g2", Y3)]


# Horizon edges


def test_demand_after_the_horizon_is_listed_apart_and_never_placed():
    p = plan(need(1, theme(12), {(1, 2031): 30, (2, 2032): 5}))
    assert p.lines == [] and p.unplaced == []
    [line] = p.below
    assert str(line.key) == "1:apres" and line.year is None and line.total == 35
    assert "après l'horizon" in line.reason and "prochain plan" in line.reason
    assert p.used == {Y1: 0, Y2: 0, Y3: 0}


def test_demand_before_the_horizon_counts_for_its_first_year():
    p = plan(need(1, theme(12), {(1, 2025): 6, (2, Y1): 6}))
    [line] = p.lines
    assert line.year == Y1 and line.asked_year == Y1 and line.trainees == {1: 6, 2: 6}


def test_empty_horizon_gives_an_empty_plan():
    p = plan(need(1, theme(12), {(1, Y1): 12}), years=())
    assert p.all_lines == [] and p.used == {}


# Determinism


def _signature(p: Plan) -> list[tuple]:
    return [(ln.key, ln.year, tuple(ln.groups), tuple(sorted(ln.trainees.items())), ln.host_id, ln.reason)
            for ln in p.all_lines]


def test_same_input_gives_the_same_plan():
    rules = [theme(12, max_group=14, days=2, recurrence=2), theme(15, poolable=False, financing="payant"),
             theme(13, max_group=20, days=4)]
    needs = tuple(need(i, rules[i % 3], {(c, y): (i * 7 + c * 3 + y) % 17 for c in range(1, 6)
                                         for y in (2026, *HORIZON, 2030)}, priority=(i * 5) % 4 + 1)
                  for i in range(1, 9))
    data = PlanInput(HORIZON, needs, {Y1: 12, Y2: 20, Y3: 8}, coordinator_id=3,
                     **keys({"pins": {"2:2027": 2028}, "splits": {"4:2027"}}))
    first, second = build_plan(data), build_plan(data)
    assert _signature(first) == _signature(second)
    assert first.used == second.used


# Issue 17, rule 1: demand waits one year, not two


def test_demand_two_years_apart_is_not_pooled():
    p = plan(need(1, theme(15), {(1, Y1): 8, (2, Y3): 7}))
    assert p.lines == []
    assert [(str(ln.key), ln.year, ln.total, ln.missing) for ln in p.below] == \
        [(f"1:{Y1}", Y1, 8, 7), (f"1:{Y3}", Y3, 7, 8)]
    assert "aucune demande en 2028 pour compléter" in p.below[0].reason


def test_a_need_may_wait_longer_and_the_line_says_so():
    wide = NeedDemand(1, "Besoin 1", theme(15), {(1, Y1): 8, (2, Y3): 7}, 1, pool_years=2)
    [line] = plan(wide).lines
    assert (line.year, line.total, line.pooled_from) == (Y3, 15, {Y1: 8})
    assert "attente de 2 ans permise pour ce besoin" in line.reason


def test_statutory_kinds_are_listed_apart_without_threshold_or_capacity():
    rule = ThemeRule("int", "Intégration", 15, 20, 5, "cotisation", "", kind="integration")
    p = plan(need(1, rule, {(1, Y1): 3, (2, Y2): 1}), capacity={Y1: 0, Y2: 0, Y3: 0})
    assert p.lines == [] and p.below == [] and p.used == {Y1: 0, Y2: 0, Y3: 0}
    assert [(ln.year, ln.total, ln.missing) for ln in p.statutory] == [(Y1, 3, 0), (Y2, 1, 0)]
    assert "formation d'intégration, statutaire" in p.statutory[0].reason
