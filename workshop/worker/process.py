"""One child process per job (issue 13, worker memory): huey's task runs each job here.

A big séance's PDF takes WeasyPrint about a gigabyte at its peak, and a Python process
keeps most of what it once held (the allocator's arenas): a worker that ran one such job
stayed near 600 MB. Each job therefore runs in a child process that exits after it, so
its memory goes back to the system. The children are forked by multiprocessing's fork
server, a small single-threaded process that imported the app's modules once
(`worker/preload.py`, WeasyPrint included; the worker itself never loads them): a
child makes its app (`create_app`, as the
worker process does: this module is wiring) and runs the job, without importing the
modules again, and never inherits the consumer's threads or database connections.

    run_isolated(app, job_id) -> None
"""

import logging
import os

from flask_babel import gettext as _

from workshop.db import session_scope
from workshop.models import Job
from workshop.services import jobs

log = logging.getLogger(__name__)

PRELOAD = ["workshop.worker.preload"]
_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def _plain_config(app) -> dict:
    """The app's settings a child needs to make the same app (plain values only)."""
    return {k: v for k, v in app.config.items()
            if isinstance(v, str | int | float | bool) or v is None}


def _follow_worker() -> None:
    """In a job's process: stop when the worker that asked for it is gone (its server was
    stopped), so that a job the restarted worker declared interrupted is not finished later."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def _child(config: dict, job_id: str) -> None:
    """A job's own process: the same app, the job, then exit (its memory with it)."""
    import threading

    threading.Thread(target=_follow_worker, daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    from workshop import create_app
    from workshop.worker.tasks import run

    run(create_app(config), job_id)
    peak = _peak_mb()
    log.info("job %s: done in its own process, peak %s MB", job_id, peak)


def run_isolated(app, job_id: str) -> None:
    """Huey's task: the job in a child process that exits after it (see above); in this
    process when the queue is immediate (the tests of views) or JOBS_ISOLATED is off.

    A child that dies without finishing its job (killed for memory, a crash) leaves the
    job failed with a reason in French, and nothing written.
    """
    if app.config.get("JOBS_IMMEDIATE") or not app.config.get("JOBS_ISOLATED", True):
        from workshop.worker.tasks import run

        run(app, job_id)
        return
    child = _context().Process(target=_child, args=(_plain_config(app), job_id),
                               name=f"workshop-job-{job_id}")
    child.start()
    child.join()
    if child.exitcode == 0:
        return
    log.error("job %s: its process ended with code %s", job_id, child.exitcode)
    from workshop.worker import EXTENSION

    files = app.extensions[EXTENSION].files
    with app.app_context(), session_scope() as db:
        job = db.get(Job, job_id)
        if job is not None and job.status in jobs.ACTIVE:
            with app.test_request_context("/", headers={"Accept-Language": job.locale}):
                jobs.fail(db, job_id, _("Le travail s'est arrêté avant la fin (mémoire ou erreur du "
                                        "serveur) ; rien n'a été écrit. Réessayez."))
    for path in (files.part_path(job_id), files.input_path(job_id)):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # the jobs folder itself is what failed
            log.exception("job %s: %s not removed", job_id, path)




def _peak_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
