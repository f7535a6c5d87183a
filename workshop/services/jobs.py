"""Jobs: heavy work a facilitator asks for (an export, an import), done by the worker.

The worker (workshop/worker) runs a job and writes its progress and outcome
through these functions; the facilitator's page reads them. A job's file is
written aside and renamed when complete (`part_path` then `file_path`), so a
file that exists is whole. Files stay downloadable for KEEP, then `sweep`
removes them (the row stays, marked expired: what was asked remains known).

Who sees a job: the séance's facilitators (its owner and the colleagues it is
shared with, the same rule as the séance itself, `seances.get_owned`); a job
without a séance (a JSON import, a plan file's preview or import) only by the
facilitator who asked. How many jobs one facilitator may have waiting or
running is bounded (`limited`, domain/limits.py).
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from workshop.domain.limits import JOBS_ACTIVE_PER_FACILITATOR, JOBS_ACTIVE_PER_SEANCE
from workshop.domain.messages import msg
from workshop.domain.rules import Refusal
from workshop.models import Job, utcnow
from workshop.services import seances

KEEP = timedelta(hours=24)
SHOWN = 20  # the séance's export page lists its latest jobs, at most this many

# What each kind of job makes, as the export page and the job's page name it.
KINDS = {
    "synthese_pdf": msg("Synthèse PDF"),
    "synthese_html": msg("Synthèse à imprimer (page web)"),
    "classeur_xlsx": msg("Classeur XLSX"),
    "pfm_docx": msg("Plan de formation mutualisé (Word)"),
    "pfm_pdf": msg("Plan de formation mutualisé (PDF)"),
    "tableau_csv": msg("Tableau CSV"),
    "seance_json": msg("Séance complète (JSON)"),
    "extrait_pdf": msg("Extrait PDF d'une collectivité"),
    "extrait_html": msg("Extrait d'une collectivité (page web)"),
    "extraits_zip": msg("Extraits de toutes les collectivités (ZIP)"),
    "import_json": msg("Import d'une séance (JSON)"),
    "apercu_plan": msg("Aperçu d'un plan de formation"),
    "import_plan": msg("Import d'un plan de formation"),
}
ACTIVE = ("queued", "running")
NOT_CANCELLABLE = Refusal("travail_termine", "Ce travail est déjà terminé.")


class Cancelled(Exception):
    """Raised in the worker at its next progress report once the job is cancelled."""


@dataclass(frozen=True)
class Files:
    """Where jobs keep their files (a folder the server and the worker share)."""

    root: Path

    def file_path(self, job_id: str) -> Path:
        return self.root / job_id

    def part_path(self, job_id: str) -> Path:
        return self.root / f"{job_id}.part"

    def input_path(self, job_id: str) -> Path:
        return self.root / f"{job_id}.input"


TOO_MANY_HERE = Refusal("trop_de_travaux", "Vous avez déjà %(max)s travaux en cours ici : attendez "
                                           "qu'ils se terminent, ou annulez-en un.",
                        max=JOBS_ACTIVE_PER_SEANCE)
TOO_MANY = Refusal("trop_de_travaux", "Vous avez déjà %(max)s travaux en cours : attendez qu'ils se "
                                      "terminent, ou annulez-en un.", max=JOBS_ACTIVE_PER_FACILITATOR)


def limited(db: Session, facilitator_id: int, seance_id: int | None) -> Refusal | None:
    """Why this facilitator may not ask for one more job now, or None: at most
    JOBS_ACTIVE_PER_SEANCE queued or running for one séance (or outside any), and
    JOBS_ACTIVE_PER_FACILITATOR in all (domain/limits.py)."""
    mine = select(Job.seance_id).where(Job.facilitator_id == facilitator_id, col(Job.status).in_(ACTIVE))
    active = db.exec(mine).all()
    if len(active) >= JOBS_ACTIVE_PER_FACILITATOR:
        return TOO_MANY
    if sum(1 for s in active if s == seance_id) >= JOBS_ACTIVE_PER_SEANCE:
        return TOO_MANY_HERE
    return None


def create(db: Session, kind: str, facilitator_id: int, seance_id: int | None = None,
           params: dict | None = None, locale: str = "fr") -> Job | Refusal:
    """A queued job; a Refusal (nothing recorded) when the facilitator has too many (`limited`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    refused = limited(db, facilitator_id, seance_id)
    if refused is not None:
        return refused
    job = Job(id=secrets.token_urlsafe(16), kind=kind, seance_id=seance_id,
              facilitator_id=facilitator_id, params=params or {}, locale=locale)
    db.add(job)
    db.commit()
    return job


def visible(db: Session, job_id: str, facilitator_id: int) -> Job | None:
    """The job if this facilitator may see it (see the module's docstring), else None (a 404)."""
    job = db.get(Job, job_id)
    if job is None:
        return None
    if job.seance_id is not None:
        return job if seances.get_owned(db, job.seance_id, facilitator_id) else None
    return job if job.facilitator_id == facilitator_id else None


def for_seance(db: Session, seance_id: int) -> list[Job]:
    """The séance's latest jobs, newest first: those running and those whose file is kept."""
    since = utcnow() - KEEP
    return list(db.exec(select(Job).where(Job.seance_id == seance_id, Job.created_at >= since,
                                          Job.status != "expired")
                        .order_by(Job.created_at.desc()).limit(SHOWN)))


def _fresh(db: Session, job_id: str) -> Job | None:
    db.expire_all()  # another process (the server, the worker) may have changed it
    return db.get(Job, job_id)


def start(db: Session, job_id: str) -> Job | None:
    """Mark the job running; None when it was cancelled (or is unknown) before it started."""
    job = _fresh(db, job_id)
    if job is None or job.status != "queued":
        return None
    job.status, job.step = "running", ""
    db.commit()
    return job


def report(db: Session, job_id: str, progress: int, step: str) -> None:
    """Progress (percent) and what the job is doing now; raises Cancelled once it is cancelled."""
    job = _fresh(db, job_id)
    if job is None or job.status == "cancelled":
        raise Cancelled(job_id)
    job.progress, job.step = max(0, min(100, progress)), step[:200]
    db.commit()


def finish(db: Session, job_id: str, filename: str, mimetype: str, size: int,
           result: dict | None = None) -> Job:
    """The job is done (its file in place); raises Cancelled if it was cancelled meanwhile."""
    job = _fresh(db, job_id)
    if job is None or job.status == "cancelled":
        raise Cancelled(job_id)
    job.status, job.progress, job.step = "done", 100, ""
    job.filename, job.mimetype, job.size = filename[:200], mimetype, size
    job.result = result or {}
    job.finished_at = utcnow()
    db.commit()
    return job


def fail(db: Session, job_id: str, error: str) -> None:
    """The job failed; `error` says why, already in the job's language."""
    job = _fresh(db, job_id)
    if job is None or job.status == "cancelled":
        return
    job.status, job.error, job.finished_at = "failed", error[:500], utcnow()
    db.commit()


def cancel(db: Session, job: Job) -> Job | Refusal:
    """Stop a job: a queued one never starts, a running one stops at its next progress report."""
    db.refresh(job)
    if job.status not in ACTIVE:
        return NOT_CANCELLABLE
    job.status, job.finished_at = "cancelled", utcnow()
    db.commit()
    return job


def sweep(db: Session, files: Files) -> int:
    """Remove the files of jobs older than KEEP (and any part left by a crash); returns how many."""
    old = db.exec(select(Job).where(Job.created_at < utcnow() - KEEP, Job.status != "expired")).all()
    for job in old:
        for path in (files.file_path(job.id), files.part_path(job.id), files.input_path(job.id)):
            path.unlink(missing_ok=True)
        job.status = "expired"
    db.commit()
    return len(old)


def wait(db: Session, job: Job, seconds: float, every: float = 0.1) -> Job:
    """The job once finished, or as it is after `seconds` (a short job answers at once).

    Sleeps with time.sleep, which gevent makes a yield in the server: the loop serves the others.
    """
    import time

    deadline = time.monotonic() + seconds
    while job.status in ACTIVE and time.monotonic() < deadline:
        time.sleep(every)
        job = _fresh(db, job.id)
    return job


def running(db: Session) -> list[Job]:
    """Jobs marked running: when the only worker starts, those were cut short by its last stop."""
    return list(db.exec(select(Job).where(Job.status == "running")))
