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


def test_upload_preview_confirm(logged_in, db, perimetre):
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    data = "Action;Agents;Année\nSST;4;2027\nNacelles;beaucoup;2027\n".encode()
    response = logged_in.post(f"/perimetres/{perimetre.id}/plans/",
                              data={"fichier": (io.BytesIO(data), "orchies.csv"),
                                    "collectivite_id": str(orchies)},
                              content_type="multipart/form-data")
    assert response.status_code == 302
    preview = logged_in.get(response.location).get_data(as_text=True)
    assert "1 ligne(s) comprise(s), 1 refusée(s)" in preview
    assert "nombre d&#39;agents illisible : « beaucoup »" in preview
    confirmed = logged_in.post(response.location + "/confirmer", follow_redirects=True)
    page = confirmed.get_data(as_text=True)
    assert "1 besoin importé depuis « orchies.csv »" in page
    assert "1 collectivité(s) sur 39 ont envoyé leur plan." in page
    twice = logged_in.post(response.location + "/confirmer", follow_redirects=True)
    assert "déjà été importé" in twice.get_data(as_text=True)


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
