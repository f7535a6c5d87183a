from hypothesis import given
from hypothesis import strategies as st

from workshop.domain import rules

HORIZON = range(2027, 2030)


# --- vote ----------------------------------------------------------------------


def test_dots_within_budget_and_cap_are_accepted():
    assert rules.vote({}, 1, 3, budget=5, max_per_need=3) is None
    assert rules.vote({1: 3}, 2, 2, budget=5, max_per_need=3) is None
    assert rules.vote({1: 3, 2: 2}, 2, 0, budget=5, max_per_need=3) is None  # take back


def test_more_than_the_cap_on_one_need_is_refused():
    refusal = rules.vote({}, 1, 4, budget=5, max_per_need=3)
    assert refusal.code == "gommettes_max_besoin"
    assert refusal.message == "Au plus 3 gommettes sur un même besoin."
    assert rules.vote({}, 1, 2, budget=5, max_per_need=1).message == \
        "Au plus 1 gommette sur un même besoin."


def test_the_budget_counts_the_dots_on_other_needs():
    refusal = rules.vote({1: 3, 2: 1}, 3, 2, budget=5, max_per_need=3)
    assert refusal.code == "budget_epuise"
    assert refusal.message == "Budget dépassé : il vous reste 1 gommette."
    assert rules.vote({1: 3, 2: 1}, 3, 1, budget=5, max_per_need=3) is None


def test_the_budget_message_says_what_is_left_in_french():
    assert rules.vote({1: 3}, 2, 3, budget=5, max_per_need=3).message == \
        "Budget dépassé : il vous reste 2 gommettes."
    assert rules.vote({1: 3, 2: 2}, 3, 1, budget=5, max_per_need=3).message == \
        "Budget dépassé : il vous reste 0 gommette."


def test_changing_the_dots_on_a_need_replaces_them():
    # 3 on need 1 and 2 on need 2 spend the budget; moving need 1 down to 1 frees 2.
    assert rules.vote({1: 3, 2: 2}, 1, 1, budget=5, max_per_need=3) is None
    assert rules.vote({1: 3, 2: 2}, 1, 3, budget=5, max_per_need=3) is None


def test_negative_dots_are_refused():
    refusal = rules.vote({1: 2}, 1, -1, budget=5, max_per_need=3)
    assert refusal.code == "gommettes_negatives"
    assert refusal.message == "Le nombre de gommettes ne peut pas être négatif."


def test_a_merged_need_above_the_cap_may_keep_or_lower_but_not_raise():
    allocation = {1: 5}  # two needs of 3 and 2 dots merged into need 1
    assert rules.vote(allocation, 1, 5, budget=6, max_per_need=3) is None
    assert rules.vote(allocation, 1, 4, budget=6, max_per_need=3) is None
    assert rules.vote(allocation, 1, 6, budget=6, max_per_need=3).code == "gommettes_max_besoin"


def test_dots_can_be_lowered_after_the_budget_was_cut_below_what_is_spent():
    # The facilitator lowered the budget from 5 to 3; the dots already cast stay.
    allocation = {1: 2, 2: 2, 3: 1}
    assert rules.vote(allocation, 1, 1, budget=3, max_per_need=3) is None
    assert rules.vote(allocation, 1, 3, budget=3, max_per_need=3).code == "budget_epuise"
    assert rules.vote(allocation, 4, 1, budget=3, max_per_need=3).code == "budget_epuise"


# --- demand --------------------------------------------------------------------


def test_declared_agents_within_the_horizon_are_accepted():
    assert rules.demand(0, 2027, HORIZON) is None
    assert rules.demand(12, 2029, HORIZON) is None
    assert rules.demand(rules.MAX_AGENTS, 2028, HORIZON) is None


def test_negative_agents_are_refused():
    refusal = rules.demand(-1, 2027, HORIZON)
    assert (refusal.code, refusal.field) == ("effectif_negatif", "agents")
    assert refusal.message == "Le nombre d'agents ne peut pas être négatif."


def test_too_many_agents_are_refused():
    refusal = rules.demand(rules.MAX_AGENTS + 1, 2027, HORIZON)
    assert (refusal.code, refusal.field) == ("effectif_trop_grand", "agents")
    assert refusal.message == "Au plus 5000 agents par besoin."


def test_a_year_outside_the_horizon_is_refused():
    for year in (2026, 2030):
        refusal = rules.demand(3, year, HORIZON)
        assert (refusal.code, refusal.field) == ("annee_hors_horizon", "year")
        assert refusal.message == "Choisissez une année entre 2027 et 2029."


# --- mergeable -----------------------------------------------------------------


def test_two_open_needs_of_the_seance_are_mergeable():
    assert rules.mergeable(1, 2, False, False, True) is None


def test_a_need_cannot_be_merged_into_itself():
    refusal = rules.mergeable(1, 1, False, False, True)
    assert refusal.code == "fusion_identique"
    assert refusal.message == "Choisissez deux besoins différents à regrouper."


def test_needs_of_another_seance_are_unknown():
    assert rules.mergeable(1, 2, False, False, False).code == "besoin_inconnu"


def test_an_already_merged_need_cannot_be_merged_again():
    for target_merged, source_merged in ((True, False), (False, True), (True, True)):
        refusal = rules.mergeable(1, 2, target_merged, source_merged, True)
        assert refusal.code == "deja_regroupe"
        assert refusal.message == "Ce besoin a déjà été regroupé avec un autre."


# --- property: accepted votes keep every participant within budget and cap ------

NEEDS = range(1, 6)
attempts = st.lists(st.tuples(st.sampled_from(NEEDS), st.integers(-2, 8)), max_size=40)


@given(st.integers(1, 12), st.integers(1, 12), attempts)
def test_accepted_votes_never_exceed_budget_nor_cap(budget, cap, moves):
    cap = min(cap, budget)
    allocation: dict[int, int] = {}
    for need, dots in moves:
        if rules.vote(allocation, need, dots, budget, cap) is None:
            allocation[need] = dots
        assert sum(allocation.values()) <= budget
        assert all(0 <= d <= cap for d in allocation.values())


@given(st.integers(1, 12), st.data(), attempts)
def test_after_a_merge_only_the_merged_need_may_stay_above_the_cap(cap, data, moves):
    merged = data.draw(st.integers(cap + 1, 2 * cap), label="dots on the merged need")
    budget = data.draw(st.integers(merged, merged + 10), label="budget")
    allocation = {1: merged}
    for need, dots in moves:
        before = allocation.get(need, 0)
        if rules.vote(allocation, need, dots, budget, cap) is None:
            allocation[need] = dots
            assert dots <= cap or dots <= before  # above the cap: kept or lowered
        assert sum(allocation.values()) <= budget
        assert all(0 <= d <= cap for n, d in allocation.items() if n != 1)
        assert allocation[1] <= merged


def test_dots_left_never_go_below_zero():
    assert rules.dots_left(5, 3) == 2
    assert rules.dots_left(5, 5) == 0
    assert rules.dots_left(3, 5) == 0  # the budget was cut below what was already spent
