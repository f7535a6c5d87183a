import pytest
from sqlmodel import Session, select

from tests import factories
from workshop.models import Demand, Event, Need, Vote
from workshop.schemas import SeanceSettings
from workshop.services import board, seances


@pytest.fixture
def seance(db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    return seance


@pytest.fixture
def orchies(db, seance):
    return factories.participant(db, seance, "Orchies")


@pytest.fixture
def cysoing(db, seance):
    return factories.participant(db, seance, "Cysoing")


def all_events(db):
    return [(e.kind, e.actor) for e in db.exec(select(Event).order_by(Event.id))]


def votes(db):
    return sorted((v.participant_id, v.need_id, v.dots) for v in db.exec(select(Vote)))


def demands(db):
    return sorted((d.need_id, d.collectivite_id, d.year, d.agents) for d in db.exec(select(Demand)))


def view(snapshot, need):
    [found] = [v for v in snapshot.needs + snapshot.hidden if v.need.id == need.id]
    return found


# --- add_need -------------------------------------------------------------------


def test_a_participant_adds_a_need_during_the_recueil(db, seance, orchies):
    theme = factories.theme(db, "acc-accueil-public")
    need = board.add_need(db, seance, theme.id, "  Accueil   des usagers\n difficiles ",
                          " Agressivité au guichet ", participant=orchies)
    assert (need.title, need.details) == ("Accueil des usagers difficiles", "Agressivité au guichet")
    assert (need.source, need.author_id, need.theme_id) == ("participant", orchies.id, theme.id)
    [event] = factories.events(db, seance, "need.added")
    assert event.actor == f"participant:{orchies.id}"
    assert event.payload == {"need_id": need.id, "theme_id": theme.id,
                             "title": "Accueil des usagers difficiles", "source": "participant"}


@pytest.mark.parametrize("phase", ["accueil", "regroupement", "vote", "resultats", "plan"])
def test_a_participant_adds_needs_only_during_the_recueil(db, seance, orchies, phase):
    factories.phase(db, seance, phase)
    before = all_events(db)
    refusal = board.add_need(db, seance, factories.theme(db).id, "Titre", participant=orchies)
    assert refusal.code == "phase_add_need"
    assert db.exec(select(Need)).all() == [] and all_events(db) == before


def test_the_facilitator_and_a_proxy_add_needs_in_any_phase(db, seance):
    factories.phase(db, seance, "vote")
    by_facilitator = factories.need(db, seance, "Marchés publics", "fin-marches-publics")
    assert by_facilitator.source == "facilitator" and by_facilitator.author_id is None
    stand_in = factories.proxy(db, seance, "Bachy")
    by_proxy = factories.need(db, seance, "Budget M57", "fin-budget-m57", by=stand_in)
    assert by_proxy.author_id == stand_in.id
    actors = [e.actor for e in factories.events(db, seance, "need.added")]
    assert actors == [f"facilitator:{seance.owner_id}", f"participant:{stand_in.id}"]


def test_a_closed_seance_takes_no_need_from_a_participant_nor_a_proxy(db, seance, orchies):
    stand_in = factories.proxy(db, seance, "Bachy")
    seances.set_closed(db, seance, True, seance.owner_id)
    for who in (orchies, stand_in):
        refusal = board.add_need(db, seance, factories.theme(db).id, "Titre", participant=who)
        assert refusal.code == "seance_close"
    assert db.exec(select(Need)).all() == []


def test_a_need_needs_an_active_theme_and_a_title(db, seance, orchies):
    theme = factories.theme(db)
    refusal = board.add_need(db, seance, 99_999, "Titre", participant=orchies)
    assert (refusal.code, refusal.field) == ("theme_inconnu", "theme_id")
    theme.active = False
    db.add(theme)
    db.commit()
    assert board.add_need(db, seance, theme.id, "Titre", participant=orchies).code == "theme_inconnu"
    refusal = board.add_need(db, seance, factories.theme(db, "rh-rps").id, "  \n ",
                             participant=orchies)
    assert (refusal.code, refusal.message) == ("titre_vide", "Donnez un titre au besoin.")
    assert db.exec(select(Need)).all() == []
    assert factories.events(db, seance, "need.added") == []


def test_titles_and_details_are_cut_to_their_length(db, seance, orchies):
    need = board.add_need(db, seance, factories.theme(db).id, "t" * 300, "d" * 3000,
                          participant=orchies)
    assert len(need.title) == board.TITLE_MAX and len(need.details) == board.DETAILS_MAX


# --- declare --------------------------------------------------------------------


def test_one_figure_per_collectivite_need_and_year(db, seance, orchies):
    need = factories.need(db, seance)
    colleague = factories.participant(db, seance, "Orchies", role="rh")
    first = board.declare(db, seance, orchies, need.id, 2027, 4)
    second = board.declare(db, seance, colleague, need.id, 2027, 6)
    assert first.id == second.id
    row = db.exec(select(Demand)).one()
    assert (row.agents, row.updated_by_id) == (6, colleague.id)
    declared = factories.events(db, seance, "demand.declared")
    assert [(e.payload["agents"], e.payload["previous"]) for e in declared] == [(4, None), (6, 4)]
    assert declared[1].actor == f"participant:{colleague.id}"
    assert view(board.snapshot(db, seance), need).status.total == 6


def test_collectivites_and_years_add_up_on_the_board(db, seance, orchies, cysoing):
    need = factories.need(db, seance)
    board.declare(db, seance, orchies, need.id, 2027, 6)
    board.declare(db, seance, cysoing, need.id, 2027, 8)
    board.declare(db, seance, cysoing, need.id, 2028, 3)
    shown = view(board.snapshot(db, seance), need)
    assert shown.by_year == {2027: 14, 2028: 3}
    assert shown.collectivites == 2
    assert shown.status.total == 17
    # One truth per year: 14 in 2027 wait for 2028 (poolable theme), 17 there reach 15.
    assert str(shown.status.sentence()) == "Seuil de 15 atteint en 2028"
    assert [(y.year, y.asked, y.state, y.at) for y in shown.status.years] == \
        [(2027, 14, "open", 2028), (2028, 3, "open", 2028), (2029, 0, "none", None)]
    assert board.ours(db, seance, cysoing.collectivite_id) == {need.id: {2027: 8, 2028: 3}}


def test_a_collectivite_that_sets_zero_no_longer_shares_the_need(db, seance, orchies, cysoing):
    need = factories.need(db, seance)
    board.declare(db, seance, orchies, need.id, 2027, 6)
    board.declare(db, seance, cysoing, need.id, 2027, 2)
    board.declare(db, seance, cysoing, need.id, 2027, 0)
    shown = view(board.snapshot(db, seance), need)
    assert shown.collectivites == 1 and shown.by_year == {2027: 6}
    assert board.declaring(db, need.id) == {orchies.collectivite_id}


@pytest.mark.parametrize(("agents", "year", "code"), [
    (-1, 2027, "effectif_negatif"),
    (5001, 2027, "effectif_trop_grand"),
    (3, 2026, "annee_hors_horizon"),
    (3, 2030, "annee_hors_horizon"),
])
def test_bad_figures_are_refused(db, seance, orchies, agents, year, code):
    need = factories.need(db, seance)
    before = all_events(db)
    assert board.declare(db, seance, orchies, need.id, year, agents).code == code
    assert demands(db) == [] and all_events(db) == before


@pytest.mark.parametrize("phase", ["accueil", "resultats", "plan"])
def test_figures_are_declared_from_the_recueil_to_the_vote(db, seance, orchies, phase):
    need = factories.need(db, seance)
    factories.phase(db, seance, phase)
    assert board.declare(db, seance, orchies, need.id, 2027, 3).code == "phase_declare"
    stand_in = factories.proxy(db, seance, "Bachy")
    assert board.declare(db, seance, stand_in, need.id, 2027, 3).agents == 3
    assert demands(db) == [(need.id, stand_in.collectivite_id, 2027, 3)]


def test_a_closed_seance_takes_no_figure_even_from_a_proxy(db, seance, orchies):
    need = factories.need(db, seance)
    stand_in = factories.proxy(db, seance, "Bachy")
    seances.set_closed(db, seance, True, seance.owner_id)
    before = all_events(db)
    assert board.declare(db, seance, orchies, need.id, 2027, 3).code == "seance_close"
    assert board.declare(db, seance, stand_in, need.id, 2027, 3).code == "seance_close"
    assert demands(db) == [] and all_events(db) == before


def test_figures_go_only_on_open_needs_of_the_seance(db, seance, facilitator, orchies):
    hidden, source, target = (factories.need(db, seance, t) for t in ("Masqué", "Doublon", "Cible"))
    board.set_hidden(db, seance, hidden.id, True, facilitator.id)
    board.merge(db, seance, target.id, source.id, facilitator.id)
    elsewhere = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Autre"))
    theirs = factories.need(db, elsewhere)
    before = all_events(db)
    assert board.declare(db, seance, orchies, hidden.id, 2027, 3).code == "besoin_masque"
    assert board.declare(db, seance, orchies, source.id, 2027, 3).code == "besoin_regroupe"
    assert board.declare(db, seance, orchies, theirs.id, 2027, 3).code == "besoin_inconnu"
    assert board.declare(db, seance, orchies, 99_999, 2027, 3).code == "besoin_inconnu"
    assert demands(db) == [] and all_events(db) == before


# --- vote -----------------------------------------------------------------------


@pytest.fixture
def voting(db, seance):
    """Three needs on the board, the vote open (5 dots, at most 3 per need)."""
    needs = [factories.need(db, seance, title) for title in ("Accueil", "Paie", "CACES")]
    factories.phase(db, seance, "vote")
    return needs


def test_a_vote_within_budget_and_cap(db, seance, orchies, voting):
    a, b, _ = voting
    result = board.vote(db, seance, orchies, a.id, 3)
    assert (result.need_id, result.dots, result.allocation, result.left) == (a.id, 3, {a.id: 3}, 2)
    result = board.vote(db, seance, orchies, b.id, 2)
    assert result.allocation == {a.id: 3, b.id: 2} and result.left == 0
    result = board.vote(db, seance, orchies, a.id, 1)  # moving dots: one row per need
    assert result.allocation == {a.id: 1, b.id: 2} and result.left == 2
    assert votes(db) == [(orchies.id, a.id, 1), (orchies.id, b.id, 2)]
    cast = factories.events(db, seance, "vote.set")
    assert [(e.payload["dots"], e.payload["previous"]) for e in cast] == [(3, 0), (2, 0), (1, 3)]
    assert board.mine(db, seance, orchies).allocation == {a.id: 1, b.id: 2}
    assert board.mine(db, seance, orchies).left == 2


def test_refused_votes_change_nothing(db, seance, facilitator, orchies, voting):
    a, b, c = voting
    board.vote(db, seance, orchies, a.id, 3)
    board.vote(db, seance, orchies, b.id, 1)
    board.set_hidden(db, seance, c.id, True, facilitator.id)
    before_votes, before_events = votes(db), all_events(db)
    assert board.vote(db, seance, orchies, b.id, 4).code == "gommettes_max_besoin"
    assert board.vote(db, seance, orchies, b.id, 3).code == "budget_epuise"
    assert board.vote(db, seance, orchies, b.id, -1).code == "gommettes_negatives"
    assert board.vote(db, seance, orchies, c.id, 1).code == "besoin_masque"
    assert board.vote(db, seance, orchies, 99_999, 1).code == "besoin_inconnu"
    assert votes(db) == before_votes and all_events(db) == before_events
    # The session is still usable after a refusal.
    assert board.vote(db, seance, orchies, b.id, 2).left == 0


def test_a_batch_of_votes_is_judged_in_order_and_stored_by_one_commit(db, seance, orchies,
                                                                       cysoing, voting):
    a, b, c = voting
    ballot = lambda who, need, dots: board.Ballot(seance.id, who.id, need, dots)  # noqa: E731
    results = board.cast_many(db, [
        ballot(orchies, a.id, 3),
        ballot(cysoing, a.id, 2),
        ballot(orchies, b.id, 3),    # the first ballot spent 3 of 5: refused
        ballot(orchies, b.id, 2),    # fits after it
        ballot(cysoing, 99_999, 1),  # unknown need: refused, the others go on
        ballot(orchies, a.id, 0),    # takes back the first one's dots
        ballot(cysoing, c.id, 3),
    ])
    assert [r.code if isinstance(r, board.Refusal) else (r.need_id, r.dots, r.left)
            for r in results] == [(a.id, 3, 2), (a.id, 2, 3), "budget_epuise", (b.id, 2, 0),
                                  "besoin_inconnu", (a.id, 0, 3), (c.id, 3, 0)]
    assert results[5].allocation == {a.id: 0, b.id: 2}
    assert votes(db) == sorted([(orchies.id, a.id, 0), (orchies.id, b.id, 2),
                                (cysoing.id, a.id, 2), (cysoing.id, c.id, 3)])
    cast = factories.events(db, seance, "vote.set")  # one row per accepted ballot, in order
    assert [(e.actor, e.payload["need_id"], e.payload["dots"], e.payload["previous"])
            for e in cast] == [(f"participant:{orchies.id}", a.id, 3, 0),
                               (f"participant:{cysoing.id}", a.id, 2, 0),
                               (f"participant:{orchies.id}", b.id, 2, 0),
                               (f"participant:{orchies.id}", a.id, 0, 3),
                               (f"participant:{cysoing.id}", c.id, 3, 0)]
    # The batch stored exactly what single votes store: the same figures the board reads.
    assert board.mine(db, seance, orchies).allocation == {b.id: 2}
    assert view(board.snapshot(db, seance), c).dots == 3


def test_a_batch_with_only_refusals_writes_nothing(db, seance, orchies, voting):
    before_votes, before_events = votes(db), all_events(db)
    results = board.cast_many(db, [board.Ballot(seance.id, orchies.id, voting[0].id, 4),
                                   board.Ballot(seance.id + 1, orchies.id, voting[0].id, 1)])
    assert [r.code for r in results] == ["gommettes_max_besoin", "participant_inconnu"]
    assert votes(db) == before_votes and all_events(db) == before_events
    assert board.cast_many(db, []) == []


@pytest.mark.parametrize("phase", ["accueil", "recueil", "regroupement", "resultats", "plan"])
def test_votes_only_while_the_vote_is_open(db, seance, orchies, voting, phase):
    factories.phase(db, seance, phase)
    before = all_events(db)
    assert board.vote(db, seance, orchies, voting[0].id, 1).code == "phase_vote"
    # A proxy follows the same rule for votes.
    stand_in = factories.proxy(db, seance, "Bachy")
    assert board.vote(db, seance, stand_in, voting[0].id, 1).code == "phase_vote"
    assert votes(db) == []
    assert [e for e in all_events(db) if e not in before] == \
        [("participant.proxy_created", f"facilitator:{seance.owner_id}")]


def test_no_vote_in_a_closed_seance(db, seance, orchies, voting):
    seances.set_closed(db, seance, True, seance.owner_id)
    assert board.vote(db, seance, orchies, voting[0].id, 1).code == "seance_close"
    assert votes(db) == []


def test_a_budget_cut_gives_back_the_dots_that_no_longer_fit(db, seance, orchies, voting):
    a, b, _ = voting
    board.vote(db, seance, orchies, a.id, 3)
    board.vote(db, seance, orchies, b.id, 2)
    seances.update_settings(db, seance, SeanceSettings(dot_budget=3, max_dots_per_need=3,
                                                       weighting="participant"), seance.owner_id)
    # B was placed last: its dots go back (issue 14, item 1; tests/services/test_board_fitting.py).
    assert board.mine(db, seance, orchies).allocation == {a.id: 3}
    assert board.vote(db, seance, orchies, voting[2].id, 1).code == "budget_epuise"
    assert board.vote(db, seance, orchies, a.id, 2).allocation == {a.id: 2, b.id: 0}
    assert board.vote(db, seance, orchies, b.id, 2).code == "budget_epuise"


# --- merge ----------------------------------------------------------------------


def test_merge_adds_up_votes_and_agents_on_the_target(db, seance, facilitator, orchies, cysoing):
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    board.declare(db, seance, orchies, target.id, 2027, 5)
    board.declare(db, seance, orchies, source.id, 2027, 4)
    board.declare(db, seance, cysoing, source.id, 2028, 7)
    factories.phase(db, seance, "vote")
    board.vote(db, seance, orchies, target.id, 2)
    board.vote(db, seance, orchies, source.id, 3)
    board.vote(db, seance, cysoing, source.id, 1)
    before = len(all_events(db))

    result = board.merge(db, seance, target.id, source.id, facilitator.id)

    assert (result.target.id, result.source.id) == (target.id, source.id)
    assert result.participants == sorted([orchies.id, cysoing.id])
    assert result.collectivites == sorted([orchies.collectivite_id, cysoing.collectivite_id])
    # Orchies' 2 + 3 dots add up to the cap (3), the other 2 go back to their budget.
    assert votes(db) == sorted([(orchies.id, target.id, 3), (orchies.id, source.id, 0),
                                (cysoing.id, target.id, 1), (cysoing.id, source.id, 0)])
    # Orchies declared 2027 on both: the larger figure (5), not 9; Cysoing's 7 adds up.
    assert demands(db) == sorted([
        (target.id, orchies.collectivite_id, 2027, 5), (source.id, orchies.collectivite_id, 2027, 0),
        (target.id, cysoing.collectivite_id, 2028, 7), (source.id, cysoing.collectivite_id, 2028, 0)])
    assert [(o.collectivite_id, o.year, o.kept) for o in result.overlaps] == \
        [(orchies.collectivite_id, 2027, 5)]
    assert result.returned.by_participant == {orchies.id: {target.id: 2}}
    stored = db.get(Need, source.id)
    assert stored is not None and stored.merged_into_id == target.id
    assert len(all_events(db)) == before + 1
    [event] = factories.events(db, seance, "need.merged")
    assert event.actor == f"facilitator:{facilitator.id}"
    assert event.payload["dots"]["source"] == {str(orchies.id): 3, str(cysoing.id): 1}
    assert sorted(event.payload["demand"]["source"]) == sorted(
        [[orchies.collectivite_id, 2027, 4], [cysoing.collectivite_id, 2028, 7]])

    snapshot = board.snapshot(db, seance)
    assert [v.need.id for v in snapshot.needs] == [target.id]
    assert [(s.id, t.id) for s, t in snapshot.merged] == [(source.id, target.id)]
    shown = snapshot.needs[0]
    assert (shown.dots, shown.voters, shown.collectivites) == (4, 2, 2)
    assert shown.by_year == {2027: 5, 2028: 7}
    assert board.mine(db, seance, orchies).allocation == {target.id: 3}


def test_after_a_merge_the_cap_holds_on_the_merged_need(db, seance, facilitator, orchies):
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    factories.phase(db, seance, "vote")
    board.vote(db, seance, orchies, target.id, 2)
    board.vote(db, seance, orchies, source.id, 3)
    board.merge(db, seance, target.id, source.id, facilitator.id)
    assert board.vote(db, seance, orchies, target.id, 4).code == "gommettes_max_besoin"
    assert board.vote(db, seance, orchies, source.id, 1).code == "besoin_regroupe"
    assert board.vote(db, seance, orchies, target.id, 2).dots == 2
    assert votes(db) == [(orchies.id, target.id, 2), (orchies.id, source.id, 0)]


def test_merge_refusals_write_nothing(db, seance, facilitator):
    a, b, c = (factories.need(db, seance, t) for t in ("A", "B", "C"))
    elsewhere = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Autre"))
    theirs = factories.need(db, elsewhere)
    assert board.merge(db, seance, a.id, b.id, facilitator.id).target.id == a.id
    before = all_events(db)
    assert board.merge(db, seance, a.id, a.id, facilitator.id).code == "fusion_identique"
    assert board.merge(db, seance, c.id, b.id, facilitator.id).code == "deja_regroupe"
    assert board.merge(db, seance, b.id, c.id, facilitator.id).code == "deja_regroupe"
    assert board.merge(db, seance, a.id, theirs.id, facilitator.id).code == "besoin_inconnu"
    assert board.merge(db, seance, a.id, 99_999, facilitator.id).code == "besoin_inconnu"
    assert all_events(db) == before
    assert db.get(Need, c.id).merged_into_id is None
    assert db.get(Need, theirs.id).merged_into_id is None


# --- edit, hide -----------------------------------------------------------------


def test_the_facilitator_edits_a_need(db, seance, facilitator):
    need = factories.need(db, seance, "Acceuil", details="")
    theme = factories.theme(db, "rh-rps")
    edited = board.edit(db, seance, need.id, " Accueil  difficile ", theme.id, " Guichet ",
                        facilitator.id)
    assert (edited.title, edited.theme_id, edited.details) == ("Accueil difficile", theme.id,
                                                                "Guichet")
    [event] = factories.events(db, seance, "need.edited")
    assert event.payload["before"]["title"] == "Acceuil"
    assert event.payload["after"] == {"title": "Accueil difficile", "theme_id": theme.id,
                                      "details": "Guichet"}
    before = all_events(db)
    assert board.edit(db, seance, need.id, " ", theme.id, "", facilitator.id).code == "titre_vide"
    assert board.edit(db, seance, need.id, "X", 99_999, "", facilitator.id).code == "theme_inconnu"
    assert board.edit(db, seance, 99_999, "X", theme.id, "", facilitator.id).code == "besoin_inconnu"
    assert all_events(db) == before
    assert db.get(Need, need.id).title == "Accueil difficile"


def test_hidden_needs_leave_the_board_but_stay_in_hidden(db, seance, facilitator, orchies):
    keep, off_topic = factories.need(db, seance, "Garder"), factories.need(db, seance, "Hors sujet")
    board.declare(db, seance, orchies, off_topic.id, 2027, 3)
    assert board.set_hidden(db, seance, off_topic.id, True, facilitator.id).hidden
    snapshot = board.snapshot(db, seance)
    assert [v.need.id for v in snapshot.needs] == [keep.id]
    assert [v.need.id for v in snapshot.hidden] == [off_topic.id]
    assert snapshot.hidden[0].status.total == 3  # the figures stay with it
    board.set_hidden(db, seance, off_topic.id, False, facilitator.id)
    snapshot = board.snapshot(db, seance)
    assert [v.need.id for v in snapshot.needs] == [keep.id, off_topic.id] and snapshot.hidden == []
    assert [kind for kind, _ in all_events(db)][-2:] == ["need.hidden", "need.shown"]


def test_a_merged_or_foreign_need_cannot_be_hidden(db, seance, facilitator):
    a, b = factories.need(db, seance, "A"), factories.need(db, seance, "B")
    board.merge(db, seance, a.id, b.id, facilitator.id)
    before = all_events(db)
    assert board.set_hidden(db, seance, b.id, True, facilitator.id).code == "besoin_inconnu"
    assert board.set_hidden(db, seance, 99_999, True, facilitator.id).code == "besoin_inconnu"
    assert all_events(db) == before


# --- snapshot -------------------------------------------------------------------


def test_ranking_per_collectivite_two_people_of_a_town_and_one_of_a_village(db, seance):
    town_1 = factories.participant(db, seance, "Orchies")
    town_2 = factories.participant(db, seance, "Orchies")
    village = factories.participant(db, seance, "Bachy")
    town_need, village_need = factories.need(db, seance, "Ville"), factories.need(db, seance, "Village")
    factories.phase(db, seance, "vote")
    board.vote(db, seance, town_1, town_need.id, 2)
    board.vote(db, seance, town_2, town_need.id, 2)
    board.vote(db, seance, town_2, village_need.id, 1)
    board.vote(db, seance, village, village_need.id, 3)

    by_person = board.snapshot(db, seance)
    assert [(v.need.id, v.rank, v.score) for v in by_person.ranked] == [
        (town_need.id, 1, 4), (village_need.id, 2, 4)]  # equal scores: the oldest first

    seances.update_settings(db, seance, SeanceSettings(dot_budget=5, max_dots_per_need=3,
                                                       weighting="collectivite"), seance.owner_id)
    by_town = board.snapshot(db, seance)
    assert [(v.need.id, v.rank, v.score) for v in by_town.ranked] == [
        (village_need.id, 1, 3.5), (town_need.id, 2, 2)]
    assert [(v.dots, v.voters) for v in by_town.ranked] == [(4, 2), (4, 2)]
    assert by_town.ranked[0].ratio == 1.0 and by_town.ranked[1].ratio == pytest.approx(2 / 3.5)
    assert [(p.name, p.count) for p in by_town.people] == [("Orchies", 2), ("Bachy", 1)]
    assert by_town.participants == 3


def test_the_board_follows_the_ranking_only_once_tallies_are_revealed(db, seance, orchies):
    first, second = factories.need(db, seance, "Premier"), factories.need(db, seance, "Second")
    factories.phase(db, seance, "vote")
    board.vote(db, seance, orchies, second.id, 3)
    hidden_tallies = board.snapshot(db, seance)
    assert [v.need.id for v in hidden_tallies.needs] == [first.id, second.id]
    assert [v.need.id for v in hidden_tallies.ranked] == [second.id, first.id]
    seances.update_settings(db, seance, SeanceSettings(dot_budget=5, max_dots_per_need=3,
                                                       weighting="participant",
                                                       tallies_visible=True), seance.owner_id)
    assert [v.need.id for v in board.snapshot(db, seance).needs] == [second.id, first.id]


def test_ties_on_the_board_are_broken_by_demand_then_sharing(db, seance, orchies, cysoing):
    alone, shared, big = (factories.need(db, seance, t) for t in ("Seul", "Partagé", "Gros"))
    board.declare(db, seance, orchies, alone.id, 2027, 4)
    board.declare(db, seance, orchies, shared.id, 2027, 2)
    board.declare(db, seance, cysoing, shared.id, 2028, 2)
    board.declare(db, seance, cysoing, big.id, 2027, 9)
    snapshot = board.snapshot(db, seance)
    assert [v.need.id for v in snapshot.ranked] == [big.id, shared.id, alone.id]


def test_every_accepted_write_records_exactly_one_event(db, seance, facilitator, orchies):
    def one(kind, action):
        before = len(all_events(db))
        result = action()
        assert not hasattr(result, "code"), result
        events = db.exec(select(Event).order_by(Event.id)).all()[before:]
        assert [e.kind for e in events] == [kind]
        assert events[0].seance_id == seance.id

    stand_in = factories.proxy(db, seance, "Bachy")
    theme = factories.theme(db).id
    one("need.added", lambda: board.add_need(db, seance, theme, "A", participant=orchies))
    one("need.added", lambda: board.add_need(db, seance, theme, "B", facilitator_id=facilitator.id))
    one("need.added", lambda: board.add_need(db, seance, theme, "C", participant=stand_in))
    a, b, c = db.exec(select(Need).order_by(Need.id)).all()
    one("demand.declared", lambda: board.declare(db, seance, orchies, a.id, 2027, 3))
    one("demand.declared", lambda: board.declare(db, seance, orchies, a.id, 2027, 5))
    one("seance.phase", lambda: seances.set_phase(db, seance, "vote", facilitator.id))
    one("vote.set", lambda: board.vote(db, seance, orchies, a.id, 2))
    one("vote.set", lambda: board.vote(db, seance, orchies, a.id, 0))
    one("need.edited", lambda: board.edit(db, seance, b.id, "B2", theme, "", facilitator.id))
    one("need.hidden", lambda: board.set_hidden(db, seance, c.id, True, facilitator.id))
    one("need.shown", lambda: board.set_hidden(db, seance, c.id, False, facilitator.id))
    one("need.merged", lambda: board.merge(db, seance, a.id, b.id, facilitator.id))


# --- on PostgreSQL, several processes at once ---------------------------------------


@pytest.fixture
def pg(postgres_url):
    """A PostgreSQL base with the reference data, and a séance in its recueil."""
    from workshop import migrate
    from workshop.db import make_engine
    from workshop.services import reference

    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = factories.facilitator(db)
        seance_ = factories.seance(db, owner, factories.perimetre(db, owner))
        factories.phase(db, seance_, "recueil")
    yield engine, seance_
    engine.dispose()


def test_two_colleagues_first_figures_at_the_same_moment_on_postgresql(pg):
    """The second insert of a new (need, collectivité, year) waits for the first, then
    replaces it, as a colleague's figure does, instead of failing on the unique key."""
    import threading

    from sqlalchemy import text

    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as db:
        need = factories.need(db, seance_, "Accueil")
        alice, bob = (factories.participant(db, seance_, "Orchies") for _ in range(2))
    # Alice's declaration is in flight: inserted, not yet committed, in another connection.
    in_flight = engine.connect()
    transaction = in_flight.begin()
    in_flight.execute(text(
        "INSERT INTO demand (need_id, collectivite_id, year, agents, updated_by_id, updated_at) "
        "VALUES (:n, :c, 2027, 4, :p, now())"),
        {"n": need.id, "c": alice.collectivite_id, "p": alice.id})
    results = []
    with Session(engine, expire_on_commit=False) as db:
        bobs = threading.Thread(target=lambda: results.append(board.declare(
            db, db.get(type(seance_), seance_.id), db.get(type(bob), bob.id), need.id, 2027, 6)))
        bobs.start()
        bobs.join(0.5)
        assert bobs.is_alive()  # Bob waits on Alice's row
        transaction.commit()
        in_flight.close()
        bobs.join(10)
    [row] = results
    assert not isinstance(row, board.Refusal) and row.agents == 6
    with Session(engine) as db:
        assert demands(db) == [(need.id, alice.collectivite_id, 2027, 6)]
        [declared] = [e for e in factories.events(db, seance_, "demand.declared")]
        assert declared.payload["previous"] == 4  # Bob's figure replaced Alice's, as logged


def test_a_batch_of_votes_on_postgresql(pg):
    """The same batch rules on PostgreSQL (the several-process base), ids out of range included."""
    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as db:
        a, b = factories.need(db, seance_, "Accueil"), factories.need(db, seance_, "Paie")
        alice, bob = factories.participant(db, seance_, "Orchies"), \
            factories.participant(db, seance_, "Cysoing")
        factories.phase(db, seance_, "vote")
        results = board.cast_many(db, [
            board.Ballot(seance_.id, alice.id, a.id, 3),
            board.Ballot(seance_.id, alice.id, 10**12, 1),  # no such need, and beyond int4
            board.Ballot(seance_.id, bob.id, b.id, 2),
            board.Ballot(seance_.id, alice.id, b.id, 3),  # 3 + 3 > 5
            board.Ballot(seance_.id, alice.id, b.id, 2),
        ])
        assert [r.code if isinstance(r, board.Refusal) else (r.need_id, r.dots, r.left)
                for r in results] == [(a.id, 3, 2), "besoin_inconnu", (b.id, 2, 3),
                                      "budget_epuise", (b.id, 2, 0)]
        assert votes(db) == sorted([(alice.id, a.id, 3), (alice.id, b.id, 2), (bob.id, b.id, 2)])
        assert len(factories.events(db, seance_, "vote.set")) == 3


def test_the_snapshot_says_who_voted_from_the_ranking_totals(db, seance, facilitator, orchies,
                                                              cysoing, voting):
    a, b, c = voting
    factories.participant(db, seance, "Phalempin")  # in the room, has not voted
    stand_in = factories.proxy(db, seance, "Templeuve-en-Pévèle")
    factories.ok(board.vote(db, seance, orchies, a.id, 3))
    factories.ok(board.vote(db, seance, orchies, b.id, 1))
    factories.ok(board.vote(db, seance, cysoing, a.id, 2))
    factories.ok(board.vote(db, seance, stand_in, c.id, 1))
    shown = board.snapshot(db, seance).participation
    # Three people in the room, two of whom voted, and the proxy that voted (said apart);
    # 7 dots of (3 + 1) × 5.
    assert (shown.voted, shown.participants, shown.proxies, shown.dots, shown.possible) == \
        (2, 3, 1, 7, 20)
    board.set_hidden(db, seance, c.id, True, facilitator.id)  # hidden: its dots go back
    shown = board.snapshot(db, seance).participation
    assert (shown.voted, shown.participants, shown.proxies, shown.dots) == (2, 3, 0, 6)
    snapshot = board.snapshot(db, seance)
    assert shown.dots == sum(v.dots for v in snapshot.needs)


def test_themes_read_in_alphabetical_order_accents_aside(db):
    from workshop.domain.text import normalise

    listed = board.themes(db)
    assert len(listed) > 20
    keys = [(normalise(t.domain), normalise(t.name)) for t in listed]
    assert keys == sorted(keys)
    names = [t.name for t in listed]
    accented = [n for n in names if n[0] in "ÉÈÊ"]
    assert accented, "the catalogue has themes starting with an accented capital"
