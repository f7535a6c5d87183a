import io
import json

import pytest

from tests import factories
from workshop.services import board, plan, seances


@pytest.fixture
def seance(db, facilitator):
    return factories.populated_seance(db, facilitator, people=6, needs=4)


DOWNLOADS = {
    "synthese.pdf": "application/pdf",
    "seance.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "seance.json": "application/json",
    "pfm.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv/besoins.csv": "text/csv",
    "csv/iel.csv": "text/csv",
}


def test_every_download_for_its_facilitator(logged_in, seance):
    """Each address asks the worker for the file (immediate here) and hands it over once made."""
    for path, mimetype in DOWNLOADS.items():
        asked = logged_in.get(f"/seances/{seance.id}/{path}")
        assert asked.status_code == 303 and "/travaux/" in asked.location, path
        response = logged_in.get(asked.location)
        assert response.status_code == 200, path
        assert response.mimetype == mimetype, path
        assert "attachment" in response.headers["Content-Disposition"], path
    page = logged_in.get(f"/seances/{seance.id}/synthese", follow_redirects=True).get_data(as_text=True)
    assert "Synthèse de la séance de co-conception" in page and "<svg" in page
    assert "<script" not in page  # the charts are drawn on the server
    assert logged_in.get(f"/seances/{seance.id}/exports").status_code == 200


def test_unknown_table_and_foreign_collectivite_are_not_found(logged_in, db, seance):
    assert logged_in.get(f"/seances/{seance.id}/csv/secrets.csv").status_code == 404
    outsider = factories.outsider_id(db)
    assert logged_in.get(f"/seances/{seance.id}/collectivites/{outsider}").status_code == 404


def test_collectivite_extract(logged_in, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    page = logged_in.get(f"/seances/{seance.id}/collectivites/{orchies}", follow_redirects=True)
    page = page.get_data(as_text=True)
    assert "<h1>Orchies</h1>" in page
    pdf = logged_in.get(f"/seances/{seance.id}/collectivites/{orchies}?format=pdf", follow_redirects=True)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_the_summary_writes_figures_in_the_reader_language(logged_in, db, seance):
    need = factories.need(db, seance, "Accueil des publics", "acc-accueil-public")
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Cysoing"),
                               need.id, 2027, 1234))
    factories.ok(plan.set_capacity(db, seance, {2027: 500}, seance.owner_id))  # 82 groups placed
    french = logged_in.get(f"/seances/{seance.id}/synthese", follow_redirects=True).get_data(as_text=True)
    # the need's year (agents against the threshold, per year) and the plan's trainees
    assert "2027 : 1\u202f234 stagiaires, territorialisable" in french and "1\u202f234</td>" in french
    logged_in.get("/langue/en")
    english = logged_in.get(f"/seances/{seance.id}/synthese", follow_redirects=True).get_data(as_text=True)
    assert "2027: 1,234 trainees, can be held locally" in english and "1,234</td>" in english


def test_exports_belong_to_their_facilitator(client, db, seance):
    other = factories.facilitator(db)
    client.post("/connexion", data={"email": other.email, "password": factories.PASSWORD})
    for path in list(DOWNLOADS) + ["synthese", "exports"]:
        assert client.get(f"/seances/{seance.id}/{path}").status_code == 404, path


def test_import_through_the_form(logged_in, seance):
    exported = logged_in.get(f"/seances/{seance.id}/seance.json", follow_redirects=True).data
    response = logged_in.post("/seances/importer", data={"fichier": (io.BytesIO(exported), "s.json")},
                              content_type="multipart/form-data")
    assert response.status_code == 303
    assert "importée" in logged_in.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("body, message", [
    (b"\x00\x01 not json", "pas du JSON lisible"),
    (json.dumps({"format": "autre"}).encode(), "pas un export de séance valide"),
])


def test_bad_imports_are_refused_in_french(logged_in, body, message):
    response = logged_in.post("/seances/importer", data={"fichier": (io.BytesIO(body), "x.json")},
                              content_type="multipart/form-data", follow_redirects=True)
    assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_importing_a_seance_twice_through_the_form_keeps_one_perimeter(logged_in, db, seance):
    """Re-importing one's own export lands in the perimeter it came from (no second
    "Pévèle-Carembault" to pool with)."""
    from sqlmodel import func, select

    from workshop.models import Perimetre, Seance

    exported = logged_in.get(f"/seances/{seance.id}/seance.json", follow_redirects=True).data
    perimetres_before = db.exec(select(func.count()).select_from(Perimetre)).one()
    for _ in range(2):
        response = logged_in.post("/seances/importer", data={"fichier": (io.BytesIO(exported), "s.json")},
                                  content_type="multipart/form-data")
        assert response.status_code == 303
        said = logged_in.get(response.location).get_data(as_text=True)
        assert f"importée dans le périmètre « {db.get(Perimetre, seance.perimetre_id).name} »" in said
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Perimetre)).one() == perimetres_before
    copies = db.exec(select(Seance).where(Seance.title == seance.title)).all()
    assert len(copies) == 3 and {s.perimetre_id for s in copies} == {seance.perimetre_id}
@pytest.mark.parametrize("links", [{"n1": "n1"}, {"n1": "n2", "n2": "n1"}])
def test_an_import_with_a_need_merged_into_itself_or_a_cycle_is_refused(logged_in, db, seance,
                                                                       facilitator, links):
    """Issue 14 (tester): `needs[0].merged_into = "n1"` for n1, or n1 -> n2 -> n1: refused in
    French through the form, no séance written."""
    data = json.loads(logged_in.get(f"/seances/{seance.id}/seance.json",
                                    follow_redirects=True).data)
    for need in data["needs"]:
        need["merged_into"] = links.get(need["ref"])
    owned = len(seances.owned(db, facilitator.id))
    response = logged_in.post("/seances/importer",
                              data={"fichier": (io.BytesIO(json.dumps(data).encode()), "s.json")},
                              content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
    assert response.status_code == 200
    assert "Ce fichier contient un regroupement impossible : le besoin" in page
    assert "Rien n'a été importé." in page
    assert len(seances.owned(db, facilitator.id)) == owned
