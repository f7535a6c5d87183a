"""Facilitator login and logout."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.extensions import limiter
from workshop.i18n import parse, say
from workshop.schemas import Login
from workshop.services import facilitators
from workshop.web import current_facilitator, local_path

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    return local_path(target, url_for("seances.index"))


def _account_and_address() -> str:
    """Failed logins count per account and address: a wrong password typed for one account
    never blocks another account's right one, behind a shared address too."""
    email = request.form.get("email", "")[:254].strip().lower()
    return f"{get_remote_address()}/{email}"


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_account_and_address,
               deduct_when=lambda r: r.status_code == 401)
def login():
    error = None
    if request.method == "POST":
        data, errors = parse(Login, request.form)
        result = facilitators.authenticate(get_session(), data.email, data.password) if data \
            else facilitators.WRONG_LOGIN
        if not isinstance(result, Refusal):
            lang = session.get("lang")
            session.clear()  # a new session on login; the chosen language stays
            if lang:
                session["lang"] = lang
            session["facilitator_id"] = result.id
            session["epoch"] = result.session_epoch
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        error = say(result)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error,
                           email=request.form.get("email", "")), status


@bp.post("/deconnexion")
def logout():
    facilitator = current_facilitator()
    if facilitator is not None:  # every session of this account ends, copies of the cookie too
        facilitators.end_sessions(get_session(), facilitator)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
