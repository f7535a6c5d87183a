from sqlmodel import select

from tests import factories
from tests.factories import FLANDRE_LYS, PEVELE
from workshop.models import Collectivite, Perimetre, PerimetreMember
from workshop.services import perimetres

HTMX = {"HX-Request": "true"}


def member_count(db, perimetre_id):
    return len(db.exec(select(PerimetreMember).where(PerimetreMember.perimetre_id == perimetre_id)).all())


def test_new_perimeter_form_lists_the_epci_by_departement(logged_in):
    page = logged_in.get("/perimetres/nouveau").get_data(as_text=True)
    assert "Nord (59)" in page and "Pas-de-Calais (62)" in page
    assert "Plusieurs départements" in page  # CC Flandre Lys
    assert page.count('name="epci_codes"') == 36


def test_create_a_perimeter_from_two_epci(logged_in, db):
    response = logged_in.post("/perimetres/nouveau",
                              data={"name": "Pévèle et Lys", "epci_codes": [PEVELE, FLANDRE_LYS]})
    assert response.status_code == 302
    perimetre = db.exec(select(Perimetre)).one()
    assert response.location == f"/perimetres/{perimetre.id}"
    page = logged_in.get(response.location).get_data(as_text=True)
    assert "48 collectivités" in page
    assert "Périmètre « Pévèle et Lys » créé." in page


def test_bad_perimeter_input_is_refused_in_french_and_changes_nothing(logged_in, db):
    cases = [
        ({"name": "X", "epci_codes": []}, "Choisissez au moins une intercommunalité."),
        ({"name": "X", "epci_codes": ["000000000"]}, "Intercommunalité inconnue : 000000000."),
        ({"name": "", "epci_codes": [PEVELE]}, "Ce champ est obligatoire."),
        ({"name": "x" * 300, "epci_codes": [PEVELE]}, "Texte trop long"),
    ]
    for data, message in cases:
        response = logged_in.post("/perimetres/nouveau", data=data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.exec(select(Perimetre)).all() == []


def test_htmx_actions_return_the_perimeter_partial(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    lille = db.exec(select(Collectivite).where(Collectivite.name == "Lille")).one()

    response = logged_in.post(f"/perimetres/{perimetre.id}/membres",
                              data={"collectivite_id": lille.id}, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith('<div id="perimetre"') and "<html" not in body
    assert "Lille ajoutée au périmètre." in body

    again = logged_in.post(f"/perimetres/{perimetre.id}/membres",
                           data={"collectivite_id": lille.id}, headers=HTMX)
    assert again.status_code == 422
    assert "Lille fait déjà partie du périmètre." in again.get_data(as_text=True)
    assert member_count(db, perimetre.id) == 40


def test_coordinator_outside_the_perimeter_is_refused(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    lille = db.exec(select(Collectivite).where(Collectivite.name == "Lille")).one()
    response = logged_in.post(f"/perimetres/{perimetre.id}/coordinatrice",
                              data={"collectivite_id": lille.id}, headers=HTMX)
    assert response.status_code == 422
    assert "doit faire partie du périmètre" in response.get_data(as_text=True)
    db.refresh(perimetre)
    assert perimetre.coordinator_id != lille.id


def test_plain_form_posts_redirect_with_a_message(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    response = logged_in.post(f"/perimetres/{perimetre.id}/hors-referentiel",
                              data={"name": "Syndicat des eaux de la Pévèle", "kind": "syndicat"},
                              follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Syndicat des eaux de la Pévèle ajoutée au périmètre." in page
    assert "Syndicat intercommunal" in page


def test_hand_added_collectivite_with_bad_kind_is_refused(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    response = logged_in.post(f"/perimetres/{perimetre.id}/hors-referentiel",
                              data={"name": "X", "kind": "commune"}, headers=HTMX)
    assert response.status_code == 422
    assert member_count(db, perimetre.id) == 39


def test_remove_and_search(logged_in, db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    orchies = db.exec(select(Collectivite).where(Collectivite.name == "Orchies")).one()
    response = logged_in.post(f"/perimetres/{perimetre.id}/membres/{orchies.id}/retrait",
                              headers=HTMX)
    assert "Orchies retirée du périmètre." in response.get_data(as_text=True)
    results = logged_in.get(f"/perimetres/{perimetre.id}/recherche?q=orch", headers=HTMX)
    assert results.get_data(as_text=True).startswith('<ul id="search-results"')
    assert "Orchies" in results.get_data(as_text=True)


def test_someone_elses_perimeter_is_not_found(logged_in, db):
    other = factories.facilitator(db)
    theirs = factories.perimetre(db, other)
    assert logged_in.get(f"/perimetres/{theirs.id}").status_code == 404
    response = logged_in.post(f"/perimetres/{theirs.id}/membres/1/retrait")
    assert response.status_code == 404
    assert "ne vous est pas ouverte" in response.get_data(as_text=True)
    assert len(perimetres.member_ids(db, theirs.id)) == 39
