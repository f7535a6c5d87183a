import re
from html import unescape

import pytest
from sqlmodel import select

from tests import factories
from workshop.domain import codes
from workshop.models import Participant
from workshop.services import participants, seances

NOT_FOUND = "Cette page n'existe pas, ou elle ne vous est pas ouverte."


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator),
                            title="Plan de formation de la Pévèle")


def typed(code: str) -> str:
    """A code as someone types it from the screen: lower case, with the dash."""
    return codes.display(code).lower()


def unused_code(seance) -> str:
    return next(c for c in ("222222", "333333") if c != seance.join_code)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def cookie(client, seance):
    return client.get_cookie(f"p_{seance.id}")


# --- entering the code ----------------------------------------------------------


def test_the_short_address_asks_for_the_code(client):
    response = client.get("/j/")
    assert response.status_code == 200
    assert 'name="code"' in text(response)


def test_a_code_typed_in_lower_case_with_a_dash_leads_to_the_seance(client, seance):
    response = client.post("/j/", data={"code": typed(seance.join_code)})
    assert response.status_code == 302
    assert response.location == f"/j/{seance.join_code}"
    response = client.post("/j/", data={"code": " " + typed(seance.join_code).replace("-", " ")})
    assert response.location == f"/j/{seance.join_code}"


def test_an_unknown_code_is_said_in_french(client, seance):
    for code in (unused_code(seance), "ABC", ""):
        response = client.post("/j/", data={"code": code})
        assert response.status_code == 422
        assert "Code inconnu : vérifiez les six caractères affichés à l'écran." in \
            text(response)


def test_an_unknown_seance_is_a_french_404(client, seance):
    for path in (f"/j/{unused_code(seance)}", "/j/pas-un-code", f"/j/{unused_code(seance)}/collectivites"):
        response = client.get(path)
        assert response.status_code == 404
        assert NOT_FOUND in text(response)


# --- joining --------------------------------------------------------------------


def test_without_a_cookie_the_seance_shows_the_join_form(client, seance):
    for code in (seance.join_code, typed(seance.join_code)):
        response = client.get(f"/j/{code}")
        page = text(response)
        assert response.status_code == 200
        assert "Plan de formation de la Pévèle" in page
        assert 'name="role"' in page and "Rejoindre" in page
        assert "Ajouter un besoin" not in page


def test_search_the_perimeter_by_name_or_postcode(client, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    page = client.get(f"/j/{seance.join_code}/collectivites?q=orchies").get_data(as_text=True)
    assert f'value="{orchies}"' in page and "Orchies" in page
    assert "Auchy-lez-Orchies" in page  # every word matches
    by_postcode = client.get(f"/j/{seance.join_code}/collectivites?q=59830").get_data(as_text=True)
    assert "Cysoing" in by_postcode and "Bachy" in by_postcode and "Orchies" not in by_postcode
    accents = client.get(f"/j/{seance.join_code}/collectivites?q=BERSEE").get_data(as_text=True)
    assert "Bersée" in accents


def test_a_search_outside_the_perimeter_finds_nothing(client, seance):
    page = client.get(f"/j/{seance.join_code}/collectivites?q=lille").get_data(as_text=True)
    assert "Aucune collectivité du périmètre ne correspond." in page
    assert 'type="radio"' not in page
    empty = client.get(f"/j/{seance.join_code}/collectivites?q=").get_data(as_text=True)
    assert 'type="radio"' not in empty and "Aucune collectivité" not in empty


def test_a_broad_search_shows_fifteen_and_says_how_many_more(client, seance):
    page = client.get(f"/j/{seance.join_code}/collectivites?q=59").get_data(as_text=True)
    assert page.count('type="radio"') == 15
    # 38 communes with a 59 postcode and the EPCI (its département): 39 found.
    assert "24 autres : précisez la recherche." in page


def test_join_sets_the_phone_cookie_then_shows_the_board(client, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    response = client.post(f"/j/{typed(seance.join_code)}",
                           data={"collectivite_id": orchies, "role": "secretaire"})
    assert response.status_code == 302
    assert response.location == f"/j/{seance.join_code}"
    person = db.exec(select(Participant)).one()
    assert (person.collectivite_id, person.role) == (orchies, "secretaire")
    assert cookie(client, seance).value == person.token
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    page = client.get(response.location).get_data(as_text=True)
    assert "Orchies" in page and "Ajouter un besoin" in page
    assert "Rejoindre" not in page


def test_a_cookie_of_another_seance_does_not_open_this_one(client, db, seance, facilitator):
    other = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Autre"))
    person = factories.participant(db, other, "Orchies")
    client.set_cookie(f"p_{seance.id}", person.token)
    page = client.get(f"/j/{seance.join_code}").get_data(as_text=True)
    assert "Rejoindre" in page and "Ajouter un besoin" not in page
    client.set_cookie(f"p_{seance.id}", "n'importe quoi")
    assert "Rejoindre" in client.get(f"/j/{seance.join_code}").get_data(as_text=True)


@pytest.mark.parametrize(("form", "message"), [
    ({"role": "elu"}, "Choisissez votre collectivité et votre fonction."),
    ({"collectivite_id": "abc", "role": "elu"}, "Choisissez votre collectivité et votre fonction."),
    ({"collectivite_id": "OUTSIDER", "role": "elu"},
     "Choisissez une collectivité du périmètre de la séance."),
    ({"collectivite_id": "ORCHIES", "role": "pape"}, "Choisissez votre fonction dans la liste."),
])
def test_join_refusals_are_shown_and_set_no_cookie(client, db, seance, form, message):
    replace = {"OUTSIDER": factories.outsider_id(db),
               "ORCHIES": factories.collectivite_id(db, seance, "Orchies")}
    form = {k: replace.get(v, v) for k, v in form.items()}
    response = client.post(f"/j/{seance.join_code}", data=form)
    assert response.status_code == 422
    assert message in text(response)
    assert cookie(client, seance) is None
    assert db.exec(select(Participant)).all() == []


def test_join_a_closed_seance_is_refused(client, db, seance):
    seances.set_closed(db, seance, True, seance.owner_id)
    response = client.post(f"/j/{seance.join_code}",
                           data={"collectivite_id": factories.collectivite_id(db, seance, "Orchies"),
                                 "role": "elu"})
    assert response.status_code == 422
    assert "Cette séance est close." in text(response)
    assert cookie(client, seance) is None


def test_join_an_unknown_seance_is_404(client, db, seance):
    response = client.post(f"/j/{unused_code(seance)}", data={"collectivite_id": 1, "role": "elu"})
    assert response.status_code == 404
    assert db.exec(select(Participant)).all() == []


# --- the JSON door ----------------------------------------------------------------


def test_join_by_json_returns_the_token(client, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    response = client.post(f"/j/{typed(seance.join_code)}/participants",
                           json={"collectivite_id": orchies, "role": "agent"})
    assert response.status_code == 200
    body = response.get_json()
    person = db.exec(select(Participant)).one()
    assert body == {"ok": True, "participant_id": person.id, "seance_id": seance.id,
                    "token": person.token}
    assert person.role == "agent" and person.collectivite_id == orchies


def test_join_by_json_wants_json(client, db, seance):
    response = client.post(f"/j/{seance.join_code}/participants",
                           data={"collectivite_id": "1", "role": "elu"})
    assert response.status_code == 415
    assert response.get_json() == {"ok": False, "message":
                                   "Envoyez du JSON (Content-Type: application/json)."}
    assert db.exec(select(Participant)).all() == []


def test_join_by_json_refusals(client, db, seance):
    url = f"/j/{seance.join_code}/participants"
    missing = client.post(url, json={"role": "elu"})
    assert missing.status_code == 422
    assert missing.get_json() == {"ok": False, "code": "saisie_invalide",
                                  "errors": {"collectivite_id": "Ce champ est obligatoire."}}
    assert client.post(url, json=[1, 2]).get_json()["code"] == "saisie_invalide"
    outside = client.post(url, json={"collectivite_id": factories.outsider_id(db), "role": "elu"})
    assert outside.status_code == 422
    assert outside.get_json() == {"ok": False, "code": "collectivite_hors_perimetre", "message":
                                  "Choisissez une collectivité du périmètre de la séance."}
    orchies = factories.collectivite_id(db, seance, "Orchies")
    role = client.post(url, json={"collectivite_id": orchies, "role": "roi"})
    assert (role.status_code, role.get_json()["code"]) == (422, "role_inconnu")
    seances.set_closed(db, seance, True, seance.owner_id)
    closed = client.post(url, json={"collectivite_id": orchies, "role": "elu"})
    assert (closed.status_code, closed.get_json()["code"]) == (422, "seance_close")
    assert db.exec(select(Participant)).all() == []


def test_join_by_json_on_an_unknown_code_is_404(client, seance):
    response = client.post(f"/j/{unused_code(seance)}/participants",
                           json={"collectivite_id": 1, "role": "elu"})
    assert response.status_code == 404


def test_the_home_page_lets_a_participant_type_the_code(client, seance):
    page = text(client.get("/"))
    assert "Rejoindre une séance" in page
    action = re.search(r'<form method="post" action="([^"]+)" class="home-join">', page).group(1)
    response = client.post(action, data={"code": typed(seance.join_code)})
    assert response.status_code == 302 and response.location == f"/j/{seance.join_code}"


# --- changing one's collectivité or role (issue 15) ----------------------------------


def test_a_participant_corrects_collectivite_and_role(client, db, seance):
    person = factories.participant(db, seance, "Orchies", role="elu")
    client.set_cookie(f"p_{seance.id}", person.token)
    page = text(client.get(f"/j/{seance.join_code}"))
    assert f'href="/j/{seance.join_code}/moi"' in page
    form = text(client.get(f"/j/{seance.join_code}/moi"))
    assert "Vous parlez pour : Orchies (Maire ou élu·e)." in form
    assert 'type="radio" name="collectivite_id"' in form and "checked" in form
    cysoing = factories.collectivite_id(db, seance, "Cysoing")
    response = client.post(f"/j/{seance.join_code}/moi",
                           data={"collectivite_id": cysoing, "role": "secretaire"})
    assert (response.status_code, response.location) == (302, f"/j/{seance.join_code}")
    db.refresh(person)
    assert (person.collectivite_id, person.role) == (cysoing, "secretaire")
    assert cookie(client, seance).value == person.token  # the same participant, same dots
    assert "Cysoing" in text(client.get(f"/j/{seance.join_code}"))


@pytest.mark.parametrize(("form", "message"), [
    ({"role": "elu"}, "Choisissez votre collectivité et votre fonction."),
    ({"collectivite_id": "OUTSIDER", "role": "elu"},
     "Choisissez une collectivité du périmètre de la séance."),
    ({"collectivite_id": "CYSOING", "role": "pape"}, "Choisissez votre fonction dans la liste."),
])
def test_a_wrong_correction_is_refused_in_french_and_changes_nothing(client, db, seance, form,
                                                                     message):
    person = factories.participant(db, seance, "Orchies", role="elu")
    client.set_cookie(f"p_{seance.id}", person.token)
    replace = {"OUTSIDER": factories.outsider_id(db),
               "CYSOING": factories.collectivite_id(db, seance, "Cysoing")}
    form = {k: replace.get(v, v) for k, v in form.items()}
    response = client.post(f"/j/{seance.join_code}/moi", data=form)
    assert response.status_code == 422
    assert message in text(response)
    db.refresh(person)
    assert (person.collectivite_id, person.role) == (
        factories.collectivite_id(db, seance, "Orchies"), "elu")


def test_without_a_cookie_the_correction_page_leads_to_the_join_form(client, seance):
    response = client.get(f"/j/{seance.join_code}/moi")
    assert (response.status_code, response.location) == (302, f"/j/{seance.join_code}")
    response = client.post(f"/j/{seance.join_code}/moi", data={"role": "elu"})
    assert (response.status_code, response.location) == (302, f"/j/{seance.join_code}")


def test_the_phone_board_has_no_preselected_theme(client, db, seance):
    person = factories.participant(db, seance, "Orchies")
    client.set_cookie(f"p_{seance.id}", person.token)
    page = text(client.get(f"/j/{seance.join_code}"))
    start = page.index('<select id="theme_id"')
    select_ = page[start:page.index("</select>", start)]
    assert '<option value="" selected disabled>Choisir un thème…</option>' in select_
    assert select_.count("selected") == 1


def test_the_proxy_page_does_not_say_votre_collectivite_nor_offer_a_change(client, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    stand_in = participants.proxy(db, seance, orchies, seance.owner_id)
    client.set_cookie(f"p_{seance.id}", stand_in.token)
    page = text(client.get(f"/j/{seance.join_code}"))
    assert '<body class="phone proxy-entry"' in page
    assert f"/j/{seance.join_code}/moi" not in page
    person = factories.participant(db, seance, "Orchies")
    client.set_cookie(f"p_{seance.id}", person.token)
    page = text(client.get(f"/j/{seance.join_code}"))
    assert '<body class="phone"' in page and f"/j/{seance.join_code}/moi" in page


def test_the_board_lists_the_needs_this_phone_added_for_mes_besoins(client, db, seance):
    person = factories.participant(db, seance, "Orchies")
    other = factories.participant(db, seance, "Cysoing")
    seances.set_phase(db, seance, "recueil", seance.owner_id)
    mine = factories.need(db, seance, "Le mien", by=person)
    factories.need(db, seance, "Celui d'un autre", by=other)
    client.set_cookie(f"p_{seance.id}", person.token)
    page = text(client.get(f"/j/{seance.join_code}"))
    assert f'data-added="[{mine.id}]"' in page
    assert page.count('class="declare-box"') == 2 and "<details" in page
