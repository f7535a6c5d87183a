"""The participant's phone: join with the code, then the live board.

Small pages, no framework: the board's actions go over the socket
(static/js/live.js), everything shown is rendered here or pushed as HTML.
"""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain import codes
from workshop.domain.rules import Refusal
from workshop.domain.text import search_terms
from workshop.extensions import csrf, limiter
from workshop.i18n import parse, say
from workshop.identity import PARTICIPANT_COOKIE as COOKIE
from workshop.schemas import Join
from workshop.services import board, participants, perimetres, seances

bp = Blueprint("phone", __name__, url_prefix="/j")
COOKIE_DAYS = 30


GUESSES = "30 per minute"  # wrong join codes from one address; right ones are not counted


def _wrong(response) -> bool:
    return response.status_code in (404, 422)


def _seance_or_404(code: str):
    parsed = codes.parse(code)
    seance = seances.by_join_code(get_session(), parsed) if parsed else None
    if seance is None:
        abort(404)
    return seance


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(GUESSES, methods=["POST"], deduct_when=_wrong)
def enter():
    """The short address shown on the screen: type the code, go to the séance."""
    error = None
    if request.method == "POST":
        typed = request.form.get("code", "")[:20]
        parsed = codes.parse(typed)
        if parsed and seances.by_join_code(get_session(), parsed):
            return redirect(url_for(".seance", code=parsed))
        error = _("Code inconnu : vérifiez les six caractères affichés à l'écran.")
    return render_template("phone/enter.html", error=error), 422 if error else 200


@bp.get("/<code>")
@limiter.limit(GUESSES, deduct_when=_wrong)
def seance(code: str):
    db = get_session()
    seance_ = _seance_or_404(code)
    participant = participants.by_token(db, request.cookies.get(COOKIE.format(seance_.id)))
    if participant is None or participant.seance_id != seance_.id:
        return render_template("phone/join.html", seance=seance_, errors={}, values={})
    return render_template("phone/board.html", seance=seance_, participant=participant,
                           collectivite=participants.collectivite(db, participant),
                           board=board.snapshot(db, seance_), mine=board.mine(db, seance_, participant),
                           themes=board.themes(db))


@bp.get("/<code>/collectivites")
def collectivites(code: str):
    """Search the perimeter by name or postcode (100+ communes: no long list to scroll)."""
    seance_ = _seance_or_404(code)
    terms = search_terms(request.args.get("q", "")[:100])
    members = perimetres.members(get_session(), seance_.perimetre_id)
    found = [m for m in members if all(t in m.search_key for t in terms)] if terms else []
    return render_template("phone/_collectivites.html", found=found[:15], query=terms,
                           total=len(found))


@bp.post("/<code>")
def join(code: str):
    seance_ = _seance_or_404(code)
    data, errors = parse(Join, request.form)
    result = participants.join(get_session(), seance_, data.collectivite_id, data.role) if data \
        else Refusal("saisie_invalide", "Choisissez votre collectivité et votre fonction.")
    if isinstance(result, Refusal):
        values = request.form.to_dict()
        return render_template("phone/join.html", seance=seance_, values=values,
                               errors={result.field or "_": say(result)}), 422
    response = redirect(url_for(".seance", code=seance_.join_code))
    remember(response, seance_.id, result.token)
    return response


@bp.post("/<code>/participants")
@limiter.limit(GUESSES, deduct_when=_wrong)
@csrf.exempt  # JSON only: a browser cannot send it cross-site without CORS, which we never grant
def join_api(code: str):
    """Join from a script (load tests, tools): JSON in, the participant's token out."""
    if not request.is_json:
        return jsonify(ok=False, message=_("Envoyez du JSON (Content-Type: application/json).")), 415
    seance_ = _seance_or_404(code)
    data, errors = parse(Join, request.get_json(silent=True))
    if errors:
        return jsonify(ok=False, code="saisie_invalide", errors=errors), 422
    result = participants.join(get_session(), seance_, data.collectivite_id, data.role)
    if isinstance(result, Refusal):
        return jsonify(ok=False, code=result.code, message=say(result)), 422
    return jsonify(ok=True, participant_id=result.id, seance_id=seance_.id, token=result.token)


def remember(response, seance_id: int, token: str) -> None:
    """The phone's identity for this séance (also set by the facilitator's proxy entry)."""
    response.set_cookie(COOKIE.format(seance_id), token, max_age=COOKIE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=request.is_secure)
