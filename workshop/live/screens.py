"""The projector: read-only, admitted by the screen link's secret."""

from flask import render_template, request
from flask_socketio import emit, join_room

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.live.broadcast import EVENT, language, screen_room
from workshop.live.connections import Identity, connections
from workshop.services import board as board_service
from workshop.services import plan as plan_service
from workshop.services import seances


def connect(auth: dict) -> Refusal | None:
    seance = seances.by_screen_token(get_session(), str(auth.get("screen", ""))[:64])
    if seance is None:
        return Refusal("ecran_inconnu", "Lien d'écran invalide.")
    connections.add(request.sid, Identity("screen", seance.id))
    join_room(screen_room(seance.id, language()))
    if not auth.get("fresh"):  # a reconnection (network, server restart): catch up at once
        board = board_service.snapshot(get_session(), seance)
        plan, names = plan_service.build(get_session(), seance, board) \
            if seance.phase == "plan" else (None, None)
        emit(EVENT, render_template("screen/_header.html", seance=seance, oob=True)
             + render_template("screen/_board.html", board=board, plan=plan, names=names,
                               oob=True))
    return None
