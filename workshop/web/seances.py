"""Séances: the facilitator's list, creation, and the séance page."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.i18n import parse, say
from workshop.models import Perimetre
from workshop.schemas import SeanceCreate
from workshop.services import perimetres, seances
from workshop.web import current_facilitator, login_required, owned_or_404

bp = Blueprint("seances", __name__, url_prefix="/seances")


@bp.get("/")
@login_required
def index():
    rows = seances.owned(get_session(), current_facilitator().id)
    return render_template("seances/index.html", rows=rows)


def _defaults() -> dict:
    today = date.today()
    return {"title": "", "held_on": today.isoformat(), "horizon_start": today.year + 1,
            "horizon_years": 3, "dot_budget": 5, "max_dots_per_need": 3,
            "weighting": "participant",
            "perimetre_id": request.args.get("perimetre", type=int)}


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def new():
    db = get_session()
    owner_id = current_facilitator().id
    values, errors = _defaults(), {}
    if request.method == "POST":
        values = {**values, **request.form.to_dict()}
        data, errors = parse(SeanceCreate, request.form)
        if data:
            result = seances.create(db, owner_id, data)
            if not isinstance(result, Refusal):
                flash(_("Séance « %(title)s » créée.", title=result.title), "success")
                return redirect(url_for(".detail", seance_id=result.id))
            errors = {result.field or "_": say(result)}
    return render_template("seances/new.html", values=values, errors=errors,
                           perimetres=perimetres.owned(db, owner_id)), 422 if errors else 200


@bp.get("/<int:seance_id>")
@login_required
def detail(seance_id: int):
    db = get_session()
    seance = owned_or_404("seance", seance_id)
    perimetre = db.get(Perimetre, seance.perimetre_id)  # a shared séance: its owner's perimeter
    members = perimetres.members(db, perimetre.id)
    return render_template("seances/detail.html", seance=seance, perimetre=perimetre,
                           member_count=len(members), shares=seances.shared_with(db, seance),
                           mine=seance.owner_id == current_facilitator().id,
                           coordinator=next((m for m in members
                                             if m.id == perimetre.coordinator_id), None))


@bp.post("/<int:seance_id>/partage")
@login_required
def share(seance_id: int):
    db = get_session()
    seance = owned_or_404("seance", seance_id)
    result = seances.share(db, seance, request.form.get("email", "")[:254], current_facilitator().id)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    else:
        flash(_("Séance partagée avec %(name)s.", name=result.name), "success")
    return redirect(url_for(".detail", seance_id=seance.id))


@bp.post("/<int:seance_id>/partage/<int:facilitator_id>/retirer")
@login_required
def unshare(seance_id: int, facilitator_id: int):
    db = get_session()
    seance = owned_or_404("seance", seance_id)
    result = seances.unshare(db, seance, facilitator_id, current_facilitator().id)
    if isinstance(result, Refusal):
        flash(say(result), "error")
    else:
        flash(_("%(name)s n'anime plus cette séance.", name=result.name), "success")
    return redirect(url_for(".detail", seance_id=seance.id))
