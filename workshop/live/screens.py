"""The projector: read-only, admitted by the screen link's secret."""

from flask import request
from flask_socketio import join_room

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.live.broadcast import screen_room
from workshop.live.connections import Identity, connections
from workshop.services import seances


def connect(auth: dict) -> Refusal | None:
    seance = seances.by_screen_token(get_session(), str(auth.get("screen", ""))[:64])
    if seance is None:
        return Refusal("ecran_inconnu", "Lien d'écran invalide.")
    connections.add(request.sid, Identity("screen", seance.id))
    join_room(screen_room(seance.id))
    return None
