from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from workshop.domain import codes
from workshop.schemas import SeanceSettings
from workshop.services import seances


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator))


def settings(**overrides):
    values = dict(dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=False)
    return SeanceSettings(**{**values, **overrides})


def test_the_facilitator_moves_back_and_forth_between_phases(db, seance, facilitator):
    for phase in ("vote", "recueil", "plan"):
        assert seances.set_phase(db, seance, phase, facilitator.id).phase == phase
    changes = factories.events(db, seance, "seance.phase")
    assert [(e.payload["previous"], e.payload["phase"]) for e in changes] == [
        ("accueil", "vote"), ("vote", "recueil"), ("recueil", "plan")]
    assert {e.actor for e in changes} == {f"facilitator:{facilitator.id}"}


def test_a_new_phase_stops_the_timer(db, seance, facilitator):
    seances.set_timer(db, seance, 5, facilitator.id)
    assert seance.timer_ends_at is not None
    seances.set_phase(db, seance, "recueil", facilitator.id)
    assert seance.timer_ends_at is None


def test_an_unknown_phase_is_refused(db, seance, facilitator):
    refusal = seances.set_phase(db, seance, "pause", facilitator.id)
    assert (refusal.code, refusal.message) == ("phase_inconnue", "Phase inconnue.")
    db.refresh(seance)
    assert seance.phase == "accueil"
    assert factories.events(db, seance, "seance.phase") == []


def test_settings_record_only_what_changed(db, seance, facilitator):
    updated = seances.update_settings(db, seance, settings(dot_budget=8, weighting="collectivite"),
                                      facilitator.id)
    assert (updated.dot_budget, updated.max_dots_per_need, updated.weighting) == (8, 3, "collectivite")
    [event] = factories.events(db, seance, "seance.settings")
    assert event.payload == {"dot_budget": 8, "weighting": "collectivite"}
    seances.update_settings(db, seance, settings(dot_budget=8, weighting="collectivite"),
                            facilitator.id)
    assert len(factories.events(db, seance, "seance.settings")) == 1  # nothing changed


def test_revealing_the_tallies(db, seance, facilitator):
    seances.update_settings(db, seance, settings(tallies_visible=True), facilitator.id)
    assert seance.tallies_visible
    seances.update_settings(db, seance, settings(tallies_visible=False), facilitator.id)
    assert not seance.tallies_visible
    payloads = [e.payload for e in factories.events(db, seance, "seance.settings")]
    assert payloads == [{"tallies_visible": True}, {"tallies_visible": False}]


def test_more_dots_per_need_than_the_budget_is_refused(db, seance, facilitator):
    refusal = seances.update_settings(db, seance, settings(dot_budget=2, max_dots_per_need=3),
                                      facilitator.id)
    assert (refusal.code, refusal.field) == ("gommettes_incoherentes", "max_dots_per_need")
    db.refresh(seance)
    assert (seance.dot_budget, seance.max_dots_per_need) == (5, 3)
    assert factories.events(db, seance, "seance.settings") == []


def test_a_timer_runs_for_the_given_minutes_and_zero_stops_it(db, seance, facilitator):
    started = datetime.now(UTC)
    seances.set_timer(db, seance, 10, facilitator.id)
    db.refresh(seance)
    ends = seance.timer_ends_at
    if ends.tzinfo is None:  # SQLite gives naive UTC back
        ends = ends.replace(tzinfo=UTC)
    assert started + timedelta(minutes=10) <= ends <= datetime.now(UTC) + timedelta(minutes=10)
    seances.set_timer(db, seance, 0, facilitator.id)
    assert seance.timer_ends_at is None
    assert [e.payload["minutes"] for e in factories.events(db, seance, "seance.timer")] == [10, 0]


def test_close_and_reopen(db, seance, facilitator):
    seances.set_closed(db, seance, True, facilitator.id)
    assert seance.closed_at is not None
    seances.set_closed(db, seance, False, facilitator.id)
    assert seance.closed_at is None
    kinds = [e.kind for e in factories.events(db, seance)]
    assert kinds[-2:] == ["seance.closed", "seance.reopened"]


def test_find_a_seance_by_its_join_code(db, seance, facilitator):
    other = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Autre"))
    assert seances.by_join_code(db, seance.join_code).id == seance.id
    assert seances.by_join_code(db, other.join_code).id == other.id
    assert seances.by_join_code(db, codes.display(seance.join_code)) is None  # parse first
    unused = next(c for c in ("222222", "333333") if c not in (seance.join_code, other.join_code))
    assert seances.by_join_code(db, unused) is None


def test_find_a_seance_by_its_screen_secret(db, seance):
    assert seances.by_screen_token(db, seance.screen_token).id == seance.id
    assert seances.by_screen_token(db, "") is None
    assert seances.by_screen_token(db, seance.screen_token[:-1]) is None
    assert seances.by_screen_token(db, seance.screen_token + "x" * 64) is None
    assert seances.by_screen_token(db, seance.join_code) is None
