"""The facilitator's page: admitted by the login cookie, for their own séances only.

The facilitator acts over HTTP (htmx forms); the socket only brings the
live board back to their page.
"""

from flask import render_template, request
from flask_socketio import emit, join_room

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.identity import current_facilitator
from workshop.live.broadcast import (
    EVENT,
    facilitator_html,
    facilitator_room,
    language,
    plan_html,
    plan_room,
)
from workshop.live.connections import Identity, connections
from workshop.schemas import ID_MAX
from workshop.services import board as board_service
from workshop.services import plan as plan_service
from workshop.services import seances


def connect(auth: dict) -> Refusal | None:
    facilitator = current_facilitator()
    seance_id = auth.get("facilitator")
    if facilitator is None:
        return Refusal("non_connecte", "Connectez-vous comme animateur.")
    if type(seance_id) is not int or not 1 <= seance_id <= ID_MAX:  # true, 2**70 name nothing
        return Refusal("seance_inconnue", "Séance inconnue.")
    seance = seances.get_owned(get_session(), seance_id, facilitator.id)
    if seance is None:
        return Refusal("seance_inconnue", "Séance inconnue.")
    if auth.get("view") == "plan":
        connections.add(request.sid, Identity("plan", seance.id))
        join_room(plan_room(seance.id, language()))
        if not auth.get("fresh"):
            emit(EVENT, plan_html(seance, plan_service.draft(get_session(), seance)))
        return None
    connections.add(request.sid, Identity("facilitator", seance.id))
    join_room(facilitator_room(seance.id, language()))
    if not auth.get("fresh"):  # a reconnection: catch up at once (board and controls)
        emit(EVENT, facilitator_html(board_service.snapshot(get_session(), seance))
             + render_template("pilotage/_controls.html", seance=seance, oob=True))
    return None
