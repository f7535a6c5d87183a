"""A job's whole life through the real worker: `workshop serve` starts it as its child.

Queued, progress, done, download; refused to another facilitator; cancelled while
queued and while running; failed, said in French, with nothing half-written.
"""

import re
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from tests import factories
from tests.conftest import FacilitatorHttp
from workshop.db import make_engine


@pytest.fixture
def one_at_a_time(monkeypatch):
    """The live server's worker takes one job at a time (so that a second one waits its turn)."""
    monkeypatch.setenv("WORKSHOP_JOB_WORKERS", "1")


def jobs_dir(server) -> Path:
    path = Path(server.database_url.removeprefix("sqlite:///"))
    return path.with_name(path.stem + "-jobs")


def ask(facilitator: FacilitatorHttp, seance_id: int, kind: str) -> str:
    response = facilitator.post(f"/seances/{seance_id}/travaux", kind=kind)
    assert response.status_code == 200, response.text
    return re.search(r'id="job-([\w-]+)"', response.text).group(1)


def partial(facilitator: FacilitatorHttp, job: str) -> str:
    response = facilitator.http.get(f"{facilitator.base}/travaux/{job}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text


def wait_for(facilitator, job: str, text: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = partial(facilitator, job)
        if text in html:
            return html
        time.sleep(0.2)
    raise AssertionError(f"job {job} never showed {text!r}; last: {html}")


def test_a_jobs_whole_life_through_the_real_worker(one_at_a_time, live_server):
    me = live_server.facilitator()
    seance = live_server.seance_id
    # The ZIP makes one PDF per collectivité of the perimeter (about forty): long enough to watch.
    long_job = ask(me, seance, "extraits_zip")
    first = partial(me, long_job)
    assert 'hx-trigger="every 1s"' in first and "<progress" in first
    running = wait_for(me, long_job, "Extrait : ")  # the worker says what it is doing
    assert re.search(r'<progress[^>]+value="([1-9]\d*)"', running)
    # While it runs, the next job waits its turn.
    waiting = ask(me, seance, "classeur_xlsx")
    assert "En attente du travailleur" in partial(me, waiting)
    # Cancelled while waiting, it never starts; the running ZIP stops at its next step.
    assert me.post(f"/travaux/{waiting}/annuler").status_code == 200
    cancelled = me.post(f"/travaux/{long_job}/annuler")
    assert cancelled.status_code == 200 and "Annulé" in cancelled.text
    # Neither leaves a file behind; the next job is made and handed over.
    short_job = ask(me, seance, "seance_json")
    done = wait_for(me, short_job, "Télécharger")
    assert "hx-trigger" not in done  # finished: the partial stops polling
    file = me.http.get(f"{live_server.url}/travaux/{short_job}/fichier")
    assert file.status_code == 200 and file.headers["Content-Type"].startswith("application/json")
    assert file.json()["seance"]["title"] == "Séance test"
    for job in (long_job, waiting):
        assert "Annulé" in partial(me, job)
        assert not list(jobs_dir(live_server).glob(f"{job}*"))
        assert me.http.get(f"{live_server.url}/travaux/{job}/fichier").status_code == 404
    # The export page finds the finished file again (a facilitator who closed the tab).
    page = me.http.get(f"{live_server.url}/seances/{seance}/exports").text
    assert f"/travaux/{short_job}/fichier" in page
    # Another facilitator sees none of it.
    engine = make_engine(live_server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        other = factories.facilitator(db, "autre@example.fr")
    engine.dispose()
    stranger = FacilitatorHttp(live_server.url, other.email, factories.PASSWORD)
    for path in (f"/travaux/{short_job}", f"/travaux/{short_job}/fichier"):
        assert stranger.http.get(live_server.url + path).status_code == 404, path


def test_a_failed_job_says_why_and_writes_nothing(live_server):
    me = live_server.facilitator()
    response = me.http.post(f"{live_server.url}/seances/importer", headers={"X-CSRFToken": me.csrf},
                            files={"fichier": ("x.json", b'{"format": "autre"}', "application/json")},
                            allow_redirects=False)
    assert response.status_code == 303
    # Within a second it is refused, back on the form with the reason; else its page says it.
    target = response.headers["Location"]
    if "/travaux/" in target:
        job = target.rsplit("/", 1)[-1]
        text = wait_for(me, job, "job-error")
    else:
        text = me.http.get(live_server.url + target).text
    assert "pas un export de séance valide" in text.replace("&#39;", "'")
    assert not list(jobs_dir(live_server).glob("*.part")) and not list(jobs_dir(live_server).glob("*.input"))


def test_the_worker_stops_with_its_server_and_its_cut_job_is_said_failed(live_server):
    import subprocess

    me = live_server.facilitator()
    job = ask(me, live_server.seance_id, "extraits_zip")
    wait_for(me, job, "Extrait : ")
    children = subprocess.run(["pgrep", "-P", str(live_server.process.process.pid)],
                              capture_output=True, text=True).stdout.split()
    assert children, "the server started no worker"
    live_server.process.kill()  # a crash: the worker notices its parent is gone, mid-job
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{children[0]}").exists():
        time.sleep(0.2)
    assert not Path(f"/proc/{children[0]}").exists() or "zombie" in Path(
        f"/proc/{children[0]}/status").read_text()
    live_server.process.start()  # the new worker says the cut job failed; nothing half-written
    me = live_server.facilitator()
    text = wait_for(me, job, "job-error", timeout=60)
    assert "interrompu" in text and "Demandez-le à nouveau" in text
    assert not list(jobs_dir(live_server).glob(f"{job}*"))
