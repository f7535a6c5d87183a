"""A job's page and partial (progress bar, cancel, file), and its file.

The partial polls itself every second while the job runs (htmx), so a
facilitator sees the progress without a socket, and the file when it is ready.
"""

from flask import Blueprint, abort, flash, make_response, redirect, send_file, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.models import Job
from workshop.services import jobs
from workshop.web import current_facilitator, is_htmx, login_required, outcome, page_or_partial
from workshop.worker import queue

bp = Blueprint("jobs", __name__, url_prefix="/travaux")
BRIEF_WAIT_S = 1.0  # a job this short gives its file at once; a longer one shows its progress


def visible(job_id: str) -> Job:
    job = jobs.visible(get_session(), job_id, current_facilitator().id)
    if job is None:
        abort(404)
    return job


def follow(job: Job):
    """After asking for a job: its file if it is ready within BRIEF_WAIT_S, else its progress page."""
    job = jobs.wait(get_session(), job, BRIEF_WAIT_S)
    if job.status == "done" and job.filename:
        return redirect(url_for("jobs.file", job_id=job.id), 303)
    if job.status == "done" and "seance_id" in job.result:  # an import: the séance it made
        if job.result.get("perimetre"):
            flash(_("Séance « %(title)s » importée dans le périmètre « %(perimetre)s ».",
                    title=job.result["title"], perimetre=job.result["perimetre"]), "success")
        else:
            flash(_("Séance « %(title)s » importée.", title=job.result["title"]), "success")
        return redirect(url_for("seances.detail", seance_id=job.result["seance_id"]), 303)
    if job.status == "failed" and job.seance_id is None:  # an import: back to the form, told why
        flash(job.error, "error")
        return redirect(url_for("seances.index"), 303)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.get("/<job_id>")
@login_required
def show(job_id: str):
    job = visible(job_id)
    response = make_response(page_or_partial("jobs/page.html", "jobs/_job.html", job=job, refusal=None))
    if job.status == "done" and job.kind in ("apercu_plan", "import_plan") and is_htmx():
        # The preview is ready, or the plan imported: the page goes to the preview.
        if job.kind == "import_plan":
            from workshop.web.plans import said_imported

            said_imported(job)
        response.headers["HX-Redirect"] = url_for("plans.preview", perimetre_id=job.result["perimetre_id"],
                                                  import_id=job.result["import_id"])
    return response


@bp.post("/<job_id>/annuler")
@login_required
def cancel(job_id: str):
    job = visible(job_id)
    result = jobs.cancel(get_session(), job)
    shown = outcome(result, _("Travail annulé."))
    return page_or_partial("jobs/page.html", "jobs/_job.html", shown["status"], job=job,
                           refusal=shown["refusal"])


@bp.get("/<job_id>/fichier")
@login_required
def file(job_id: str):
    job = visible(job_id)
    path = queue().files.file_path(job.id)
    if job.status != "done" or not job.filename or not path.is_file():
        abort(404)
    # A printable page opens in the browser; every other file is saved.
    response = send_file(path, mimetype=job.mimetype, download_name=job.filename, max_age=0,
                         as_attachment=not job.mimetype.startswith("text/html"))
    response.headers["Cache-Control"] = "no-store"
    # The type the job said, as is: werkzeug adds a charset to a text type that has one
    # already ("text/csv; charset=utf-8; charset=utf-8").
    response.headers["Content-Type"] = job.mimetype
    return response


@bp.app_context_processor
def kinds():
    return {"JOB_KINDS": jobs.KINDS}


@bp.app_template_filter("format_job_time")
def format_job_time(moment) -> str:
    from flask_babel import format_time

    return format_time(moment, "short")
