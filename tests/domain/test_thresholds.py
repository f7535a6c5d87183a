"""The status per year of demand known only per year (an imported plan's preview): the same
rule as the board and the plan (tests/domain/planning/test_status.py)."""

from workshop.domain.thresholds import missing_text, status


def test_one_trainee_missing_is_said_in_the_singular():
    s = status({2027: 14}, 15)
    assert not s.reached
    assert s.missing == 1
    assert str(s.sentence()) == "1 stagiaire manquant pour atteindre 15 en 2027"
    assert str(missing_text(1, 15)) == "1 stagiaire manquant pour atteindre 15"


def test_several_trainees_missing_are_said_in_the_plural():
    s = status({2028: 10}, 15)
    assert s.missing == 5
    assert str(s.sentence()) == "5 stagiaires manquants pour atteindre 15 en 2028"


def test_twelve_on_a_twelve_theme_reaches_the_threshold():
    s = status({2028: 12}, 12)
    assert s.reached and s.missing == 0
    assert str(s.sentence()) == "Seuil de 12 atteint en 2028"
    assert s.ratio == 1.0


def test_no_agent_declared():
    for figures in ({}, {2027: 0, 2028: 0}):
        s = status(figures, 15)
        assert s.total == 0 and not s.reached
        assert str(s.sentence()) == "Aucun agent déclaré (seuil : 15)"


def test_the_threshold_is_judged_per_year_pooled_with_the_next_only():
    # 8 + 9 = 17 over two years: pooled, 2028 reaches 15; 3 in 2029 stay alone.
    s = status({2027: 8, 2028: 9, 2029: 3}, 15)
    assert s.total == 20 and s.reached and s.open_years == (2028,)
    assert str(s.sentence()) == "Seuil de 15 atteint en 2028"
    # Not poolable: each year on its own, the nearest to the threshold said.
    s = status({2027: 8, 2028: 9, 2029: 3}, 15, poolable=False)
    assert not s.reached and (s.missing, s.missing_year) == (6, 2028)
    assert str(s.sentence()) == "6 stagiaires manquants pour atteindre 15 en 2028"


def test_agents_two_years_apart_are_not_pooled():
    s = status({2027: 8, 2029: 7}, 15)
    assert not s.reached
    assert [(y.year, y.state, y.missing) for y in s.years] == \
        [(2027, "short", 7), (2028, "none", 0), (2029, "short", 8)]
