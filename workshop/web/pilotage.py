"""The facilitator's live control of a séance: phases, settings, moderation, proxies.

Each action is a thin htmx POST: parse, call one service, return the partial it
changed. The service tells the live layer (services/changes.py): no view here
broadcasts.
"""

from collections import Counter
from types import SimpleNamespace

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain import merging, phases
from workshop.domain.phases import LABELS as PHASE_LABELS
from workshop.domain.rules import Refusal
from workshop.i18n import Labels, ngettext, parse
from workshop.offloop import give_way
from workshop.schemas import (
    MemberRef,
    MergeInput,
    MergeManyInput,
    NeedInput,
    PhaseInput,
    Revision,
    SeanceSettings,
    TimerInput,
    form_data,
)
from workshop.services import board, events, participants, perimetres, seances
from workshop.services import state as state_service
from workshop.web import (
    current_facilitator,
    invalid,
    json_giving_way,
    login_required,
    online,
    outcome,
    owned_or_404,
)
from workshop.web.screen import join_urls

bp = Blueprint("pilotage", __name__, url_prefix="/seances/<int:seance_id>")
PHASE_NAMES = Labels(PHASE_LABELS)


def _seance(seance_id: int):
    return owned_or_404("seance", seance_id)


def _me() -> int:
    return current_facilitator().id


def board_context(seance, snapshot: board.Board | None = None, **extra) -> dict:
    return {"seance": seance, "board": snapshot or board.snapshot(get_session(), seance),
            "online": online(seance.id), **extra}


def _board(seance, result=None, done: str = ""):
    """The refreshed board (the one a merge took after its commit), and the outcome in the
    notice area beside it (out of band)."""
    said = outcome(result, done)
    status = said.pop("status")
    snapshot = getattr(result, "board", None)
    html = render_template("pilotage/_board.html", **board_context(seance, snapshot)) + render_template(
        "pilotage/_notice.html", oob=True, **said)
    if status == 200:  # the edit or merge form has done its work
        html += '<div id="panel" aria-live="polite" hx-swap-oob="true"></div>'
    return html, status


def _controls(seance, result=None, done: str = ""):
    said = outcome(result, done)
    status = said.pop("status")
    return (render_template("pilotage/_controls.html", seance=seance)
            + render_template("pilotage/_controls_notice.html", oob=True, **said)), status


@bp.get("/pilotage")
@login_required
def page(seance_id: int):
    seance = _seance(seance_id)
    db = get_session()
    url, short = join_urls(seance.join_code)
    return render_template("pilotage/page.html", **board_context(seance), join_url=url,
                           short_url=short, themes=board.themes(db),
                           members=perimetres.members(db, seance.perimetre_id))


@bp.get("/etat.json")
@login_required
def state(seance_id: int):
    """The séance's full state, for scripts and load tests (docs/protocol.md)."""
    return json_giving_way(state_service.seance_state(get_session(), _seance(seance_id),
                                                      pause=give_way))


def _revision() -> int | None:
    """The séance's revision the posting page showed (services.seances.STALE)."""
    data, _errors = parse(Revision, request.form)
    return data.revision if data else -1  # a mangled revision is stale, never unchecked


@bp.post("/phase")
@login_required
def phase(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(PhaseInput, request.form)
    result = seances.set_phase(get_session(), seance, data.phase, _me(), _revision()) if data else \
        phases.UNKNOWN_PHASE
    return _controls(seance, result, _("Phase : %(phase)s.", phase=PHASE_NAMES.get(seance.phase, "")))


@bp.post("/reglages")
@login_required
def settings(seance_id: int):
    """Vote settings: only the fields the form sends are written."""
    seance = _seance(seance_id)
    data, errors = parse(SeanceSettings, request.form)
    result = seances.update_settings(get_session(), seance, data, _me(), _revision()) if data else \
        invalid(errors)
    if data and data.tallies_visible is not None and data.model_fields_set == {"tallies_visible"}:
        done = _("Résultats révélés.") if data.tallies_visible else _("Résultats masqués.")
    else:
        done = _("Réglages enregistrés.")
    return _controls(seance, result, done)


@bp.post("/minuteur")
@login_required
def timer(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(TimerInput, request.form)
    result = seances.set_timer(get_session(), seance, data.minutes, _me(), _revision()) if data else \
        Refusal("saisie_invalide", "Durée invalide (0 à 240 minutes).")
    return _controls(seance, result, _("Minuteur lancé.") if data and data.minutes else _("Minuteur arrêté."))


@bp.post("/minuteur/plus")
@login_required
def timer_more(seance_id: int):
    """One more minute on the countdown (a stopped one starts for a minute)."""
    seance = _seance(seance_id)
    result = seances.extend_timer(get_session(), seance, 1, _me(), _revision())
    return _controls(seance, result, _("Une minute de plus."))


@bp.post("/cloture")
@login_required
def close(seance_id: int):
    seance = _seance(seance_id)
    closed = request.form.get("closed") == "1"
    result = seances.set_closed(get_session(), seance, closed, _me(), _revision())
    return _controls(seance, result, _("Séance close.") if closed else _("Séance rouverte."))


@bp.post("/besoins")
@login_required
def add_need(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(NeedInput, request.form)
    result = board.add_need(get_session(), seance, data.theme_id, data.title, data.details,
                            facilitator_id=_me(), source="facilitator") if data else \
        invalid(errors)
    return _board(seance, result, _("Besoin ajouté."))


@bp.get("/regrouper")
@login_required
def merge_form(seance_id: int):
    seance = _seance(seance_id)
    needs = board.snapshot(get_session(), seance).needs
    duplicates = merging.likely_duplicates(
        merging.Candidate(v.need.id, v.need.theme_id, v.need.title) for v in needs)
    return render_template("pilotage/_panel.html", seance=seance, need=None, needs=needs,
                           duplicates=duplicates, titles=merge_labels(get_session(), needs))


def merge_labels(db, needs) -> dict[int, str]:
    """need id -> how the merge panel names it: its title, and for needs of one theme whose
    titles are the same, who added it and its number ("Paie (Orchies, n° 12)"), so that
    "Garder « … »" says which one (the panel groups needs by theme)."""
    def same(need):
        return need.theme_id, " ".join(need.title.split()).casefold()

    seen = Counter(same(v.need) for v in needs)
    alike = [v.need for v in needs if seen[same(v.need)] > 1]
    by = board.authors(db, [n.id for n in alike])
    labels = {v.need.id: v.need.title for v in needs}
    for need in alike:
        labels[need.id] = _("%(title)s (%(author)s, n° %(id)s)", title=need.title,
                            author=by[need.id], id=need.id) if need.id in by else \
            _("%(title)s (n° %(id)s)", title=need.title, id=need.id)
    return labels


@bp.get("/besoins/<int:need_id>/modifier")
@login_required
def edit_form(seance_id: int, need_id: int):
    seance = _seance(seance_id)
    need = board.open_need(get_session(), seance, need_id)
    if isinstance(need, Refusal):
        abort(404)
    return render_template("pilotage/_panel.html", seance=seance, need=need,
                           themes=board.themes(get_session()))


@bp.post("/besoins/<int:need_id>")
@login_required
def edit(seance_id: int, need_id: int):
    seance = _seance(seance_id)
    data, errors = parse(NeedInput, request.form)
    result = board.edit(get_session(), seance, need_id, data.title, data.theme_id, data.details,
                        _me()) if data else invalid(errors)
    return _board(seance, result, _("Besoin modifié."))


@bp.post("/besoins/<int:need_id>/masquer")
@login_required
def hide(seance_id: int, need_id: int):
    seance = _seance(seance_id)
    result = board.set_hidden(get_session(), seance, need_id, True, _me())
    return _board(seance, result, _("Besoin masqué : il reste dans l'historique."))


@bp.post("/besoins/<int:need_id>/afficher")
@login_required
def show(seance_id: int, need_id: int):
    seance = _seance(seance_id)
    result = board.set_hidden(get_session(), seance, need_id, False, _me())
    return _board(seance, result, _("Besoin remis au tableau."))


@bp.post("/regrouper")
@login_required
def merge(seance_id: int):
    seance = _seance(seance_id)
    data, errors = parse(MergeInput, request.form)
    result = board.merge(get_session(), seance, data.target_id, data.source_id, _me()) if data \
        else Refusal("saisie_invalide", "Choisissez les deux besoins à regrouper.")
    return _board(seance, result, merged_notice(result))


@bp.post("/regrouper-coches")
@login_required
def merge_many(seance_id: int):
    """The needs ticked in the merge panel join the one chosen to keep (issue 15)."""
    seance = _seance(seance_id)
    data, errors = parse(MergeManyInput, form_data(request.form, lists=("need_ids",)))
    result = board.merge_many(get_session(), seance, data.target_id, data.need_ids, _me()) \
        if data else invalid(errors)
    if isinstance(result, list):
        return _board(seance, SimpleNamespace(board=result[-1].board), merged_notice(result))
    return _board(seance, result)


def merged_notice(results) -> str:
    """What the facilitator is told after merges: the overlaps where the larger figure was
    kept (DOMAIN.md, "Regroupement"), and the dots given back above the cap."""
    if isinstance(results, Refusal):
        return ""
    results = results if isinstance(results, list) else [results]
    said = [_("Besoins regroupés : les agents des collectivités et les gommettes s'additionnent.")]
    result = SimpleNamespace(
        overlaps=[o for r in results for o in r.overlaps],
        names={k: v for r in results for k, v in r.names.items()},
        given=sum(r.returned.count(p) for r in results if r.returned
                  for p in r.returned.by_participant))
    if result.overlaps:
        # One collectivité and year on several of the needs: each need's figure once, in the
        # order merged (a merge's `target` figure is the need kept's so far, already listed
        # when an earlier merge brought it), and the one kept.
        figures: dict[tuple[int, int], list[int]] = {}
        for o in result.overlaps:
            figures.setdefault((o.collectivite_id, o.year), [o.target]).append(o.source)
        cells = "; ".join(_("%(name)s %(year)s : %(figures)s → %(kept)s",
                            name=result.names.get(c, c), year=y, figures=_and(values),
                            kept=max(values))
                          for (c, y), values in figures.items())
        if len(results) == 1:
            said.append(ngettext("Déclaré sur les deux besoins pour la même année, le plus grand "
                                 "chiffre est gardé : %(list)s.",
                                 "Déclarés sur les deux besoins pour la même année, les plus "
                                 "grands chiffres sont gardés : %(list)s.",
                                 len(figures), list=cells))
        else:
            said.append(ngettext("Déclaré sur plusieurs des besoins regroupés pour la même année, "
                                 "le plus grand chiffre est gardé : %(list)s.",
                                 "Déclarés sur plusieurs des besoins regroupés pour la même année, "
                                 "les plus grands chiffres sont gardés : %(list)s.",
                                 len(figures), list=cells))
    given = result.given
    if given:
        said.append(ngettext(
            "%(num)d gommette au-delà du maximum par besoin est rendue à son participant.",
            "%(num)d gommettes au-delà du maximum par besoin sont rendues à leurs participants.",
            given))
    return " ".join(said)


def _and(values) -> str:
    """"5 et 4", "5, 4 et 7": figures listed in a sentence."""
    values = [str(v) for v in values]
    if len(values) < 2:
        return "".join(values)
    return _("%(list)s et %(last)s", list=", ".join(values[:-1]), last=values[-1])


@bp.post("/besoins/<int:need_id>/separer")
@login_required
def unmerge(seance_id: int, need_id: int):
    """Undo the merge of need `need_id` into another (issue 14, item 3)."""
    seance = _seance(seance_id)
    result = board.unmerge(get_session(), seance, need_id, _me())
    if isinstance(result, Refusal):
        return _board(seance, result)
    said = _("Regroupement défait : « %(source)s » est revenu au tableau, séparé de « %(target)s ».",
             source=result.source.title, target=result.target.title)
    if result.kept:
        said += " " + ngettext(
            "%(num)d chiffre modifié depuis le regroupement reste sur le besoin gardé.",
            "%(num)d chiffres modifiés depuis le regroupement restent sur le besoin gardé.",
            result.kept)
    return _board(seance, result, said)


@bp.post("/procuration")
@login_required
def proxy(seance_id: int):
    """Enter needs, agents and dots for a collectivité whose people have no phone."""
    seance = _seance(seance_id)
    data, _errors = parse(MemberRef, request.form)
    result = participants.proxy(get_session(), seance, data.collectivite_id, _me()) if data \
        else participants.OUTSIDE
    if isinstance(result, Refusal):
        return _board(seance, result)
    return redirect(url_for("pilotage.proxy_page", seance_id=seance.id, participant_id=result.id))


@bp.get("/procuration/<int:participant_id>")
@login_required
def proxy_page(seance_id: int, participant_id: int):
    """The proxy's phone page, in its own tab: its identity is in the page (the socket's auth),
    not in a cookie every tab shares, so a tab opened for Cappelle acts for Cappelle even after
    another tab was opened for Bouvignies and the network came back (issue 14, item 7)."""
    seance = _seance(seance_id)
    db = get_session()
    participant = participants.proxy_of(db, seance, participant_id)
    if participant is None:
        abort(404)
    seen = events.last_id(db, seance.id)  # what this page shows, for the socket's catch-up
    db.refresh(seance)
    return render_template("phone/board.html", seance=seance, participant=participant,
                           collectivite=participants.collectivite(db, participant),
                           board=board.snapshot(db, seance), mine=board.mine(db, seance, participant),
                           themes=board.themes(db), live_auth={"token": participant.token},
                           seen=seen)
