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
        facilitator = get_session().get(Facilitator, facilitator_id) \
            if isinstance(facilitator_id, int) else None
        # A logout or a new password moves the account's epoch: every earlier cookie ends.
        current = (facilitator is not None and facilitator.active
                   and session.get("epoch") == facilitator.session_epoch)
        g.facilitator = facilitator if current else None
    return g.facilitator
