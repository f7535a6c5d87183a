"""The merge rule and the dot invariants, as DOMAIN.md states them (no database)."""

import doctest

from hypothesis import given
from hypothesis import strategies as st

from workshop.domain import merging
from workshop.domain.merging import fit, merge_demand, merge_dots

cells = st.dictionaries(st.tuples(st.integers(1, 6), st.integers(2027, 2029)), st.integers(0, 40),
                        max_size=12)
ballots = st.dictionaries(st.integers(1, 8), st.integers(0, 3), max_size=8)


def test_doctests():
    assert doctest.testmod(merging).failed == 0


def test_one_collectivite_declaring_twice_keeps_the_larger_figure_and_says_so():
    # One commune declared 5 agents for 2027 on each of two duplicates: the same agents.
    merged = merge_demand({(1, 2027): 5}, {(1, 2027): 5})
    assert merged.agents == {(1, 2027): 5}
    assert [(o.collectivite_id, o.year, o.kept) for o in merged.overlaps] == [(1, 2027, 5)]
    assert merge_demand({(1, 2027): 4}, {(1, 2027): 7}).agents == {(1, 2027): 7}


def test_different_collectivites_and_years_add_up():
    merged = merge_demand({(1, 2027): 6}, {(2, 2027): 8, (1, 2028): 2})
    assert merged.agents == {(1, 2027): 6, (2, 2027): 8, (1, 2028): 2}
    assert merged.overlaps == []


def test_a_participants_dots_add_up_to_the_cap_and_the_rest_goes_back():
    merged = merge_dots({7: 3}, {7: 2}, cap=3)
    assert merged.dots == {7: 3} and merged.returned == {7: 2}


@given(cells, cells)
def test_merged_demand_is_one_figure_per_cell_never_more_than_both(target, source):
    merged = merge_demand(target, source)
    for cell, n in merged.agents.items():
        assert n == max(target.get(cell, 0), source.get(cell, 0)) > 0
    assert set(merged.agents) == {c for c, n in {**target, **source}.items()
                                  if max(target.get(c, 0), source.get(c, 0)) > 0}


@given(ballots, ballots, st.integers(1, 5))
def test_merged_dots_never_exceed_the_cap_and_nothing_is_lost(target, source, cap):
    merged = merge_dots(target, source, cap)
    for participant in set(target) | set(source):
        before = target.get(participant, 0) + source.get(participant, 0)
        after = merged.dots.get(participant, 0)
        assert after <= cap
        assert after + merged.returned.get(participant, 0) == before


@given(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 6)), max_size=10, unique_by=lambda a: a[0]),
       st.integers(0, 12), st.integers(0, 5))
def test_fit_keeps_budget_and_cap_and_returns_the_rest(allocations, budget, cap):
    result = fit(allocations, budget, cap)
    assert sum(result.kept.values()) <= budget
    assert all(d <= cap for d in result.kept.values())
    for need_id, dots in allocations:
        assert result.kept[need_id] + result.returned.get(need_id, 0) == dots
    # What fits stays: nothing is returned while budget and cap allowed keeping it.
    if sum(min(d, cap) for _, d in allocations) <= budget:
        assert result.kept == {n: min(d, cap) for n, d in allocations}


def test_the_hide_show_sequence_of_the_issue():
    # Budget 5, cap 3: 3 on A, 2 on B; A hidden (its dots freed); 3 on C; A shown again.
    # A, coming back, gives way: P keeps B and C, and A's 3 dots go back to P.
    result = fit([(2, 2), (3, 3), (1, 3)], budget=5, cap=3)
    assert result.kept == {2: 2, 3: 3, 1: 0} and result.returned == {1: 3}


def test_likely_duplicates_are_close_titles_of_one_theme_closest_first():
    from workshop.domain.merging import Candidate, likely_duplicates

    needs = [Candidate(1, 7, "Gestion des conflits"), Candidate(2, 7, "Gérer les conflits"),
             Candidate(3, 7, "Excel débutant"), Candidate(4, 7, "Excel perfectionnement"),
             Candidate(5, 8, "Gestion des conflits"), Candidate(6, 9, "CACES R489"),
             Candidate(7, 9, "caces r489 - chariots")]
    assert [(d.first, d.second) for d in likely_duplicates(needs)] == [(6, 7), (1, 2)]
    assert likely_duplicates(needs, limit=1)[0].score == 100
    assert likely_duplicates([]) == []
