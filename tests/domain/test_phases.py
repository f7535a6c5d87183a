import pytest

from workshop.domain import phases

ACTIONS = ("add_need", "declare", "vote")
OPEN = {
    "add_need": {"recueil"},
    "declare": {"recueil", "regroupement", "vote"},
    "vote": {"vote"},
}


def test_the_six_phases_in_order_each_with_a_french_label():
    assert phases.PHASES == ("accueil", "recueil", "regroupement", "vote", "resultats", "plan")
    assert phases.LABELS["recueil"] == "Recueil des besoins"
    assert phases.LABELS["resultats"] == "Résultats"
    assert set(phases.LABELS) == set(phases.PHASES)


@pytest.mark.parametrize("phase", phases.PHASES)
@pytest.mark.parametrize("action", ACTIONS)
def test_what_a_participant_may_do_in_each_phase(phase, action):
    refusal = phases.allows(phase, action)
    if phase in OPEN[action]:
        assert refusal is None
    else:
        assert refusal.code == f"phase_{action}"
        assert refusal.message


def test_refusals_say_when_the_action_is_open():
    assert phases.allows("accueil", "add_need").message == \
        "Les besoins s'ajoutent pendant la phase « Recueil des besoins »."
    assert phases.allows("resultats", "declare").message == \
        "Les effectifs se déclarent pendant le recueil, le regroupement ou le vote."
    assert phases.allows("recueil", "vote").message == "Le vote n'est pas ouvert."


@pytest.mark.parametrize("phase", phases.PHASES)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_closed_seance_refuses_everything(phase, action):
    refusal = phases.allows(phase, action, closed=True)
    assert refusal.code == "seance_close"
    assert refusal.message == "La séance est close : elle n'accepte plus de contribution."


def test_check_phase():
    for phase in phases.PHASES:
        assert phases.check_phase(phase) is None
    for bad in ("", "Vote", "fin", "plan "):
        refusal = phases.check_phase(bad)
        assert refusal.code == "phase_inconnue" and refusal.message == "Phase inconnue."


def test_a_participant_acts_in_their_own_seance_when_the_phase_allows_it():
    assert phases.participant_may(True, False, "vote", "vote", False) is None
    assert phases.participant_may(False, False, "vote", "vote", False).code == "participant_inconnu"
    assert phases.participant_may(True, False, "recueil", "vote", False).code == "phase_vote"
    assert phases.participant_may(True, False, "vote", "vote", True).code == "seance_close"


def test_a_proxy_enters_needs_and_figures_in_any_phase_but_votes_in_the_vote_only():
    for action in ("add_need", "declare"):
        assert phases.participant_may(True, True, "plan", action, False) is None
        assert phases.participant_may(True, True, "plan", action, True).code == "seance_close"
    assert phases.participant_may(True, True, "plan", "vote", False).code == "phase_vote"
    assert phases.participant_may(False, True, "vote", "vote", False).code == "participant_inconnu"
