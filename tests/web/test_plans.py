import io

import openpyxl
import pytest

from tests import factories
from workshop.services import perimetres


@pytest.fixture
def perimetre(db, facilitator):
    return factories.perimetre(db, facilitator)


def test_templates_download(logged_in, perimetre):
    xlsx = logged_in.get(f"/perimetres/{perimetre.id}/plans/modele.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]] == ["Thème", "Intitulé de l'action", "Nombre d'agents",
                                            "Année souhaitée", "Priorité", "Remarques"]
    csv = logged_in.get(f"/perimetres/{perimetre.id}/plans/modele.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and b"Nombre d'agents" in csv.data


def post_file(client, perimetre, name, data, collectivite_id):
    return client.post(f"/perimetres/{perimetre.id}/plans/",
                       data={"fichier": (io.BytesIO(data), name), "collectivite_id": str(collectivite_id)},
                       content_type="multipart/form-data")


def test_upload_preview_correct_confirm_and_download_what_was_left_out(logged_in, db, perimetre):
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    data = "Action;Agents;Année\nSST;4;2027\nNacelles;beaucoup;2027\nCACES;2 à 3;2027\n".encode()
    response = post_file(logged_in, perimetre, "orchies.csv", data, orchies)
    assert response.status_code == 302
    preview = logged_in.get(response.location).get_data(as_text=True)
    assert "1 ligne comprise, 2 refusées" in preview
    assert "nombre d&#39;agents illisible : « beaucoup »" in preview
    assert "encodage UTF-8" in preview
    assert 'name="col-0-1"' in preview and 'name="cell-0:3-agents"' in preview
    # A correction typed in the preview, then confirmed: the other refused row is listed, downloadable.
    fixed = logged_in.post(response.location + "/choix", data={"cell-0:3-agents": "3"})
    assert fixed.status_code == 303
    assert "2 lignes comprises, 1 refusée" in logged_in.get(fixed.location).get_data(as_text=True)
    confirmed = logged_in.post(response.location + "/confirmer", data={"cell-0:4-agents": "2 à 3"},
                               follow_redirects=True)
    page = confirmed.get_data(as_text=True)
    assert "2 besoins importés depuis « orchies.csv »" in page
    assert "1 ligne laissée de côté" in page and "fourchette « 2 à 3 »" in page
    left_out = logged_in.get(response.location + "/lignes-ecartees.csv")
    assert left_out.headers["Content-Disposition"].startswith("attachment")
    assert "CACES;2 à 3;2027" in left_out.data.decode("utf-8-sig")
    index = logged_in.get(f"/perimetres/{perimetre.id}/plans/").get_data(as_text=True)
    assert "1 collectivité sur 39 a envoyé son plan." in index
    twice = logged_in.post(response.location + "/confirmer", follow_redirects=True)
    assert "déjà été importé" in twice.get_data(as_text=True)


def test_a_new_plan_replaces_the_first_and_can_be_withdrawn(logged_in, db, perimetre):
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    first = post_file(logged_in, perimetre, "v1.csv", "Action;Agents;Année\nSST;5;2027\n".encode(), orchies)
    logged_in.post(first.location + "/confirmer")
    second = post_file(logged_in, perimetre, "v2.csv", "Action;Agents;Année\nSST;7;2027\n".encode(), orchies)
    logged_in.post(second.location + "/confirmer")
    index = logged_in.get(f"/perimetres/{perimetre.id}/plans/").get_data(as_text=True)
    assert "2027 : 7" in index and "remplacé par un plan plus récent" in index
    withdrawn = logged_in.post(second.location + "/retirer", follow_redirects=True).get_data(as_text=True)
    assert "Import « v2.csv » retiré de la synthèse" in withdrawn and "2027 : 5" in withdrawn


def test_refused_upload_says_why(logged_in, perimetre):
    response = logged_in.post(f"/perimetres/{perimetre.id}/plans/",
                              data={"fichier": (io.BytesIO(b"\x89PNG"), "photo.png")},
                              content_type="multipart/form-data", follow_redirects=True)
    assert "Format non pris en charge" in response.get_data(as_text=True)


def test_plans_belong_to_the_perimeter_owner(client, db, perimetre):
    other = factories.facilitator(db)
    client.post("/connexion", data={"email": other.email, "password": factories.PASSWORD})
    assert client.get(f"/perimetres/{perimetre.id}/plans/").status_code == 404
    assert client.get(f"/perimetres/{perimetre.id}/plans/modele.xlsx").status_code == 404


def test_the_preview_says_which_rows_add_up_and_shows_the_category(logged_in, db, perimetre):
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    data = "Action;Agents;Année;Catégorie\nSST;4;2027;C\nSST;3;2027;cat. C\nCACES;1;2027;B\n".encode()
    response = post_file(logged_in, perimetre, "orchies.csv", data, orchies)
    page = logged_in.get(response.location).get_data(as_text=True)
    assert page.count("(2 lignes additionnées)") == 2
    assert "1 besoin réunit plusieurs lignes du fichier" in page
    assert "catégorie des agents (A, B, C) : C" in page


def test_a_file_with_nothing_to_import_offers_no_confirmation(logged_in, db, perimetre):
    """The tester's files: random bytes named fake.xls are refused at upload; a header-only
    CSV and a 20,001-row CSV show why nothing can be imported and no "Confirmer l'import";
    a confirmation posted anyway is refused in French; the index calls neither imported, in
    step with the synthesis."""
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    fake = post_file(logged_in, perimetre, "fake.xls", bytes(range(256)) * 4, orchies)
    assert fake.status_code == 303
    said = logged_in.get(fake.location).get_data(as_text=True).replace("&#39;", "'")
    assert "n'est pas un classeur XLSX, ODS ou XLS lisible" in said
    cases = (("header-only.csv", b"Action;Agents;Ann\xc3\xa9e\n",
              ["Aucune ligne de données sous l'en-tête (ligne 1).",
               "Aucune ligne de données dans ce fichier : il n'y a rien à importer."]),
             ("long.csv", ("Action;Agents;Année\n" + "SST;1;2027\n" * 20_001).encode(),
              ["Plus de 20000 lignes.", "Ce fichier n'a pas pu être lu : il n'y a rien à importer."]),
             ("ole.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really OLE",
              ["Ce fichier n'est pas un classeur XLSX, ODS ou XLS lisible."]))
    for name, data, sentences in cases:
        response = post_file(logged_in, perimetre, name, data, orchies)
        page = logged_in.get(response.location).get_data(as_text=True).replace("&#39;", "'")
        assert all(s in page for s in sentences), (name, page)
        assert "Confirmer l'import" not in page and "Lu comme : ?" not in page
        posted = logged_in.post(response.location + "/confirmer", follow_redirects=True)
        page = posted.get_data(as_text=True).replace("&#39;", "'")
        assert "il n'y a rien à importer" in page and "importé depuis" not in page, name
    index = logged_in.get(f"/perimetres/{perimetre.id}/plans/").get_data(as_text=True)
    assert "importé" not in index.replace("Aucun plan importé", "")
    assert index.count("aperçu à confirmer") == 3 and "Aucun plan importé pour l'instant." in index
    good = post_file(logged_in, perimetre, "good.csv", "Action;Agents;Année\nSST;4;2027\n".encode(), orchies)
    logged_in.post(good.location + "/confirmer")
    index = logged_in.get(f"/perimetres/{perimetre.id}/plans/").get_data(as_text=True)
    assert "importé (1 besoin)" in index and "Aucun plan importé" not in index
