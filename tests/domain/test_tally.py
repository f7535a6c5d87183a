import random
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from workshop.domain.tally import Ballot, display_score, rank, scores

TOWN, VILLAGE = 1, 2


def test_per_participant_a_need_scores_the_sum_of_its_dots():
    ballots = [Ballot(10, TOWN, 1, 3), Ballot(11, TOWN, 1, 2), Ballot(12, VILLAGE, 1, 1),
               Ballot(12, VILLAGE, 2, 4)]
    assert scores(ballots, "participant") == {1: 6, 2: 4}


def test_per_collectivite_a_big_town_does_not_drown_a_village():
    # Two people of the town put 5 dots each on need 1; the village's one person, 5 on need 2.
    ballots = [Ballot(10, TOWN, 1, 5), Ballot(11, TOWN, 1, 5), Ballot(12, VILLAGE, 2, 5)]
    assert scores(ballots, "participant") == {1: 10, 2: 5}
    assert scores(ballots, "collectivite") == {1: 5, 2: 5}


def test_per_collectivite_divides_by_the_collectivites_voters_only():
    ballots = [Ballot(10, TOWN, 1, 3), Ballot(11, TOWN, 2, 1), Ballot(12, TOWN, 2, 2),
               Ballot(13, VILLAGE, 1, 1)]
    result = scores(ballots, "collectivite")
    assert result[1] == Fraction(3, 3) + 1  # the town has three voters, the village one
    assert result[2] == Fraction(1, 3) + Fraction(2, 3)


def test_a_zero_dot_ballot_does_not_dilute_its_collectivite():
    ballots = [Ballot(10, TOWN, 1, 4), Ballot(11, TOWN, 1, 0)]
    assert scores(ballots, "collectivite") == {1: 4}


def test_ranking_by_score_first():
    ballots = [Ballot(10, TOWN, 1, 1), Ballot(10, TOWN, 2, 3), Ballot(10, TOWN, 3, 2)]
    ranked = rank([1, 2, 3], ballots, "participant", demand={1: 99}, sharing={1: 9})
    assert [r.need_id for r in ranked] == [2, 3, 1]
    assert [r.rank for r in ranked] == [1, 2, 3]


def test_equal_scores_are_broken_by_demand():
    ballots = [Ballot(10, TOWN, 1, 2), Ballot(11, VILLAGE, 2, 2)]
    ranked = rank([1, 2], ballots, "participant", demand={1: 5, 2: 8}, sharing={1: 3, 2: 1})
    assert [r.need_id for r in ranked] == [2, 1]


def test_equal_scores_and_demand_are_broken_by_collectivites_sharing_the_need():
    ranked = rank([1, 2, 3], [], "participant", demand={1: 5, 2: 5, 3: 5},
                  sharing={1: 1, 2: 3, 3: 2})
    assert [r.need_id for r in ranked] == [2, 3, 1]


def test_full_ties_keep_the_oldest_need_first():
    ranked = rank([7, 3, 5], [], "participant", demand={}, sharing={})
    assert [r.need_id for r in ranked] == [7, 3, 5]
    assert all(r.score == 0 and r.dots == 0 and r.voters == 0 for r in ranked)


def test_weighting_changes_the_ranking():
    ballots = [Ballot(10, TOWN, 1, 3), Ballot(11, TOWN, 1, 3), Ballot(12, TOWN, 1, 3),
               Ballot(13, VILLAGE, 2, 5)]
    by_person = rank([1, 2], ballots, "participant", {}, {})
    by_town = rank([1, 2], ballots, "collectivite", {}, {})
    assert [r.need_id for r in by_person] == [1, 2]
    assert [r.need_id for r in by_town] == [2, 1]
    assert by_town[0].score == 5 and by_town[1].score == 3


def test_ranked_carries_raw_dots_and_distinct_voters():
    ballots = [Ballot(10, TOWN, 1, 3), Ballot(11, TOWN, 1, 2), Ballot(12, VILLAGE, 1, 0),
               Ballot(12, VILLAGE, 2, 1)]
    by_id = {r.need_id: r for r in rank([1, 2], ballots, "collectivite", {}, {})}
    assert by_id[1].dots == 5 and by_id[1].voters == 2  # the zero ballot is not a voter
    assert by_id[1].score == Fraction(5, 2)
    assert by_id[2].dots == 1 and by_id[2].voters == 1 and by_id[2].score == 1


def test_ballots_on_needs_outside_the_list_are_not_ranked():
    ranked = rank([1], [Ballot(10, TOWN, 1, 1), Ballot(10, TOWN, 9, 4)], "participant", {}, {})
    assert [(r.need_id, r.score) for r in ranked] == [(1, 1)]


def test_display_score_is_a_whole_number_or_one_decimal():
    assert display_score(Fraction(7)) == 7 and isinstance(display_score(Fraction(7)), int)
    assert display_score(Fraction(0)) == 0
    assert display_score(Fraction(13, 2)) == 6.5
    assert display_score(Fraction(5, 3)) == 1.7
    assert display_score(Fraction(1, 3)) == 0.3
    assert display_score(Fraction(40, 4)) == 10


# --- properties -------------------------------------------------------------------

need_ids = st.lists(st.integers(1, 40), min_size=1, max_size=12, unique=True)


@st.composite
def boards(draw):
    needs = draw(need_ids)
    ballots = draw(st.lists(
        st.builds(Ballot, st.integers(1, 15), st.integers(1, 4), st.sampled_from(needs),
                  st.integers(0, 5)),
        max_size=40, unique_by=lambda b: (b.participant_id, b.need_id)))
    # A participant speaks for one collectivité.
    ballots = [Ballot(b.participant_id, b.participant_id % 4, b.need_id, b.dots) for b in ballots]
    demand = draw(st.dictionaries(st.sampled_from(needs), st.integers(0, 50)))
    sharing = draw(st.dictionaries(st.sampled_from(needs), st.integers(0, 5)))
    return needs, ballots, demand, sharing


@given(boards(), st.sampled_from(["participant", "collectivite"]), st.randoms())
def test_ranking_is_a_deterministic_total_order(board, weighting, rnd):
    needs, ballots, demand, sharing = board
    ranked = rank(needs, ballots, weighting, demand, sharing)
    assert sorted(r.need_id for r in ranked) == sorted(needs)
    assert [r.rank for r in ranked] == list(range(1, len(needs) + 1))
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert rank(needs, shuffled, weighting, demand, sharing) == ranked
    keys = [(-r.score, -demand.get(r.need_id, 0), -sharing.get(r.need_id, 0),
             needs.index(r.need_id)) for r in ranked]
    assert keys == sorted(keys)
    assert all(r.dots == sum(b.dots for b in ballots if b.need_id == r.need_id) for r in ranked)


@st.composite
def full_budgets(draw):
    """Every voter spends their whole budget, spread over the needs at random."""
    budget = draw(st.integers(1, 10))
    needs = draw(st.integers(1, 6))
    people = draw(st.lists(st.integers(1, 5), min_size=1, max_size=12))  # collectivité of each
    ballots = []
    for pid, cid in enumerate(people, start=1):
        picks = draw(st.lists(st.integers(1, needs), min_size=budget, max_size=budget))
        for need in set(picks):
            ballots.append(Ballot(pid, cid, need, picks.count(need)))
    return budget, people, ballots


@given(full_budgets())
def test_per_collectivite_each_collectivite_weighs_one_full_budget(case):
    budget, people, ballots = case
    for cid in set(people):
        own = [b for b in ballots if b.collectivite_id == cid]
        assert sum(scores(own, "collectivite").values()) == budget
    assert sum(scores(ballots, "collectivite").values()) == budget * len(set(people))
    assert sum(scores(ballots, "participant").values()) == budget * len(people)


def test_full_budget_property_on_a_concrete_room():
    rnd = random.Random(4)
    ballots = []
    for pid, cid in enumerate([TOWN] * 7 + [VILLAGE], start=1):
        for need in range(1, 6):
            ballots.append(Ballot(pid, cid, need, 1))
    rnd.shuffle(ballots)
    total = scores(ballots, "collectivite")
    assert total == {n: 2 for n in range(1, 6)}  # 7 x 1/7 from the town + 1 from the village


def test_participation_counts_each_voter_once_and_the_dots_on_the_board():
    from workshop.domain.tally import participation, totals

    ballots = [Ballot(10, TOWN, 1, 3), Ballot(10, TOWN, 2, 2), Ballot(11, TOWN, 1, 0),
               Ballot(12, VILLAGE, 2, 1)]
    result = participation(totals(ballots), people=24, budget=5)
    assert (result.voted, result.participants, result.proxies, result.dots, result.possible) == \
        (2, 24, 0, 6, 120)


def test_participation_never_reads_more_voters_than_participants():
    from workshop.domain.tally import Totals, participation

    # Two proxies voted for collectivités without phones: said apart, their dots possible too.
    total = Totals(dots={1: 7}, collectivite_voters={TOWN: 3, VILLAGE: 1}, proxy_voters=2)
    result = participation(total, people=2, budget=5)
    assert (result.voted, result.participants, result.proxies, result.possible) == (2, 2, 2, 20)
    # More voters than people said (a count taken a moment earlier): never "3 of 2".
    result = participation(Totals(collectivite_voters={TOWN: 3}), people=2, budget=5)
    assert (result.voted, result.participants, result.possible) == (3, 3, 15)
    assert participation(Totals(), people=0, budget=5) == participation(Totals(), 0, 5)
    assert participation(Totals(), people=0, budget=5).possible == 0
