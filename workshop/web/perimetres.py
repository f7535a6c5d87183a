"""Perimeters: build from EPCI, adjust members, name the coordinator."""

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain import rules
from workshop.domain.rules import Refusal
from workshop.i18n import ngettext, parse, say
from workshop.schemas import EpciRef, HandCollectivite, MemberRef, PerimetreCreate, form_data
from workshop.services import perimetres
from workshop.web import current_facilitator, is_htmx, login_required, outcome, owned_or_404, page_or_partial

bp = Blueprint("perimetres", __name__, url_prefix="/perimetres")


def _owned_or_404(perimetre_id: int):
    return owned_or_404("perimetre", perimetre_id)


def _context(perimetre, **extra) -> dict:
    db = get_session()
    members = perimetres.members(db, perimetre.id)
    present = {m.id for m in members}
    return {
        "perimetre": perimetre,
        "members": members,
        "coordinator": next((m for m in members if m.id == perimetre.coordinator_id), None),
        "epci_to_add": [c for c in perimetres.epci_choices(db) if c.epci.id not in present],
        **extra,
    }


def _after(perimetre, result, done: str):
    """Show the outcome of an action inline (htmx) or after a redirect (plain form)."""
    said = outcome(result, done)
    status = said.pop("status")
    if is_htmx():
        return render_template("perimetres/_perimetre.html", **_context(perimetre, **said)), status
    refused = said["refusal"] is not None
    flash(say(result) if refused else done, "error" if refused else "success")
    return redirect(url_for(".detail", perimetre_id=perimetre.id))


@bp.get("/")
@login_required
def index():
    db = get_session()
    owned = perimetres.owned(db, current_facilitator().id)
    counts = perimetres.member_counts(db, [p.id for p in owned])
    return render_template("perimetres/index.html", perimetres=owned, counts=counts)


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
def new():
    db = get_session()
    errors, chosen, name = {}, [], ""
    if request.method == "POST":
        raw = form_data(request.form, lists=("epci_codes",))
        name, chosen = raw.get("name") or "", raw["epci_codes"]
        data, errors = parse(PerimetreCreate, raw)
        if data:
            result = perimetres.create(db, current_facilitator().id, data.name, data.epci_codes)
            if not isinstance(result, Refusal):
                flash(_("Périmètre « %(name)s » créé.", name=result.name), "success")
                return redirect(url_for(".detail", perimetre_id=result.id))
            errors = {result.field or "_": say(result)}
    # Nord, then Pas-de-Calais, then the EPCI that straddle both (epci_choices' order).
    groups = [(dep, list(group)) for dep, group in
              groupby(perimetres.epci_choices(db), key=lambda c: c.epci.departement)]
    return render_template("perimetres/new.html", groups=groups, errors=errors,
                           chosen=set(chosen), name=name), 422 if errors else 200


@bp.get("/<int:perimetre_id>")
@login_required
def detail(perimetre_id: int):
    return render_template("perimetres/detail.html", **_context(_owned_or_404(perimetre_id)))


@bp.get("/<int:perimetre_id>/recherche")
@login_required
def search(perimetre_id: int):
    perimetre = _owned_or_404(perimetre_id)
    query = request.args.get("q", "")[:100]
    results = perimetres.search_outside(get_session(), perimetre.id, query)
    return page_or_partial("perimetres/detail.html", "perimetres/_search_results.html",
                           **_context(perimetre, results=results, query=query))


@bp.post("/<int:perimetre_id>/epci")
@login_required
def add_epci(perimetre_id: int):
    perimetre = _owned_or_404(perimetre_id)
    data, errors = parse(EpciRef, request.form)
    result = perimetres.add_epci(get_session(), perimetre, data.epci_code,
                                 current_facilitator().id) if data else \
        Refusal("epci_inconnu", "Choisissez une intercommunalité.")
    return _after(perimetre, result, "" if isinstance(result, Refusal) else ngettext(
        "%(num)s collectivité ajoutée.", "%(num)s collectivités ajoutées.", result))


@bp.post("/<int:perimetre_id>/membres")
@login_required
def add_member(perimetre_id: int):
    perimetre = _owned_or_404(perimetre_id)
    data, _errors = parse(MemberRef, request.form)
    result = perimetres.add_member(get_session(), perimetre, data.collectivite_id,
                                   current_facilitator().id) if data else \
        perimetres.UNKNOWN_COLLECTIVITE
    return _after(perimetre, result, _("%(name)s ajoutée au périmètre.", name=getattr(result, "name", "")))


@bp.post("/<int:perimetre_id>/hors-referentiel")
@login_required
def add_by_hand(perimetre_id: int):
    perimetre = _owned_or_404(perimetre_id)
    data, errors = parse(HandCollectivite, request.form)
    result = perimetres.add_by_hand(get_session(), perimetre, data.name, data.kind,
                                    current_facilitator().id) if data else \
        Refusal("saisie_invalide", "Indiquez un nom et un type de collectivité.")
    return _after(perimetre, result, _("%(name)s ajoutée au périmètre.", name=getattr(result, "name", "")))


@bp.post("/<int:perimetre_id>/membres/<int:collectivite_id>/retrait")
@login_required
def remove_member(perimetre_id: int, collectivite_id: int):
    perimetre = _owned_or_404(perimetre_id)
    result = perimetres.remove_member(get_session(), perimetre, collectivite_id,
                                      current_facilitator().id)
    return _after(perimetre, result, _("%(name)s retirée du périmètre.", name=getattr(result, "name", "")))


@bp.post("/<int:perimetre_id>/coordinatrice")
@login_required
def set_coordinator(perimetre_id: int):
    perimetre = _owned_or_404(perimetre_id)
    data, _errors = parse(MemberRef, request.form)
    result = perimetres.set_coordinator(get_session(), perimetre, data.collectivite_id,
                                        current_facilitator().id) if data else \
        rules.COORDINATOR_OUTSIDE
    return _after(perimetre, result, _("%(name)s est la coordinatrice.", name=getattr(result, "name", "")))
