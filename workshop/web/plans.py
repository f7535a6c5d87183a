"""Before the séance: the collectivités' plans, uploaded, previewed, confirmed, synthesised."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from workshop import worker
from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.exports import csv_files, xlsx
from workshop.exports.tables import Table
from workshop.i18n import ngettext, parse, say
from workshop.models import Job, PlanImport
from workshop.schemas import PLAN_FILE_MAX, SeanceCreate, form_id
from workshop.services import jobs, perimetres, plan_preview
from workshop.services import plan_imports as service
from workshop.services.plan_preview import FilePreview
from workshop.web import current_facilitator, download, invalid, login_required, owned_or_404
from workshop.web.guards import upload_limit
from workshop.web.jobs import BRIEF_WAIT_S
from workshop.worker import queue

bp = Blueprint("plans", __name__, url_prefix="/perimetres/<int:perimetre_id>/plans")


def _perimetre(perimetre_id: int):
    return owned_or_404("perimetre", perimetre_id)


def _upload(perimetre, import_id: int) -> PlanImport:
    row = get_session().get(PlanImport, import_id)
    if row is None or row.perimetre_id != perimetre.id:
        abort(404)
    return row


def _year() -> int:
    return date.today().year + 1


@bp.get("/")
@login_required
def index(perimetre_id: int):
    perimetre = _perimetre(perimetre_id)
    db = get_session()
    return render_template("plans/index.html", perimetre=perimetre,
                           synthesis=service.synthesis(db, perimetre),
                           members=perimetres.members(db, perimetre.id), errors={},
                           default_year=_year())


@bp.get("/modele.<fmt>")
@login_required
def template(perimetre_id: int, fmt: str):
    _perimetre(perimetre_id)
    rows = service.template_rows()
    table = Table("plan", "Plan de formation", rows[0], rows[1:], [26, 44, 16, 16, 12, 40])
    if fmt == "xlsx":
        return download(xlsx.render([table], "Plan de formation", "Modèle"),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "modele-plan-de-formation.xlsx")
    if fmt == "csv":
        return download(csv_files.render(table), "text/csv; charset=utf-8",
                         "modele-plan-de-formation.csv")
    abort(404)


@bp.post("/")
@upload_limit(PLAN_FILE_MAX)
@login_required
def upload(perimetre_id: int):
    perimetre = _perimetre(perimetre_id)
    file = request.files.get("fichier")
    collectivite_id = form_id(request.form.get("collectivite_id"))
    if file is None or not file.filename:
        result = Refusal("fichier_absent", "Choisissez un fichier XLSX, ODS, XLS ou CSV.")
    else:
        result = service.upload(get_session(), perimetre, file.filename,
                                file.read(service.MAX_BYTES + 1), collectivite_id,
                                current_facilitator().id)
    if isinstance(result, Refusal):
        flash(say(result), "error")
        return redirect(url_for(".index", perimetre_id=perimetre.id)), 303
    return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=result.id))


def _preview_page(perimetre, upload_, preview):
    db = get_session()
    themes = service.active_themes(db)
    fields = service.field_labels()
    return render_template("plans/preview.html", perimetre=perimetre, upload=upload_, preview=preview,
                           themes=sorted(themes.values(), key=lambda t: (t.domain, t.name)),
                           theme_names={t.code: t.name for t in themes.values()},
                           names={m.id: m.name for m in perimetres.members(db, perimetre.id)},
                           editable=service.editable(preview), shown=service.shown(db, preview, perimetre.id),
                           fields=fields, field_names=dict(fields),
                           preview_blocker=plan_preview.blocker)


def _ready(upload_) -> tuple[Job | None, service.Kept | None]:
    """(the job, the preview it kept) when the upload's preview, as it now stands, is ready;
    (the job, None) while it is built, or when it failed or was cancelled; (None, None) when
    it was never asked (or its file expired): ask it with `_ask`."""
    db = get_session()
    job = service.preview_job(db, upload_)
    if job is None or job.params.get("key") != service.preview_key(db, upload_, _year()):
        return None, None
    if job.status == "done":
        preview = service.stored(queue().files.file_path(job.id))
        return (job, preview) if preview is not None else (None, None)
    if job.status in jobs.ACTIVE + ("failed", "cancelled"):
        return job, None
    return None, None  # expired


def _ask(upload_) -> tuple[Job | Refusal, service.Kept | None]:
    """Hand the preview to the worker; a small file's is ready within BRIEF_WAIT_S. The
    Refusal instead of the job when the facilitator has too many jobs already."""
    db = get_session()
    job = worker.submit(service.PREVIEW_JOB, current_facilitator().id, locale=str(get_locale()),
                        params={"import_id": upload_.id, "perimetre_id": upload_.perimetre_id,
                                "year": _year(), "key": service.preview_key(db, upload_, _year())})
    if isinstance(job, Refusal):
        return job, None
    service.point(db, upload_, job)
    job = jobs.wait(db, job, BRIEF_WAIT_S)
    if job.status == "done":
        return job, service.stored(queue().files.file_path(job.id))
    return job, None


@bp.get("/<int:import_id>")
@login_required
def preview(perimetre_id: int, import_id: int):
    """The preview when ready; else the progress of the job building it (the page follows it)."""
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    job, result = _ready(upload_)
    if job is None:
        job, result = _ask(upload_)
    if result is not None:
        return _preview_page(perimetre, upload_, result.preview)
    if isinstance(job, Refusal):  # too many jobs: the page says so and offers to try again
        return render_template("plans/preview_job.html", perimetre=perimetre, upload=upload_, job=None,
                               refusal=job), 429
    return render_template("plans/preview_job.html", perimetre=perimetre, upload=upload_, job=job,
                           refusal=None)


@bp.post("/<int:import_id>/apercu")
@login_required
def restart(perimetre_id: int, import_id: int):
    """Build the preview again (after a failure or a cancel)."""
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    job, _result = _ready(upload_)
    if job is None or job.status not in jobs.ACTIVE:
        job, _result = _ask(upload_)
        if isinstance(job, Refusal):
            flash(say(job), "error")
    return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303


NOT_READY = Refusal("apercu_en_cours", "L'aperçu de ce fichier n'est pas encore prêt : rien n'a été "
                                       "changé. Attendez la fin de sa lecture.")


def _keep_choices(upload_, before: FilePreview) -> bool | Refusal:
    """Keep the preview form's choices; whether the preview changes with them."""
    db = get_session()
    key = service.preview_key(db, upload_, _year())
    kept = service.keep(db, upload_, request.form.to_dict(), before, current_facilitator().id)
    if isinstance(kept, Refusal):
        return kept
    return service.preview_key(db, upload_, _year()) != key


@bp.post("/<int:import_id>/choix")
@login_required
def choose(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    _job, before = _ready(upload_)
    result = NOT_READY if before is None else _keep_choices(upload_, before.preview)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303


@bp.post("/<int:import_id>/confirmer")
@login_required
def confirm(perimetre_id: int, import_id: int):
    """Confirm the preview the facilitator saw; choices changed in the form first make a new
    preview to look at (nothing is imported that was not shown)."""
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    back = redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303
    db, actor = get_session(), current_facilitator().id
    job, shown = _ready(upload_)
    if upload_.status == "preview" and job is None:  # never asked (a form posted from elsewhere)
        job, shown = _ask(upload_)
    if upload_.status == "preview" and shown is None:
        flash(say(job if isinstance(job, Refusal) else NOT_READY), "error")
        return back
    if upload_.status == "preview" and request.form and _keep_choices(upload_, shown.preview) is True:
        flash(_("Vos corrections changent l'aperçu : vérifiez-le, puis confirmez l'import."), "error")
        return back
    if upload_.status != "preview":  # refused at once: nothing to read
        flash(say(service.confirm(db, upload_, _year(), actor)), "error")
        return back
    blocked = plan_preview.blocker(shown.preview)  # no button was shown: posted anyway
    if blocked is not None:
        flash(say(blocked), "error")
        return back
    job = worker.submit(service.IMPORT_JOB, actor, locale=str(get_locale()),
                        params={"import_id": upload_.id, "perimetre_id": upload_.perimetre_id,
                                "year": _year(), "key": service.preview_key(db, upload_, _year())})
    if isinstance(job, Refusal):  # too many jobs already
        flash(say(job), "error")
        return back
    job = jobs.wait(db, job, BRIEF_WAIT_S)
    if job.status == "done":
        said_imported(job)
        return back
    if job.status == "failed":
        flash(job.error, "error")
        return back
    return redirect(url_for("jobs.show", job_id=job.id), 303)


def said_imported(job: Job) -> None:
    """Flash what an `import_plan` job imported (the preview page says the rest)."""
    flash(ngettext("%(num)s besoin importé depuis « %(file)s ».",
                   "%(num)s besoins importés depuis « %(file)s ».", job.result["imported"],
                   file=job.result["filename"]), "success")


@bp.post("/<int:import_id>/retirer")
@login_required
def withdraw(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    result = service.withdraw(get_session(), upload_, current_facilitator().id)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    else:
        flash(_("Import « %(file)s » retiré de la synthèse (il reste dans l'historique).",
                file=upload_.filename), "success")
    return redirect(url_for(".index", perimetre_id=perimetre.id)), 303


@bp.get("/<int:import_id>/lignes-ecartees.csv")
@login_required
def left_out(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    _job, result = _ready(upload_)
    if result is None:
        return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303
    body = result.left_out_csv
    return download(body, "text/csv; charset=utf-8", f"lignes-ecartees-{upload_.id}.csv")


@bp.post("/seance")
@login_required
def start(perimetre_id: int):
    perimetre = _perimetre(perimetre_id)
    data, errors = parse(SeanceCreate, {**request.form.to_dict(), "perimetre_id": perimetre.id})
    result = service.start_seance(get_session(), perimetre, data, current_facilitator().id) \
        if data else invalid(errors)
    if isinstance(result, Refusal):
        flash(say(result), "error")
        return redirect(url_for(".index", perimetre_id=perimetre.id)), 303
    seance, outside = result
    if outside:
        flash(ngettext("Séance « %(title)s » créée à partir des plans (%(num)s agent demandé hors de "
                       "l'horizon n'a pas été repris).",
                       "Séance « %(title)s » créée à partir des plans (%(num)s agents demandés hors de "
                       "l'horizon n'ont pas été repris).", outside, title=seance.title), "success")
    else:
        flash(_("Séance « %(title)s » créée à partir des plans.", title=seance.title), "success")
    return redirect(url_for("seances.detail", seance_id=seance.id))
