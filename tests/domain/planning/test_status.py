"""One truth per year: the board's status of a need is the plan's own cut (issue 15, 17)."""

from hypothesis import given, settings

from tests.domain.planning.test_engine import HORIZON, Y1, Y2, Y3, need, plan, theme
from tests.domain.planning.test_properties import inputs
from workshop.domain.planning import build_plan, need_status


def test_thirteen_then_two_is_territorialisable_in_the_second_year_not_two_missing():
    case = need(1, theme(15, max_group=18), {(1, Y1): 13, (2, Y2): 2})
    s = need_status(case, HORIZON)
    assert s.total == 15 and s.reached and s.missing == 0
    assert str(s.sentence()) == "Seuil de 15 atteint en 2028"
    first, second, third = s.years
    assert (first.asked, first.state, first.at) == (13, "open", Y2)
    assert (second.asked, second.pool, second.pooled_in, second.opens_here) == (2, 15, 13, True)
    assert third.state == "none"
    assert str(first.sentence()) == "2027 : 13, regroupés en 2028"
    assert str(second.sentence()) == "2028 : 15 stagiaires, territorialisable"
    [line] = plan(case).lines
    assert line.year == Y2 and line.total == 15


def test_a_need_may_widen_its_pooling():
    widened = need(1, theme(15), {(1, Y1): 8, (2, Y3): 7})
    assert not need_status(widened, HORIZON).reached
    wide = type(widened)(**{**widened.__dict__, "pool_years": 2})
    s = need_status(wide, HORIZON)
    assert s.open_years == (Y3,)
    [line] = plan(wide).lines
    assert line.year == Y3 and "attente de 2 ans permise pour ce besoin" in line.reason


def test_statutory_needs_are_said_so():
    rule = type(theme(15))(**{**theme(15).__dict__, "kind": "integration"})
    s = need_status(need(1, rule, {(1, Y1): 3}), HORIZON)
    assert s.statutory and s.missing == 0
    assert str(s.sentence()).startswith("Formation statutaire")


@settings(max_examples=100, deadline=None)
@given(inputs())
def test_status_per_year_says_what_the_plan_does(data):
    p = build_plan(data)
    for case in data.needs:
        s = need_status(case, data.years)
        first_lines = [ln for ln in p.lines + p.unplaced if ln.need_id == case.need_id and not ln.renewal]
        assert set(s.open_years) == {ln.asked_year for ln in first_lines}
        for year in s.years:
            if year.state == "short":
                lines = [ln for ln in p.below if ln.need_id == case.need_id and ln.key.part == ""
                         and ln.asked_year == year.year]
                assert [ln.missing for ln in lines] == [year.missing]
        assert s.total == sum(n for n in case.demand.values() if n > 0)


def test_years_are_the_horizon():
    assert [y.year for y in need_status(need(1, theme(12), {}), HORIZON).years] == [Y1, Y2, Y3]
