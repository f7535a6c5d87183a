"""The job pages through the test client (the queue is immediate here; the real worker:
tests/worker/test_worker.py): the export page's buttons, the ZIP, who may see a job."""

import io
import re
import zipfile

import pytest

from tests import factories
from workshop.exports import tables
from workshop.services import perimetres, seances


@pytest.fixture
def seance(db, facilitator):
    return factories.populated_seance(db, facilitator, people=6, needs=4)


def ask(client, seance_id: int, kind: str, **fields) -> str:
    """Press an export page's button as htmx does; returns the job's partial."""
    response = client.post(f"/seances/{seance_id}/travaux", data={"kind": kind, **fields},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def job_id(partial: str) -> str:
    return re.search(r'id="job-([\w-]+)"', partial).group(1)


def test_the_zip_holds_one_pdf_per_collectivite_and_the_csv_tables(logged_in, db, seance):
    partial = ask(logged_in, seance.id, "extraits_zip")
    assert "Télécharger" in partial and ".zip" in partial
    response = logged_in.get(f"/travaux/{job_id(partial)}/fichier")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    members = perimetres.members(db, seance.perimetre_id)
    assert len([n for n in names if n.startswith("extraits/") and n.endswith(".pdf")]) == len(members)
    assert {f"tableaux/{name}.csv" for name in tables.BY_NAME} <= set(names)
    assert all(archive.read(n).startswith(b"%PDF") for n in names if n.endswith(".pdf"))
    assert archive.read("tableaux/iel.csv").startswith("\ufeff".encode())


def test_every_button_of_the_export_page_makes_its_file(logged_in, seance):
    """Each button, pressed as htmx does, starts its job and offers its file (the two "Plan de
    formation mutualisé" buttons were refused with a 404 and did nothing)."""
    page = logged_in.get(f"/seances/{seance.id}/exports").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="[^"]*/travaux".*?</form>', page, re.S)
    assert len(forms) >= 8
    for form in forms:
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        fields.pop("csrf_token", None)
        partial = ask(logged_in, seance.id, **fields)
        response = logged_in.get(f"/travaux/{job_id(partial)}/fichier")
        assert response.status_code == 200 and response.data, fields
        assert response.headers["Content-Type"].count("charset") <= 1, fields


def test_a_finished_file_is_found_again_on_the_export_page(logged_in, seance):
    first = job_id(ask(logged_in, seance.id, "synthese_pdf"))
    page = logged_in.get(f"/seances/{seance.id}/exports").get_data(as_text=True)
    assert f"/travaux/{first}/fichier" in page and "Synthèse PDF" in page


def test_jobs_belong_to_the_seance_facilitators(logged_in, client, app, db, seance, facilitator):
    job = job_id(ask(logged_in, seance.id, "tableau_csv", table="iel"))
    stranger = app.test_client()
    other = factories.facilitator(db)
    stranger.post("/connexion", data={"email": other.email, "password": factories.PASSWORD})
    for path in (f"/travaux/{job}", f"/travaux/{job}/fichier"):
        assert stranger.get(path).status_code == 404, path
    assert stranger.post(f"/travaux/{job}/annuler").status_code == 404
    # A colleague the séance is shared with runs it too: they see its jobs.
    factories.ok(seances.share(db, seance, other.email, facilitator.id))
    assert stranger.get(f"/travaux/{job}/fichier").status_code == 200


def test_a_finished_job_cannot_be_cancelled(logged_in, seance):
    job = job_id(ask(logged_in, seance.id, "seance_json"))
    response = logged_in.post(f"/travaux/{job}/annuler", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "déjà terminé" in response.get_data(as_text=True)


def test_unknown_kinds_tables_and_collectivites_are_refused(logged_in, db, seance):
    for fields in ({"kind": "secrets"}, {"kind": "import_json"}, {"kind": "tableau_csv", "table": "x"},
                   {"kind": "extrait_pdf", "collectivite_id": str(factories.outsider_id(db))}):
        assert logged_in.post(f"/seances/{seance.id}/travaux", data=fields).status_code == 404, fields
    assert logged_in.get("/travaux/inconnu").status_code == 404


def test_a_failed_import_says_why_in_the_readers_language(logged_in):
    logged_in.get("/langue/en")
    response = logged_in.post("/seances/importer", data={"fichier": (io.BytesIO(b"\x00 no"), "x.json")},
                              content_type="multipart/form-data", follow_redirects=True)
    assert "readable JSON" in response.get_data(as_text=True)


def test_a_facilitator_may_not_pile_up_jobs(logged_in, db, seance, facilitator):
    from sqlmodel import select

    from workshop.domain.limits import JOBS_ACTIVE_PER_FACILITATOR, JOBS_ACTIVE_PER_SEANCE
    from workshop.models import Job, Perimetre
    from workshop.services import jobs

    # Jobs still waiting for the worker (recorded, not handed over: the queue here is immediate).
    for _ in range(JOBS_ACTIVE_PER_SEANCE):
        assert isinstance(jobs.create(db, "synthese_pdf", facilitator.id, seance.id), Job)
    before = len(db.exec(select(Job)).all())
    response = logged_in.post(f"/seances/{seance.id}/travaux", data={"kind": "classeur_xlsx"},
                              headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Vous avez déjà 3 travaux en cours ici" in response.get_data(as_text=True).replace("&#39;", "'")
    page = logged_in.get(f"/seances/{seance.id}/synthese.pdf", follow_redirects=True)
    assert "travaux en cours ici" in page.get_data(as_text=True)
    assert len(db.exec(select(Job)).all()) == before  # nothing recorded
    # Another séance's jobs are counted apart, up to the facilitator's total.
    other = factories.seance(db, facilitator, db.get(Perimetre, seance.perimetre_id))
    for _ in range(JOBS_ACTIVE_PER_FACILITATOR - JOBS_ACTIVE_PER_SEANCE):
        assert isinstance(jobs.create(db, "synthese_pdf", facilitator.id, other.id), Job)
    assert jobs.create(db, "seance_json", facilitator.id, None).code == "trop_de_travaux"
    # Once one is cancelled (or done), the next one goes.
    first = db.exec(select(Job).where(Job.seance_id == seance.id)).first()
    jobs.cancel(db, first)
    assert ask(logged_in, seance.id, "seance_json")
