from workshop.domain.thresholds import status


def test_one_trainee_missing_is_said_in_the_singular():
    s = status({2027: 14}, 15)
    assert not s.reached
    assert s.missing == 1
    assert str(s.sentence()) == "1 stagiaire manquant pour atteindre 15"


def test_several_trainees_missing_are_said_in_the_plural():
    s = status({2028: 10}, 15)
    assert s.missing == 5
    assert str(s.sentence()) == "5 stagiaires manquants pour atteindre 15"


def test_twelve_on_a_twelve_theme_reaches_the_threshold():
    s = status({2028: 12}, 12)
    assert s.reached and s.missing == 0
    assert str(s.sentence()) == "Seuil de 12 atteint en 2028"
    assert s.ratio == 1.0


def test_above_the_threshold_is_reached_and_the_bar_is_full():
    s = status({2027: 40}, 13)
    assert s.reached and s.missing == 0 and s.ratio == 1.0


def test_no_agent_declared():
    for figures in ({}, {2027: 0, 2028: 0}):
        s = status(figures, 15)
        assert (s.total, s.best_year, s.best) == (0, None, 0)
        assert not s.reached and s.missing == 15 and s.ratio == 0
        assert str(s.sentence()) == "Aucun agent déclaré (seuil : 15)"


def test_the_threshold_is_judged_on_the_best_year_not_the_total():
    s = status({2027: 8, 2028: 9, 2029: 3}, 15)
    assert s.total == 20
    assert (s.best_year, s.best) == (2028, 9)
    assert not s.reached
    assert str(s.sentence()) == "6 stagiaires manquants pour atteindre 15"
    assert s.ratio == 9 / 15


def test_equal_years_pick_the_earliest():
    s = status({2029: 15, 2027: 15, 2028: 4}, 15)
    assert s.best_year == 2027
    assert str(s.sentence()) == "Seuil de 15 atteint en 2027"
