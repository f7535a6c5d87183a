"""The server's time, for countdowns that must not follow the device's clock.

A phone whose clock is three minutes fast read a five-minute timer as 1:54. Pages
measure their offset to this clock (a few round trips, the fastest one kept) and
count down from the server's time instead (static/js/live.js).
"""

import time

from flask import Blueprint, jsonify

bp = Blueprint("clock", __name__)


@bp.get("/heure")
def now():
    """{"now": milliseconds since the Unix epoch, server clock}; never cached."""
    response = jsonify(now=round(time.time() * 1000))
    response.headers["Cache-Control"] = "no-store"
    return response
