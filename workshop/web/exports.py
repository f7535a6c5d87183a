"""Downloads of a séance, at any moment: summary (HTML, PDF), workbook, CSV, JSON, IEL list,
per-collectivité extracts and their ZIP; and the import of a JSON export. Every one of them
is a job of the worker (workshop/worker): these views only ask and hand over."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from workshop import worker
from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.exports import tables
from workshop.i18n import say
from workshop.schemas import SEANCE_FILE_MAX, too_large
from workshop.services import jobs, perimetres
from workshop.web import current_facilitator, is_htmx, login_required, owned_or_404
from workshop.web.guards import upload_limit
from workshop.web.jobs import follow

bp = Blueprint("exports", __name__, url_prefix="/seances")
IMPORT_MAX = SEANCE_FILE_MAX


def _seance(seance_id: int):
    return owned_or_404("seance", seance_id)


@bp.get("/<int:seance_id>/synthese")
@login_required
def summary_page(seance_id: int):
    """The printable page: made by the worker too (a big séance's page takes seconds)."""
    return _start(_seance(seance_id), "synthese_html")


# The files are made by the worker (workshop/worker/tasks.py): these addresses ask for a job,
# then give the file if it is ready within a second, else the job's progress page.


@bp.get("/<int:seance_id>/synthese.pdf")
@login_required
def summary_pdf(seance_id: int):
    return _start(_seance(seance_id), "synthese_pdf")


@bp.get("/<int:seance_id>/pfm.docx")
@login_required
def pfm(seance_id: int):
    """The plan de formation mutualisé as an editable Word document."""
    return _start(_seance(seance_id), "pfm_docx")


@bp.get("/<int:seance_id>/pfm.pdf")
@login_required
def pfm_pdf(seance_id: int):
    """The same plan de formation mutualisé as PDF."""
    return _start(_seance(seance_id), "pfm_pdf")


@bp.get("/<int:seance_id>/seance.xlsx")
@login_required
def workbook(seance_id: int):
    return _start(_seance(seance_id), "classeur_xlsx")


@bp.get("/<int:seance_id>/csv/<name>.csv")
@login_required
def csv_table(seance_id: int, name: str):
    if name not in tables.BY_NAME:
        abort(404)
    return _start(_seance(seance_id), "tableau_csv", table=name)


@bp.get("/<int:seance_id>/seance.json")
@login_required
def json_export(seance_id: int):
    return _start(_seance(seance_id), "seance_json")


@bp.get("/<int:seance_id>/extraits.zip")
@login_required
def extracts_zip(seance_id: int):
    return _start(_seance(seance_id), "extraits_zip")


@bp.post("/<int:seance_id>/travaux")
@login_required
def start_job(seance_id: int):
    """The export page's buttons: the job's partial (htmx) or its page."""
    seance = _seance(seance_id)
    kind, form = request.form.get("kind", ""), request.form
    params: dict = {}
    if kind == "tableau_csv":
        if form.get("table") not in tables.BY_NAME:
            abort(404)
        params["table"] = form["table"]
    elif kind == "extrait_pdf":
        params["collectivite_id"] = _member_id(seance, form.get("collectivite_id", ""))
    elif kind not in SEANCE_JOBS:
        abort(404)
    job = worker.submit(kind, current_facilitator().id, seance.id, params, str(get_locale()))
    if isinstance(job, Refusal):  # too many jobs already (services.jobs.limited)
        if is_htmx():
            return render_template("jobs/_refused.html", refusal=job), 422
        flash(say(job), "error")
        return redirect(url_for(".index", seance_id=seance.id), 303)
    if is_htmx():
        return render_template("jobs/_job.html", job=job, refusal=None)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


# The export page's files of the whole séance, made from the séance alone (no parameter).
SEANCE_JOBS = ("synthese_pdf", "classeur_xlsx", "pfm_docx", "pfm_pdf", "seance_json",
               "extraits_zip")


def _member_id(seance, raw: str) -> int:
    if not raw.isdigit() or int(raw) not in perimetres.member_ids(get_session(), seance.perimetre_id):
        abort(404)
    return int(raw)


def _start(seance, kind: str, **params):
    job = worker.submit(kind, current_facilitator().id, seance.id, params, str(get_locale()))
    if isinstance(job, Refusal):  # too many jobs already (services.jobs.limited)
        flash(say(job), "error")
        return redirect(url_for(".index", seance_id=seance.id), 303)
    return follow(job)


@bp.get("/<int:seance_id>/collectivites/<int:collectivite_id>")
@login_required
def extract(seance_id: int, collectivite_id: int):
    seance = _seance(seance_id)
    _member_id(seance, str(collectivite_id))
    kind = "extrait_pdf" if request.args.get("format") == "pdf" else "extrait_html"
    return _start(seance, kind, collectivite_id=collectivite_id)


@bp.get("/<int:seance_id>/exports")
@login_required
def index(seance_id: int):
    seance = _seance(seance_id)
    db = get_session()
    return render_template("exports/index.html", seance=seance, tables=tables.BY_NAME,
                           members=perimetres.members(db, seance.perimetre_id),
                           jobs=jobs.for_seance(db, seance.id))


@bp.post("/importer")
@upload_limit(IMPORT_MAX)
@login_required
def import_json():
    upload = request.files.get("fichier")
    refusal = None
    if upload is None or not upload.filename:
        refusal = Refusal("fichier_absent", "Choisissez un fichier JSON exporté d'une séance.")
    else:
        raw = upload.read(IMPORT_MAX + 1)
        if len(raw) > IMPORT_MAX:
            refusal = too_large(IMPORT_MAX)
        else:  # read, checked and loaded by the worker: a big file never holds the room
            job = worker.submit("import_json", current_facilitator().id, locale=str(get_locale()),
                                upload=raw)
            if not isinstance(job, Refusal):
                return follow(job)
            refusal = job  # too many jobs already
    flash(say(refusal), "error")
    return redirect(url_for("seances.index")), 303
