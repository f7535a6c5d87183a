"""The projected screen: a read-only view opened through a secret link of its own."""

from functools import lru_cache

import segno
from flask import Blueprint, abort, current_app, render_template, request

from workshop.db import get_session
from workshop.domain import codes
from workshop.services import board, seances
from workshop.services import plan as plan_service

bp = Blueprint("screen", __name__, url_prefix="/ecran")


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """The QR code, drawn server-side as inline SVG (no script, no image request)."""
    return segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff",
                                                 omitsize=True)


def join_urls(code: str) -> tuple[str, str]:
    """(the URL in the QR code, the short address to read aloud)."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return f"{base}/j/{code}", f"{base.split('://', 1)[-1]}/j"


@bp.get("/<token>")
def show(token: str):
    db = get_session()
    seance = seances.by_screen_token(db, token)
    if seance is None:
        abort(404)
    url, short = join_urls(seance.join_code)
    snapshot = board.snapshot(db, seance)
    draft = plan_service.on_screen(db, seance, snapshot)  # the plan phase's grid, or None
    plan, names = (draft.plan, draft.names) if draft else (None, None)
    # A bright room: white on black, heavier bars; kept in the link the facilitator opened.
    high_contrast = request.args.get("contraste") == "fort"
    return render_template("screen/screen.html", high_contrast=high_contrast, seance=seance,
                           board=snapshot, plan=plan, names=names, qr=qr_svg(url),
                           timer_started=seances.timer_started(db, seance),
                           join_url=url, short_url=short, code=codes.display(seance.join_code))
