from datetime import date

from sqlmodel import select

from tests import factories
from workshop.domain import codes
from workshop.models import Event
from workshop.schemas import SeanceCreate
from workshop.services import seances


def settings(perimetre_id, **overrides):
    values = dict(perimetre_id=perimetre_id, title="Séance", held_on=date(2026, 12, 1),
                  horizon_start=2027, horizon_years=3, dot_budget=5, max_dots_per_need=3)
    return SeanceCreate(**{**values, **overrides})


def test_create_a_seance_with_a_join_code_and_a_screen_secret(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    seance = factories.seance(db, facilitator, perimetre)
    assert seance.phase == "accueil"
    assert codes.parse(seance.join_code) == seance.join_code
    assert len(seance.screen_token) >= 32
    assert not seance.tallies_visible
    [event] = db.exec(select(Event).where(Event.kind == "seance.created")).all()
    assert event.seance_id == seance.id and event.actor == f"facilitator:{facilitator.id}"


def test_a_seance_needs_one_of_my_perimeters(db, facilitator):
    other = factories.facilitator(db)
    theirs = factories.perimetre(db, other)
    assert seances.create(db, facilitator.id, settings(theirs.id)).code == "perimetre_inconnu"
    assert seances.create(db, facilitator.id, settings(9999)).code == "perimetre_inconnu"
    assert seances.owned(db, facilitator.id) == []


def test_dots_per_need_cannot_exceed_the_budget(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    refusal = seances.create(db, facilitator.id, settings(perimetre.id, dot_budget=2,
                                                          max_dots_per_need=3))
    assert refusal.code == "gommettes_incoherentes"


def test_list_shows_my_seances_newest_first(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    factories.seance(db, facilitator, perimetre, title="Ancienne", held_on=date(2026, 1, 5))
    factories.seance(db, facilitator, perimetre, title="Récente", held_on=date(2026, 11, 5))
    rows = seances.owned(db, facilitator.id)
    assert [r.seance.title for r in rows] == ["Récente", "Ancienne"]
    assert rows[0].perimetre.id == perimetre.id and rows[0].participants == 0
