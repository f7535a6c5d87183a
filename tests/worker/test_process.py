"""Each job in its own process (issue 13, worker memory): worker.process.run_isolated."""

import os

import pytest

from tests import factories
from workshop import create_app
from workshop.models import Job
from workshop.services import jobs


@pytest.fixture
def worker_app(db_url, tmp_path):
    def make(jobs_dir):
        app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                          "JOBS_DIR": str(jobs_dir), "JOBS_ISOLATED": True})
        made.append(app)
        return app

    made = []
    yield make
    for app in made:
        app.extensions["workshop.engine"].dispose()


def ask(app, db, kind, params):
    facilitator = factories.facilitator(db)
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    return jobs.create(db, kind, facilitator.id, seance.id, params, "fr").id


def test_a_job_runs_in_its_own_process_and_its_file_is_whole(worker_app, db, tmp_path):
    from workshop.worker import process

    app = worker_app(tmp_path / "jobs")
    job_id = ask(app, db, "tableau_csv", {"table": "plan"})
    pid = os.getpid()
    process.run_isolated(app, job_id)
    job = db.get(Job, job_id)
    db.refresh(job)
    assert (job.status, job.filename.startswith("plan-")) == ("done", True)
    assert (tmp_path / "jobs" / job_id).read_bytes().startswith(b"\xef\xbb\xbfCl\xc3\xa9")  # the CSV
    assert os.getpid() == pid and process._CONTEXT is not None  # made by the fork server's child


def test_a_job_whose_process_dies_is_failed_in_french(worker_app, db, tmp_path):
    """The job's process ends without finishing (here its jobs folder cannot be made): the
    worker says the job failed, in French, rather than leaving it running forever."""
    from workshop.worker import process

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = worker_app(blocker / "jobs")
    job_id = ask(app, db, "tableau_csv", {"table": "plan"})
    process.run_isolated(app, job_id)
    job = db.get(Job, job_id)
    db.refresh(job)
    assert job.status == "failed" and "s'est arrêté avant la fin" in job.error
