"""Before the séance: the collectivités' plans, uploaded, previewed, confirmed, synthesised."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.exports import csv_files, xlsx
from workshop.exports.tables import Table
from workshop.i18n import parse, say
from workshop.models import PlanImport
from workshop.schemas import PLAN_FILE_MAX, SeanceCreate, form_id
from workshop.services import perimetres
from workshop.services import plan_imports as service
from workshop.web import current_facilitator, download, invalid, login_required, owned_or_404
from workshop.web.guards import upload_limit

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
    _, themes = service.catalogue(db)
    fields = service.field_labels()
    return render_template("plans/preview.html", perimetre=perimetre, upload=upload_, preview=preview,
                           themes=sorted(themes.values(), key=lambda t: (t.domain, t.name)),
                           theme_names={t.code: t.name for t in themes.values()},
                           names={m.id: m.name for m in perimetres.members(db, perimetre.id)},
                           editable=service.editable(preview), shown=service.shown(db, preview, perimetre.id),
                           fields=fields, field_names=dict(fields))


@bp.get("/<int:import_id>")
@login_required
def preview(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    return _preview_page(perimetre, upload_, service.preview(get_session(), upload_, _year()))


@bp.post("/<int:import_id>/choix")
@login_required
def choose(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    result = service.choose(get_session(), upload_, request.form.to_dict(), _year(),
                            current_facilitator().id)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303


@bp.post("/<int:import_id>/confirmer")
@login_required
def confirm(perimetre_id: int, import_id: int):
    perimetre = _perimetre(perimetre_id)
    upload_ = _upload(perimetre, import_id)
    db, actor = get_session(), current_facilitator().id
    if upload_.status == "preview" and request.form:
        service.choose(db, upload_, request.form.to_dict(), _year(), actor)
    result = service.confirm(db, upload_, _year(), actor)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    else:
        flash(ngettext("%(num)s besoin importé depuis « %(file)s ».",
                       "%(num)s besoins importés depuis « %(file)s ».", result, file=upload_.filename),
              "success")
    return redirect(url_for(".preview", perimetre_id=perimetre.id, import_id=upload_.id)), 303


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
    body = service.left_out_csv(service.preview(get_session(), upload_, _year()))
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
