"""The language switch: French (the default) or English, kept in the session."""

from flask import Blueprint, abort, redirect, request, session, url_for

from workshop.config import LANGUAGES
from workshop.web import local_path

bp = Blueprint("lang", __name__)


@bp.get("/langue/<code>")
def switch(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    session.permanent = True  # a phone or a browser keeps its language from one day to the next
    return redirect(local_path(request.args.get("next"), url_for("home")))
