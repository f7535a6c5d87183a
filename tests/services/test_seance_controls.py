from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.services.test_board import pg  # noqa: F401 - the PostgreSQL fixture
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


# --- several facilitator pages: partial writes, revisions (issue 14, item 6) ----------------


def test_settings_write_only_the_fields_given(db, seance, facilitator):
    seances.update_settings(db, seance, SeanceSettings(dot_budget=10, max_dots_per_need=4),
                            facilitator.id)
    seances.update_settings(db, seance, SeanceSettings(tallies_visible=True), facilitator.id)
    assert (seance.dot_budget, seance.max_dots_per_need, seance.tallies_visible) == (10, 4, True)
    # The cap is checked against the budget stored when the form gives only one of them.
    refusal = seances.update_settings(db, seance, SeanceSettings(max_dots_per_need=11),
                                      facilitator.id)
    assert refusal.code == "gommettes_incoherentes" and seance.max_dots_per_need == 4


def test_a_change_from_a_stale_revision_changes_nothing(db, seance, facilitator):
    seen = seance.revision
    seances.update_settings(db, seance, SeanceSettings(dot_budget=10), facilitator.id, seen)
    assert seance.revision == seen + 1
    events = len(factories.events(db, seance))
    for refused in (
            seances.update_settings(db, seance, SeanceSettings(dot_budget=6), facilitator.id, seen),
            seances.set_phase(db, seance, "vote", facilitator.id, seen),
            seances.set_timer(db, seance, 5, facilitator.id, seen),
            seances.extend_timer(db, seance, 1, facilitator.id, seen),
            seances.set_closed(db, seance, True, facilitator.id, seen)):
        assert refused is seances.STALE
    assert (seance.dot_budget, seance.phase, seance.timer_ends_at, seance.closed_at) == \
        (10, "accueil", None, None)
    assert len(factories.events(db, seance)) == events
    assert seances.set_phase(db, seance, "vote", facilitator.id, seen + 1).phase == "vote"


def test_one_more_minute(db, seance, facilitator):
    seances.extend_timer(db, seance, 1, facilitator.id)  # none running: starts for a minute
    assert seances.timer_minutes_left(seance) == 1
    seances.set_timer(db, seance, 3, facilitator.id)
    ends = seance.timer_ends_at
    seances.extend_timer(db, seance, 1, facilitator.id)
    assert seance.timer_ends_at - ends == timedelta(minutes=1)
    assert seances.timer_minutes_left(seance) == 4
    seances.set_timer(db, seance, 0, facilitator.id)
    assert seances.timer_minutes_left(seance) is None


def test_two_pages_racing_on_postgresql_one_wins(pg):  # noqa: F811
    """Two sessions read the same revision; the first commit wins, the second is refused."""
    from sqlmodel import Session

    from workshop.models import Seance

    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as a, Session(engine, expire_on_commit=False) as b:
        page_a, page_b = a.get(Seance, seance_.id), b.get(Seance, seance_.id)
        seen = page_a.revision
        assert not isinstance(seances.update_settings(
            a, page_a, SeanceSettings(dot_budget=10, max_dots_per_need=4), seance_.owner_id, seen),
            type(seances.STALE))
        assert seances.update_settings(b, page_b, SeanceSettings(tallies_visible=True),
                                       seance_.owner_id, seen) is seances.STALE
        assert (page_b.dot_budget, page_b.tallies_visible) == (10, False)  # the fresh state
