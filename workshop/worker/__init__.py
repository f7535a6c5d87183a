"""The worker: heavy work (exports, imports) done outside the serving loop, through huey.

Why huey: a small, well-kept task queue (one dependency, no broker of its own)
with the two storages our two deployments need: SQLite (a file beside the
database) for the embedded mode, where `workshop serve` starts the consumer as
a child process, and Redis for the cluster, where the consumer runs as its own
service (`workshop worker`, docs/deploy.md). RQ and Dramatiq need Redis or
RabbitMQ even for one machine; a process pool would tie the work to one server
process and lose it with it.

Huey only carries "run job <id>": what a job is, its progress, its file and
who may see it are ours (`services.jobs`, the `job` table), so the page, the
worker and the tests read one truth whichever storage carries the message.

    submit(kind, facilitator_id, seance_id=None, params=None, locale="fr") -> Job | Refusal
"""

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.models import Job
from workshop.services import jobs

log = logging.getLogger(__name__)
EXTENSION = "workshop.jobs"


class Queue:
    """The app's huey, made on first use (the storage opens a file or a Redis connection)."""

    def __init__(self, app) -> None:
        self.app = app
        self.files = jobs.Files(jobs_dir(app.config))
        self._huey = None
        self._task = None

    @property
    def huey(self):
        if self._huey is None:
            self._huey = make_huey(self.app.config, self.files.root)
            app = self.app

            # Huey carries only the job's id; the job's row says what to do.
            @self._huey.task(name="workshop.run_job", retries=0)
            def run_job(job_id: str) -> None:
                # Imported where jobs run: the server never loads WeasyPrint and the other makers.
                from workshop.worker import process

                process.run_isolated(app, job_id)  # in a child process that exits after the job

            self._task = run_job
        return self._huey

    def enqueue(self, job_id: str) -> None:
        self.huey  # noqa: B018 - makes the task
        self._task(job_id)


def jobs_dir(config) -> Path:
    """JOBS_DIR, else beside a SQLite database (`<name>-jobs/`), else instance/jobs."""
    if config.get("JOBS_DIR"):
        return Path(config["JOBS_DIR"])
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return path.with_name(path.stem + "-jobs")
    return Path(config["INSTANCE_PATH"]) / "jobs"


def make_huey(config, root: Path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    if config.get("JOBS_IMMEDIATE"):  # the tests of views: the job runs inside the request
        return MemoryHuey("workshop-jobs", results=False, immediate=True)
    if config.get("REDIS_URL"):
        return RedisHuey(config["SOCKETIO_CHANNEL"] + "-jobs", results=False, url=config["REDIS_URL"])
    root.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("workshop-jobs", results=False, filename=str(root / "queue.sqlite3"))


def init_app(app) -> None:
    app.config.setdefault("INSTANCE_PATH", app.instance_path)
    app.extensions[EXTENSION] = Queue(app)


def warm(app) -> None:
    """Open the queue's storage and make its task (both take a moment the first time)."""
    app.extensions[EXTENSION].huey  # noqa: B018 - the property makes them


def queue() -> Queue:
    return current_app.extensions[EXTENSION]


def submit(kind: str, facilitator_id: int, seance_id: int | None = None, params: dict | None = None,
           locale: str = "fr", upload: bytes | None = None) -> Job | Refusal:
    """Record the job (with its uploaded file, if any), then hand it to the worker.

    Returns the job: queued, or already finished when the queue is immediate (tests); or the
    Refusal when the facilitator already has too many jobs (services.jobs.limited).
    """
    db = get_session()
    job = jobs.create(db, kind, facilitator_id, seance_id, params, locale)
    if isinstance(job, Refusal):
        return job
    if upload is not None:
        files = queue().files
        files.root.mkdir(parents=True, exist_ok=True)
        files.input_path(job.id).write_bytes(upload)
    queue().enqueue(job.id)
    db.refresh(job)
    return job
