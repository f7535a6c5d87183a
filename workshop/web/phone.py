"""The participant's phone: join with the code, then the live board.

Small pages, no framework: the board's actions go over the socket
(static/js/live.js), everything shown is rendered here or pushed as HTML.
"""

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from workshop.db import get_session
from workshop.domain import codes
from workshop.domain.rules import Refusal
from workshop.domain.text import search_terms
from workshop.extensions import csrf, limiter
from workshop.i18n import parse, say
from workshop.identity import PARTICIPANT_COOKIE as COOKIE
from workshop.schemas import Join
from workshop.services import board, events, participants, perimetres, seances

bp = Blueprint("phone", __name__, url_prefix="/j")
COOKIE_DAYS = 30


GUESSES = "30 per minute"  # wrong join codes from one address; right ones are not counted
KNOWN_SECONDS = 12 * 3600  # a code that let someone in from an address stays open there 12 h


def _wrong(response) -> bool:
    return response.status_code in (404, 422)


def _typed_code() -> str | None:
    """The join code this request names: in its URL, or typed in the /j/ form."""
    if request.view_args and "code" in request.view_args:
        return codes.parse(request.view_args["code"][:20])
    if request.endpoint == "phone.enter" and request.method == "POST":
        return codes.parse(request.form.get("code", "")[:20])
    return None


def _known_key(code: str) -> str:
    return f"workshop/known-code/{get_remote_address()}/{code}"


def _known_here() -> bool:
    """True when this code already let someone in from this address: a room behind one NAT
    keeps joining while someone among them types wrong codes. A code never used from an
    address gets no such pass, so a throttled address cannot tell right codes from wrong ones
    (no oracle for guessing)."""
    code = _typed_code()
    try:
        return bool(code and limiter.enabled and limiter.storage.get(_known_key(code)))
    except Exception:  # noqa: BLE001 - the limits' storage (Redis) is down: no pass
        return False


@bp.after_request
def _remember_right_code(response):
    if g.get("right_code") and response.status_code < 400 and limiter.enabled:
        try:
            limiter.storage.incr(_known_key(g.right_code), KNOWN_SECONDS)
        except Exception:  # noqa: BLE001 - the storage is down: the join itself went through
            current_app.logger.warning("could not remember a join code", exc_info=True)
    return response


# Every door that tells whether a code exists counts in one budget per address: the join
# page, the collectivités' search, the join form, the JSON join, the /j/ form.
guarded = limiter.shared_limit(GUESSES, scope="join-code", deduct_when=_wrong,
                               exempt_when=_known_here)
# Joins (new participants) per address, whatever the code: each participant has its own flood
# budget on the socket, so participants must not be made by the thousand.
joins = limiter.shared_limit(lambda: f"{current_app.config['JOINS_PER_MINUTE']} per minute",
                             scope="joins")


def _seance_or_404(code: str):
    parsed = codes.parse(code)
    seance = seances.by_join_code(get_session(), parsed) if parsed else None
    if seance is None:
        abort(404)
    g.right_code = parsed
    return seance


@bp.route("/", methods=["GET", "POST"])
@limiter.shared_limit(GUESSES, scope="join-code", methods=["POST"], deduct_when=_wrong,
                      exempt_when=_known_here)
def enter():
    """The short address shown on the screen: type the code, go to the séance."""
    error = None
    if request.method == "POST":
        typed = request.form.get("code", "")[:20]
        parsed = codes.parse(typed)
        if parsed and seances.by_join_code(get_session(), parsed):
            g.right_code = parsed
            return redirect(url_for(".seance", code=parsed))
        error = _("Code inconnu : vérifiez les six caractères affichés à l'écran.")
    return render_template("phone/enter.html", error=error), 422 if error else 200


@bp.get("/<code>")
@guarded
def seance(code: str):
    db = get_session()
    seance_ = _seance_or_404(code)
    participant = participants.by_token(db, request.cookies.get(COOKIE.format(seance_.id)))
    if participant is None or participant.seance_id != seance_.id:
        return render_template("phone/join.html", seance=seance_, errors={}, values={})
    seen = events.last_id(db, seance_.id)  # what this page shows, for the socket's catch-up
    db.refresh(seance_)
    return render_template("phone/board.html", seance=seance_, participant=participant,
                           collectivite=participants.collectivite(db, participant),
                           board=board.snapshot(db, seance_), mine=board.mine(db, seance_, participant),
                           themes=board.themes(db), seen=seen)


@bp.get("/<code>/collectivites")
@guarded
def collectivites(code: str):
    """Search the perimeter by name or postcode (100+ communes: no long list to scroll).
    A closed séance lists nobody: its code no longer opens its perimeter."""
    seance_ = _seance_or_404(code)
    terms = search_terms(request.args.get("q", "")[:100])
    members = [] if seance_.closed_at else perimetres.members(get_session(), seance_.perimetre_id)
    found = [m for m in members if all(t in m.search_key for t in terms)] if terms else []
    return render_template("phone/_collectivites.html", found=found[:15], query=terms,
                           total=len(found))


@bp.post("/<code>")
@guarded
@joins
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
@guarded
@joins
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


def _me_or_join(seance_):
    """The participant behind this phone in this séance, or None."""
    participant = participants.by_token(get_session(), request.cookies.get(COOKIE.format(seance_.id)))
    return participant if participant is not None and participant.seance_id == seance_.id else None


@bp.route("/<code>/moi", methods=["GET", "POST"])
@guarded
def change(code: str):
    """Correct the collectivité or role tapped on joining (issue 15): the same fields as the
    join form, the current choice ticked. Refusals in French, nothing changed."""
    db = get_session()
    seance_ = _seance_or_404(code)
    participant = _me_or_join(seance_)
    if participant is None:
        return redirect(url_for(".seance", code=seance_.join_code))
    current = participants.collectivite(db, participant)
    if request.method == "GET":
        return render_template("phone/change.html", seance=seance_, participant=participant,
                               current=current, errors={}, values={"role": participant.role})
    data, errors = parse(Join, request.form)
    result = participants.change(db, seance_, participant, data.collectivite_id, data.role) if data \
        else Refusal("saisie_invalide", "Choisissez votre collectivité et votre fonction.")
    if isinstance(result, Refusal):
        return render_template("phone/change.html", seance=seance_, participant=participant,
                               current=current, values=request.form.to_dict(),
                               errors={result.field or "_": say(result)}), 422
    return redirect(url_for(".seance", code=seance_.join_code))


def remember(response, seance_id: int, token: str) -> None:
    """The phone's identity for this séance (also set by the facilitator's proxy entry)."""
    response.set_cookie(COOKIE.format(seance_id), token, max_age=COOKIE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=request.is_secure)
