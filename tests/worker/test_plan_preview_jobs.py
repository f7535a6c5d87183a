"""A plan file's preview and import through the real worker (`workshop serve` starts it).

A big file is read by the worker with its progress ("Lecture de la feuille…", rows read);
the preview page shows it once done; a cancel stops it and the page offers to start again;
another facilitator sees none of it; the import itself is a job too.
"""

import re
import time

import pytest
from sqlmodel import Session, select

from bench.import_bench import csv_bytes, rows
from tests import factories
from tests.conftest import FacilitatorHttp
from tests.worker.test_worker import jobs_dir, wait_for
from workshop.db import make_engine
from workshop.models import ImportedNeed, Seance
from workshop.services import perimetres


@pytest.fixture
def one_at_a_time(monkeypatch):
    """The live server's worker takes one job at a time."""
    monkeypatch.setenv("WORKSHOP_JOB_WORKERS", "1")


def perimeter_and_orchies(server) -> tuple[int, int]:
    engine = make_engine(server.database_url)
    with Session(engine) as db:
        perimetre_id = db.get(Seance, server.seance_id).perimetre_id
        orchies = next(m.id for m in perimetres.members(db, perimetre_id) if m.name == "Orchies")
    engine.dispose()
    return perimetre_id, orchies


def upload(me: FacilitatorHttp, perimetre_id: int, name: str, data: bytes, collectivite_id: int) -> str:
    """Upload through the form; returns where the browser is sent (the preview page)."""
    response = me.http.post(f"{me.base}/perimetres/{perimetre_id}/plans/", headers={"X-CSRFToken": me.csrf},
                            files={"fichier": (name, data)}, data={"collectivite_id": str(collectivite_id)},
                            allow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def job_of(page: str) -> str:
    return re.search(r'id="job-([\w-]+)"', page).group(1)


def test_a_big_files_preview_runs_in_the_worker_with_progress_then_shows(one_at_a_time, live_server):
    me = live_server.facilitator()
    perimetre_id, orchies = perimeter_and_orchies(live_server)
    where = upload(me, perimetre_id, "gros-plan.csv", csv_bytes(rows(5000)), orchies)
    # 5,000 rows take the worker seconds: the page shows the job's progress, not the preview.
    page = me.http.get(live_server.url + where).text
    job = job_of(page)
    assert "<progress" in page and 'hx-trigger="every 1s"' in page
    running = wait_for(me, job, "lignes lues")  # the worker says how far it has read
    assert "Lecture de la feuille « CSV »" in running
    assert re.search(r'<progress[^>]+value="([1-9]\d*)"', running)
    # Once done, the partial sends the page to the preview (htmx follows HX-Redirect).
    deadline = time.monotonic() + 120
    while True:
        answer = me.http.get(f"{live_server.url}/travaux/{job}", headers={"HX-Request": "true"})
        if "HX-Redirect" in answer.headers or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert answer.headers["HX-Redirect"] == where
    preview = me.http.get(live_server.url + where).text
    assert "5\u202f000 lignes comprises, 0 refusée." in preview
    assert "autres lignes ne sont pas affichées ici" in preview  # the page shows 300 of them
    assert len(re.findall(r'<tr class="accepted"', preview)) == 300
    # The preview page is the facilitator's only: another one sees neither the job nor the page.
    engine = make_engine(live_server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        other = factories.facilitator(db, "autre@example.fr")
    engine.dispose()
    stranger = FacilitatorHttp(live_server.url, other.email, factories.PASSWORD)
    for path in (f"/travaux/{job}", f"/travaux/{job}/fichier", where):
        assert stranger.http.get(live_server.url + path).status_code == 404, path
    # Confirmed: the import is a job of the worker too; the rows are all saved.
    confirmed = me.http.post(f"{live_server.url}{where}/confirmer", headers={"X-CSRFToken": me.csrf},
                             allow_redirects=True)
    assert confirmed.status_code == 200
    if "/travaux/" in confirmed.url:  # longer than a second: its page, then the preview
        wait_for(me, confirmed.url.rsplit("/", 1)[-1], "job-done", timeout=120)
    engine = make_engine(live_server.database_url)
    with Session(engine) as db:
        assert len(db.exec(select(ImportedNeed)).all()) == 5000
    engine.dispose()
    assert "Déjà importé." in me.http.get(live_server.url + where).text


def test_a_cancelled_preview_stops_and_can_be_started_again(one_at_a_time, live_server):
    me = live_server.facilitator()
    perimetre_id, orchies = perimeter_and_orchies(live_server)
    where = upload(me, perimetre_id, "plan.csv", csv_bytes(rows(5000)), orchies)
    job = job_of(me.http.get(live_server.url + where).text)
    wait_for(me, job, "lignes lues")
    cancelled = me.post(f"/travaux/{job}/annuler")
    assert cancelled.status_code == 200 and "Annulé" in cancelled.text
    assert "Relancer la lecture du fichier" in cancelled.text
    assert not list(jobs_dir(live_server).glob(f"{job}*"))  # nothing half-written
    # The preview page does not start it again by itself: it says it was cancelled.
    page = me.http.get(live_server.url + where).text
    assert job_of(page) == job and "Annulé" in page
    again = me.http.post(f"{live_server.url}{where}/apercu", headers={"X-CSRFToken": me.csrf},
                         allow_redirects=True)
    second = job_of(again.text) if 'id="job-' in again.text else None
    if second:  # still reading: its progress, then the preview
        assert second != job
        wait_for(me, second, "job-done", timeout=100)
    assert "5\u202f000 lignes comprises" in me.http.get(live_server.url + where).text


def test_an_import_whose_preview_changed_fails_in_french_and_imports_nothing(app, db, facilitator):
    """The worker's own code (tasks.run, as huey calls it): the key of the preview the
    facilitator saw no longer matches (a column or a correction changed meanwhile)."""
    from workshop.models import Job, PlanImport
    from workshop.services import jobs
    from workshop.services import plan_imports as service
    from workshop.worker import tasks

    perimetre = factories.perimetre(db, facilitator)
    orchies = next(m.id for m in perimetres.members(db, perimetre.id) if m.name == "Orchies")
    upload_ = service.upload(db, perimetre, "plan.csv", "Action;Agents;Année\nSST;4;2027\n".encode(),
                             orchies, facilitator.id)
    job = jobs.create(db, service.IMPORT_JOB, facilitator.id, locale="fr",
                      params={"import_id": upload_.id, "perimetre_id": perimetre.id, "year": 2027,
                              "key": "the preview seen before a correction"})
    tasks.run(app, job.id)
    db.expire_all()
    failed = db.get(Job, job.id)
    assert failed.status == "failed" and "rien n'a été importé" in failed.error
    assert db.get(PlanImport, upload_.id).status == "preview"
    assert db.exec(select(ImportedNeed)).all() == []
    # With the key of the preview as it stands, the same job imports.
    again = jobs.create(db, service.IMPORT_JOB, facilitator.id, locale="fr",
                        params={"import_id": upload_.id, "perimetre_id": perimetre.id, "year": 2027,
                                "key": service.preview_key(db, upload_, 2027)})
    tasks.run(app, again.id)
    db.expire_all()
    assert db.get(Job, again.id).result["imported"] == 1
    assert len(db.exec(select(ImportedNeed)).all()) == 1
