from sqlmodel import select

from tests import factories
from workshop.domain import codes
from workshop.models import Seance

FORM = {"title": "Co-conception 2027", "held_on": "2026-12-03", "horizon_start": "2027",
        "horizon_years": "3", "dot_budget": "5", "max_dots_per_need": "3",
        "weighting": "collectivite"}


def test_create_a_seance_and_see_it_listed(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    form = logged_in.get(f"/seances/nouvelle?perimetre={perimetre.id}").get_data(as_text=True)
    assert f'<option value="{perimetre.id}" selected>' in form

    response = logged_in.post("/seances/nouvelle", data={**FORM, "perimetre_id": perimetre.id})
    seance = db.exec(select(Seance)).one()
    assert response.location == f"/seances/{seance.id}"
    assert seance.weighting == "collectivite"
    detail = logged_in.get(response.location).get_data(as_text=True)
    assert codes.display(seance.join_code) in detail
    assert "2027–2029" in detail

    listing = logged_in.get("/seances/").get_data(as_text=True)
    assert "Co-conception 2027" in listing and "Pévèle" in listing


def test_the_list_writes_its_dates_unambiguously_in_each_language(logged_in, db, facilitator):
    factories.seance(db, facilitator, factories.perimetre(db, facilitator))  # 1 December 2026
    assert "1 déc. 2026" in logged_in.get("/seances/").get_data(as_text=True)
    logged_in.get("/langue/en")
    listing = logged_in.get("/seances/").get_data(as_text=True)
    assert "Dec 1, 2026" in listing and "12/1/26" not in listing


def test_bad_seance_input_is_refused_field_by_field(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    bad = {**FORM, "perimetre_id": perimetre.id, "held_on": "31/02/2026", "horizon_years": "0",
           "dot_budget": "beaucoup", "title": " "}
    response = logged_in.post("/seances/nouvelle", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Entrez une date valide." in page
    assert "La valeur doit être au moins 1." in page
    assert "Entrez un nombre entier." in page
    assert "Ce champ est obligatoire." in page
    assert db.exec(select(Seance)).all() == []


def test_a_seance_on_someone_elses_perimeter_is_refused(logged_in, db):
    theirs = factories.perimetre(db, factories.facilitator(db))
    response = logged_in.post("/seances/nouvelle", data={**FORM, "perimetre_id": theirs.id})
    assert response.status_code == 422
    assert "Choisissez un de vos périmètres." in response.get_data(as_text=True)


def test_someone_elses_seance_is_not_found(logged_in, db):
    other = factories.facilitator(db)
    seance = factories.seance(db, other, factories.perimetre(db, other))
    assert logged_in.get(f"/seances/{seance.id}").status_code == 404
