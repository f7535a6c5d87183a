"""HTTP blueprints. A view parses, calls one service, renders a page or its partial."""

import json
from functools import wraps
from urllib.parse import urlsplit

from flask import Response, abort, current_app, redirect, render_template, request, url_for

from workshop.db import get_session
from workshop.domain.messages import joined
from workshop.domain.rules import Refusal
from workshop.identity import current_facilitator
from workshop.offloop import joined_giving_way
from workshop.services import perimetres as _perimetres
from workshop.services import seances as _seances

__all__ = ["current_facilitator", "online", "owned_or_404"]
_OWNED = {"seance": _seances.get_owned, "perimetre": _perimetres.get_owned}


def owned_or_404(kind: str, object_id: int):
    """The séance or périmètre `object_id` if the logged-in facilitator may run it, else 404
    (never "forbidden": others' ids are not disclosed). The one owner check of every
    blueprint, as flaskr's `get_post(id, check_author)`. kind: "seance" | "perimetre"."""
    found = _OWNED[kind](get_session(), object_id, current_facilitator().id)
    if found is None:
        abort(404)
    return found


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


def json_giving_way(data) -> Response:
    """`jsonify(data)`, encoded piece by piece, giving the serving loop back between slices of
    encoding (`offloop.joined_giving_way`; a thousand participants' votes are tens of ms)."""
    provider = current_app.json
    encoder = json.JSONEncoder(default=provider.default, ensure_ascii=provider.ensure_ascii,
                               sort_keys=provider.sort_keys, separators=(",", ":"))
    body = joined_giving_way(encoder.iterencode(data))
    return Response(body + "\n", mimetype=provider.mimetype)


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


def online(seance_id: int) -> dict[int, int]:
    """Connected participants per collectivité (every process). Who is connected is the live
    layer's knowledge: it lends its reader to the app when it starts (`live.init_app`), so
    pages show the same counts without web/ importing live/."""
    return current_app.extensions["workshop.online"](seance_id)
