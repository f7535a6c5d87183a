"""Properties of the plan engine over random boards (hypothesis)."""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.planning import Plan, PlanInput, ThemeRule, build_plan
from workshop.domain.planning.model import NeedDemand

START = 2027
FAST = settings(max_examples=150, deadline=None)


@st.composite
def themes(draw) -> ThemeRule:
    threshold = draw(st.sampled_from([12, 13, 15]))
    financing = draw(st.sampled_from(["cotisation", "payant"]))
    return ThemeRule(
        code=f"t{draw(st.integers(0, 99))}", name="Thème", threshold=threshold,
        max_group=draw(st.integers(threshold, 20)), days=draw(st.integers(1, 5)), financing=financing,
        financing_reason=draw(st.sampled_from(["", "Réglementaire.", "Prise en charge par le CNFPT"])),
        recurrence_years=draw(st.integers(0, 3)), poolable=draw(st.booleans()),
        kind=draw(st.sampled_from(["perfectionnement", "perfectionnement", "sante_securite",
                                   "integration"])),
        cost_per_day=draw(st.sampled_from([0, 95, 120.5])))


@st.composite
def inputs(draw) -> PlanInput:
    """A random board, then splits and pins drawn from the keys of a first build."""
    years = tuple(range(START, START + draw(st.integers(1, 5))))
    collectivites = list(range(1, draw(st.integers(1, 8)) + 1))
    asked_years = list(range(years[0] - 1, years[-1] + 2))
    needs = []
    for need_id in range(1, draw(st.integers(1, 6)) + 1):
        demand = draw(st.dictionaries(st.tuples(st.sampled_from(collectivites), st.sampled_from(asked_years)),
                                      st.integers(0, 40), max_size=12))
        needs.append(NeedDemand(need_id, f"Besoin {need_id}", draw(themes()), demand,
                                priority=draw(st.integers(1, 6)), dots=draw(st.integers(0, 9)),
                                pool_years=draw(st.sampled_from([None, None, 0, 2]))))
    capacity = {y: draw(st.integers(0, 60)) for y in years}
    coordinator = draw(st.sampled_from([None, *collectivites]))
    data = PlanInput(years, tuple(needs), capacity, coordinator_id=coordinator)

    first = build_plan(data)
    several = sorted(ln.key for ln in first.lines + first.unplaced if len(ln.groups) > 1 and not ln.renewal)
    splits = frozenset(draw(st.lists(st.sampled_from(several), unique=True, max_size=2))) if several \
        else frozenset()
    data = PlanInput(years, tuple(needs), capacity, coordinator_id=coordinator, splits=splits)
    split_plan = build_plan(data)
    keys = sorted(ln.key for ln in split_plan.lines + split_plan.unplaced)
    pins = {}
    if keys:
        pins = draw(st.dictionaries(st.sampled_from(keys), st.sampled_from(years), max_size=4))
    hosts = {}
    if keys:
        hosts = draw(st.dictionaries(st.sampled_from(keys), st.sampled_from(collectivites), max_size=2))
    return PlanInput(years, tuple(needs), capacity, coordinator_id=coordinator, pins=pins, hosts=hosts,
                     splits=splits)


def territorialised(plan: Plan):
    return plan.lines + plan.unplaced


@FAST
@given(inputs())
def test_groups_stay_between_threshold_and_maximum(data):
    plan = build_plan(data)
    for line in territorialised(plan):
        assert line.territorialised and line.groups
        assert all(line.theme.threshold <= g <= line.theme.max_group for g in line.groups), line
        assert sum(line.groups) == line.total
    for line in plan.below + plan.statutory:
        assert not line.territorialised and line.groups == []
        # Below threshold, a line keeps the year its agents asked for (after the horizon: none).
        assert line.year == (None if line.key.part == "apres" else line.asked_year)


@FAST
@given(inputs())
def test_every_trainee_declared_is_on_exactly_one_first_line(data):
    plan = build_plan(data)
    got: dict[tuple[int, int], int] = defaultdict(int)
    for line in plan.all_lines:
        if line.renewal == 0:
            for collectivite, n in line.trainees.items():
                got[line.need_id, collectivite] += n
    wanted: dict[tuple[int, int], int] = defaultdict(int)
    for need in data.needs:
        for (collectivite, _year), agents in need.demand.items():
            wanted[need.need_id, collectivite] += agents
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in wanted.items() if v}


@FAST
@given(inputs())
def test_capacity_is_counted_and_respected(data):
    plan = build_plan(data)
    days: dict[int, int] = defaultdict(int)
    for line in plan.lines:
        days[line.year] += line.days
    assert plan.used == {y: days.get(y, 0) for y in plan.years}
    if not any(line.pinned and line.over_capacity for line in plan.lines):
        assert all(plan.used[y] <= data.capacity.get(y, 0) for y in plan.years)
    for line in plan.lines:
        assert line.over_capacity <= line.pinned  # only a pin can force a full year


@FAST
@given(inputs())
def test_valid_pins_are_respected(data):
    plan = build_plan(data)
    lines = {line.key: line for line in territorialised(plan)}
    assert len(lines) == len(territorialised(plan))  # keys are unique
    for key, year in data.pins.items():
        line = lines.get(key)
        if line is not None and year in plan.years and year >= line.asked_year:
            assert line.year == year and line.pinned and line in plan.lines
    for line in plan.lines:
        if line.pinned:
            assert data.pins.get(line.pin_from or line.key) == line.year
    # A pin applies to one line, or is reported: never lost silently.
    used = [line.pin_from or line.key for line in plan.lines if line.pinned]
    stale = [pin.key for pin in plan.stale_pins]
    assert sorted(used + stale) == sorted(data.pins)


@FAST
@given(inputs())
def test_placed_lines_are_in_the_horizon_and_not_before_asked(data):
    plan = build_plan(data)
    for line in plan.lines:
        assert line.year in plan.years
        assert line.year >= line.asked_year
    assert all(line.year is None for line in plan.unplaced)
    assert plan.lines == sorted(plan.lines, key=lambda ln: (ln.year, ln.priority, ln.key))


@FAST
@given(inputs())
def test_financing_follows_the_theme_and_is_said(data):
    plan = build_plan(data)
    for line in plan.all_lines:
        assert line.financing == line.theme.financing
        said = "payante" if line.theme.financing == "payant" else "financée par la cotisation"
        assert said in line.reason, line.reason


@FAST
@given(inputs())
def test_every_line_explains_itself_and_says_what_is_missing(data):
    plan = build_plan(data)
    for line in plan.all_lines:
        assert line.reason and line.reason.endswith("."), line
        assert line.host_id is not None or (data.coordinator_id is None and not line.trainees)
    for line in plan.below:
        if line.key.part == "":
            assert line.missing == max(line.theme.threshold - line.pool, 0) > 0
            assert line.pool >= line.total
            assert f"manquant{'s' if line.missing > 1 else ''} pour atteindre" in line.reason


@FAST
@given(inputs())
def test_same_input_same_plan(data):
    def signature(plan: Plan) -> list[tuple]:
        return [(ln.key, ln.year, tuple(ln.groups), tuple(sorted(ln.trainees.items())), ln.host_id,
                 ln.pinned, ln.reason) for ln in plan.all_lines]

    first, second = build_plan(data), build_plan(data)
    assert signature(first) == signature(second)
    assert first.used == second.used
