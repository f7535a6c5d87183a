"""The projector: read-only, admitted by the screen link's secret."""

from flask import request
from flask_socketio import emit, join_room

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.live.broadcast import EVENT, language, screen_header_html, screen_html, screen_room
from workshop.live.connections import Identity, connections
from workshop.services import board as board_service
from workshop.services import seances


def connect(auth: dict) -> Refusal | None:
    db = get_session()
    seance = seances.by_screen_token(db, str(auth.get("screen", ""))[:64])
    if seance is None:
        return Refusal("ecran_inconnu", "Lien d'écran invalide.")
    connections.add(request.sid, Identity("screen", seance.id))
    join_room(screen_room(seance.id, language()))
    if not auth.get("fresh"):  # a reconnection (network, server restart): catch up at once
        emit(EVENT, screen_header_html(db, seance)
             + screen_html(db, seance, board_service.snapshot(db, seance)))
    return None
