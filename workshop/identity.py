"""Who is behind a request or a socket's handshake: shared by both entry points.

The facilitator is known by the login session, a participant by the cookie
the join page set (one per séance, also set by the facilitator's proxy
entry). web/ and live/ both read them here, so neither imports the other.
"""

from flask import g, session

from workshop.db import get_session
from workshop.models import Facilitator

PARTICIPANT_COOKIE = "p_{}"  # one participant cookie per séance: format with its id


def current_facilitator() -> Facilitator | None:
    if "facilitator" not in g:
        facilitator_id = session.get("facilitator_id")
        facilitator = get_session().get(Facilitator, facilitator_id) if facilitator_id else None
        g.facilitator = facilitator if facilitator and facilitator.active else None
    return g.facilitator
