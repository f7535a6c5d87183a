"""The projected screen's few words on a line below its threshold (explain.brief)."""

from tests.domain.planning.test_engine import Y1, Y2, Y3, need, plan, theme
from workshop.domain.planning.explain import brief


def test_a_shortfall_says_the_trainees_and_how_many_are_missing():
    [line] = plan(need(1, theme(threshold=15, poolable=False), {(10, Y1): 6})).below
    assert str(brief(line)) == "6 stagiaires, 9 stagiaires manquants pour atteindre 15"


def test_trainees_beyond_the_groups_and_after_the_horizon_say_so():
    result = plan(need(1, theme(threshold=12, max_group=12), {(10, Y3): 14}),
                  need(2, theme(threshold=12), {(10, Y3 + 1): 4}))
    said = sorted(str(brief(line)) for line in result.below)
    assert said == ["2 stagiaires en surnombre des groupes", "4 stagiaires, après l'horizon"]


def test_one_trainee_is_one_stagiaire():
    [line] = plan(need(1, theme(threshold=15, poolable=False), {(10, Y2): 1})).below
    assert str(brief(line)) == "1 stagiaire, 14 stagiaires manquants pour atteindre 15"
