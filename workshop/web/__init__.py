"""HTTP blueprints. A view parses, calls one service, renders a page or its partial."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Response, g, redirect, render_template, request, session, url_for

from workshop.db import get_session
from workshop.domain.messages import joined
from workshop.domain.rules import Refusal
from workshop.models import Facilitator


def current_facilitator() -> Facilitator | None:
    if "facilitator" not in g:
        facilitator_id = session.get("facilitator_id")
        facilitator = get_session().get(Facilitator, facilitator_id) \
            if isinstance(facilitator_id, int) else None
        current = (facilitator is not None and facilitator.active
                   and session.get("epoch") == facilitator.session_epoch)
        g.facilitator = facilitator if current else None
    return g.facilitator


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_facilitator() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def local_path(target: str | None, default: str) -> str:
    """target if it is a path on this site, else default: never an open redirect.

    Browsers read a backslash as a slash ("/\\evil.example" is another site) and drop
    tabs and newlines from URLs: such targets are refused too.
    """
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(ord(c) < 32 or ord(c) == 127 for c in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_or_partial(page: str, partial: str, status: int = 200, **context):
    """The whole page, or only its partial when htmx asks: one template for both."""
    return render_template(partial if is_htmx() else page, **context), status


def download(body: bytes, mimetype: str, name: str) -> Response:
    """A file to save, never cached (it reflects the séance at that moment)."""
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def invalid(errors: dict[str, str], code: str = "saisie_invalide") -> Refusal:
    """The refusal of a form that did not parse: its messages, already in the request's language."""
    return Refusal(code, joined(errors.values(), " "))


def outcome(result, done: str) -> dict:
    """What an action's partial shows: the refusal, or the notice of success; and its status.

    `done` is already in the request's language (`_()`); the refusal is said by the
    partial (`say(refusal)`).

    Refusals answer 422 (htmx is configured to swap them), so the same partial
    says what went wrong and nothing changed.
    """
    refused = isinstance(result, Refusal)
    return {"refusal": result if refused else None, "notice": None if refused else done,
            "status": 422 if refused else 200}
