"""Socket.IO: who connects, and what phones may send. The protocol is in docs/protocol.md.

One connect handler tells the three audiences apart by their `auth` payload:
`{"screen": token}` for a projector, `{"facilitator": seance_id}` for the
facilitator's page (with its login cookie), and otherwise a phone, known by
its participant token (`{"token": ...}` or the cookie the join page set).
"""

import logging

from flask import request
from flask_socketio import ConnectionRefusedError

from workshop.domain.rules import Refusal
from workshop.extensions import socketio
from workshop.i18n import say
from workshop.live import dispatch, facilitators, phones, screens
from workshop.live.broadcast import broadcaster
from workshop.live.connections import connections
from workshop.live.flood import flood
from workshop.live.presence import presence
from workshop.live.votes import writer

log = logging.getLogger(__name__)


UNKNOWN_EVENT = Refusal("evenement_inconnu", "Action inconnue : rien n'a été enregistré.")


def init_app(app) -> None:
    broadcaster.init_app(app)
    writer.init_app(app)
    presence.init_app(app)
    dispatch.init_app(app)
    flood.init_app(app)
    app.extensions["workshop.online"] = presence.online  # the pages' connected counts

    @socketio.on("connect")
    def connect(auth=None):
        auth = auth if isinstance(auth, dict) else {}
        try:
            if "screen" in auth:
                refusal = screens.connect(auth)
            elif "facilitator" in auth:
                refusal = facilitators.connect(auth)
            else:
                refusal = phones.connect(auth)
        except Exception:  # noqa: BLE001 - a crash must refuse the socket, never let it in
            # (Flask-SocketIO would turn the exception into the error handler's value, which
            # accepts the connection without an identity.)
            log.exception("socket connect failed")
            connections.drop(request.sid)
            refusal = phones.SERVER_ERROR
        if refusal:
            # The client gets {"message": ..., "data": {"code": ...}}.
            raise ConnectionRefusedError(say(refusal), {"code": refusal.code})

    @socketio.on("disconnect")
    def disconnect(*_args):
        if socketio.server.manager.is_connected(request.sid, "/"):
            return  # an event a client named "disconnect": the socket is still there
        who = connections.drop(request.sid)
        if who is not None:
            if who.participant_id is not None:
                presence.changed(who.seance_id)
            dispatch.presence_changed(who.seance_id)

    @socketio.on("*")
    def unknown(event, *_args):
        """An event no handler knows (a script's typo, an old page): refused at once, rather
        than left for the client to time out on."""
        log.info("unknown socket event %r", str(event)[:60])
        return phones.refused(UNKNOWN_EVENT)

    @socketio.on_error_default
    def on_error(error):
        log.exception("socket event failed: %s", error)
        return phones.refused(phones.SERVER_ERROR)

    phones.register(app)
