"""The HTTP boundary: what every request passes before any view reads it.

- ids in URLs are the database's integers (1 .. 2**31 - 1): a larger or odd one
  names nothing (404), never an overflow in the driver;
- the body may be as large as the route allows (`upload_limit`), and no larger;
- no NUL character anywhere (path, query, form, cookies, JSON): PostgreSQL's
  text cannot hold one, so such a request is refused (400) before it reaches SQL;
- a JSON body parses within a nesting depth (`schemas.load_json`).

Registered before the CSRF check, which reads the form.
"""

from flask import abort, current_app, request
from werkzeug.routing import IntegerConverter

from workshop.schemas import FORM_MAX, ID_MAX, has_nul, load_json


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to the ids the database can hold (1 .. 2**31 - 1, PostgreSQL's
    `integer`): /seances/99999999999999999999 is a 404 like any unknown id."""

    def __init__(self, map, fixed_digits=0, min=1, max=ID_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def upload_limit(max_bytes: int):
    """Mark a view as taking a file of up to `max_bytes` (the form around it comes on top)."""
    def mark(view):
        view.upload_limit = max_bytes
        return view
    return mark


# Room for the multipart envelope and the form's other fields around the file.
ENVELOPE = 64 * 1024


def route_limit() -> int:
    """The file or form size this request's route accepts, in bytes (the one said to people)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "upload_limit", None) or FORM_MAX


def _check_request():
    request.max_content_length = route_limit() + ENVELOPE
    if has_nul(request.path) or any(has_nul(k) or has_nul(v) for source in (request.args, request.cookies)
                                    for k, v in source.items(multi=True)):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            data = load_json(request.get_data(cache=True))
            if data is load_json.INVALID:
                abort(400)
            # What get_json() gives the view from now on (werkzeug caches per `silent` value).
            request._cached_json = (data, data)
            if has_nul(data):
                abort(400)
        elif any(has_nul(k) or has_nul(v) for k, v in request.form.items(multi=True)) \
                or any(has_nul(k) or has_nul(f.filename) for k, f in request.files.items(multi=True)):
            abort(400)


def init_app(app) -> None:
    """Before the blueprints (their rules use the converter) and before CSRF (it reads the form)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_check_request)
