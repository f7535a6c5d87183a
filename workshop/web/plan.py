"""The prospective plan: the draft grid, and the facilitator's adjustments (htmx)."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.i18n import parse
from workshop.schemas import (
    CapacityInput,
    CostInput,
    HorizonInput,
    HostInput,
    LineRef,
    NeedPlanInput,
    PinInput,
    PoolingInput,
    PoolingRef,
)
from workshop.services import plan as plan_service
from workshop.services import pooling
from workshop.web import current_facilitator, invalid, login_required, outcome, owned_or_404

bp = Blueprint("plan", __name__, url_prefix="/seances/<int:seance_id>/plan")


def _seance(seance_id: int):
    return owned_or_404("seance", seance_id)


def _context(seance, draft: plan_service.Draft | None = None) -> dict:
    draft = draft or plan_service.draft(get_session(), seance)
    return {"seance": seance, "plan": draft.plan, "names": draft.names, "audience": "facilitator"}


def _answer(seance, result, done: str, settings: bool = False, offers: bool = False):
    """The re-flowed plan (the service built it once; the screens got the same), and the
    outcome beside it."""
    said = outcome(result, done)
    status = said.pop("status")
    context = _context(seance, result if isinstance(result, plan_service.Draft) else None)
    html = render_template("plan/_plan.html", **context) + render_template(
        "plan/_notice.html", oob=True, **said)
    if settings:
        html += render_template("plan/_settings.html", oob=True, **context)
    if offers and status == 200:
        html += render_template("plan/_offers.html", oob=True, seance=seance,
                                survey=pooling.survey(get_session(), seance, current_facilitator().id))
    return html, status


@bp.get("/")
@login_required
def page(seance_id: int):
    return render_template("plan/page.html", **_context(_seance(seance_id)))


@bp.post("/epingler")
@login_required
def pin(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(PinInput, request.form)
    result = plan_service.pin(get_session(), seance, data.line, data.year, current_facilitator().id,
                              data.replaces) if data else invalid(errors)
    done = _("Ligne épinglée : le plan s'est réorganisé autour.") if data and data.year \
        else _("Ligne libérée : elle reprend sa place par priorité.")
    return _answer(seance, result, done)


@bp.post("/accueil")
@login_required
def host(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(HostInput, request.form)
    result = plan_service.set_host(get_session(), seance, data.line, data.collectivite_id,
                                   current_facilitator().id) if data else \
        invalid(errors)
    return _answer(seance, result, _("Collectivité d'accueil modifiée."))


@bp.post("/scinder")
@login_required
def split(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(LineRef, request.form)
    result = plan_service.set_split(get_session(), seance, data.line, data.split,
                                    current_facilitator().id) if data else \
        invalid(errors)
    return _answer(seance, result, _("Action scindée : un groupe par ligne.") if data and data.split
                   else _("Groupes réunis en une seule action."))


@bp.post("/capacite")
@login_required
def capacity(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(CapacityInput, {"days": {
        key.removeprefix("cap-"): value for key, value in request.form.items()
        if key.startswith("cap-")}})
    result = plan_service.set_capacity(get_session(), seance, data.days,
                                       current_facilitator().id) if data else \
        Refusal("capacite_invalide", "Indiquez pour chaque année un nombre de jours (0 à 2000).")
    return _answer(seance, result, _("Capacité enregistrée : le plan s'est réorganisé."))


@bp.post("/horizon")
@login_required
def horizon(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(HorizonInput, request.form)
    result = plan_service.set_horizon(get_session(), seance, data.horizon_start,
                                      data.horizon_years, current_facilitator().id) if data else \
        invalid(errors, "horizon_invalide")
    return _answer(seance, result, _("Horizon modifié."), settings=True)


@bp.post("/cout")
@login_required
def cost(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(CostInput, request.form)
    result = plan_service.set_theme_cost(get_session(), seance, data.theme, data.euros,
                                         current_facilitator().id) if data else \
        invalid(errors, "cout_invalide")
    return _answer(seance, result, _("Coût enregistré pour cette séance."), settings=True)


@bp.post("/besoin")
@login_required
def need(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(NeedPlanInput, request.form)
    result = plan_service.set_need_plan(get_session(), seance, data.need_id, data.kind,
                                        data.pool_years, current_facilitator().id) if data else \
        invalid(errors)
    return _answer(seance, result, _("Type de formation et regroupement enregistrés."))


@bp.get("/mutualisations")
@login_required
def offers(seance_id: int):
    """Pooling with the facilitator's other perimeters, asked apart (it builds their plans)."""
    seance = _seance(seance_id)
    found = pooling.survey(get_session(), seance, current_facilitator().id)
    return render_template("plan/_offers.html", seance=seance, survey=found)


@bp.post("/mutualiser")
@login_required
def pool(seance_id: int):
    """Accept a pooling proposal: both séances' plans show the shared line."""
    seance = _seance(seance_id)
    data, errors = parse(PoolingInput, request.form)
    result = pooling.accept(get_session(), seance, data.line, data.other_seance_id, data.other_line,
                            current_facilitator().id) if data else invalid(errors)
    return _answer(seance, result, _("Mutualisation acceptée : les deux plans montrent l'action "
                                     "commune."), offers=True)


@bp.post("/mutualisation/retirer")
@login_required
def unpool(seance_id: int):
    """Withdraw an accepted pooling (from either séance): it is kept, marked withdrawn."""
    seance = _seance(seance_id)
    data, errors = parse(PoolingRef, request.form)
    result = pooling.withdraw(get_session(), seance, data.pooling_id, current_facilitator().id) \
        if data else invalid(errors)
    return _answer(seance, result, _("Mutualisation retirée : chaque plan reprend sa ligne sous "
                                     "le seuil."), offers=True)
