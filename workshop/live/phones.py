"""Phones: a participant adds needs, declares agents and votes, each event acknowledged.

Every acknowledgement is `{"ok": true, ...}` or `{"ok": false, "code", "message"}`
with a French message; a refused event changes nothing. Fragments a phone
must show at once (its dots, its budget) come back in the ack as `html`.
"""

from flask import current_app, render_template, request
from flask_socketio import emit, join_room

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.extensions import socketio
from workshop.live.broadcast import (
    EVENT,
    broadcaster,
    collectivite_room,
    participant_room,
    phones_room,
)
from workshop.live.connections import Identity, connections
from workshop.models import Participant, Seance
from workshop.schemas import DemandInput, NeedInput, VoteInput, parse
from workshop.services import board, participants

COOKIE = "p_{}"  # one participant cookie per séance


def connect(auth: dict) -> Refusal | None:
    token = auth.get("token")
    if token is None and isinstance(auth.get("seance"), int):
        token = request.cookies.get(COOKIE.format(auth["seance"]))
    participant = participants.by_token(get_session(), token if isinstance(token, str) else None)
    if participant is None:
        return Refusal("participant_inconnu", "Rejoignez d'abord la séance avec son code.")
    connections.add(request.sid, Identity("phone", participant.seance_id, participant.id,
                                          participant.collectivite_id))
    for room in (phones_room(participant.seance_id),
                 collectivite_room(participant.seance_id, participant.collectivite_id),
                 participant_room(participant.id)):
        join_room(room)
    participants.seen(get_session(), participant)
    broadcaster.people(participant.seance_id)
    if not auth.get("fresh"):
        # A reconnection: whatever happened meanwhile, the phone catches up in one swap.
        emit(EVENT, _full_board(participant))
    return None


def _full_board(participant: Participant) -> str:
    db = get_session()
    seance = db.get(Seance, participant.seance_id)
    return render_template("phone/_board.html", seance=seance, oob=True,
                           board=board.snapshot(db, seance),
                           mine=board.mine(db, seance, participant))


FLOOD = Refusal("trop_rapide", "Trop d'envois d'un coup : patientez une seconde.")


def _who() -> Identity | Refusal:
    """The phone behind this socket, unless it floods."""
    who = connections.get(request.sid)
    if who is None or who.participant_id is None:
        return Refusal("participant_inconnu", "Rejoignez d'abord la séance avec son code.")
    if not connections.allow(request.sid, current_app.config["LIVE_BURST"],
                              current_app.config["LIVE_RATE"]):
        return FLOOD
    return who


def _caller() -> tuple[Seance, Participant] | Refusal:
    who = _who()
    if isinstance(who, Refusal):
        return who
    db = get_session()
    return db.get(Seance, who.seance_id), db.get(Participant, who.participant_id)


def _refused(refusal: Refusal) -> dict:
    return {"ok": False, "code": refusal.code, "message": refusal.message}


def _invalid(errors: dict[str, str]) -> dict:
    return {"ok": False, "code": "saisie_invalide", "message": " ".join(errors.values()),
            "errors": errors}


def on_vote(payload=None):
    who = _who()
    if isinstance(who, Refusal):
        return _refused(who)
    data, errors = parse(VoteInput, payload)
    if errors:
        return _invalid(errors)
    # The hot path: ids from the connection, no séance or participant object loaded.
    result = board.cast(get_session(), who.seance_id, who.participant_id, data.need_id, data.dots)
    if isinstance(result, Refusal):
        return _refused(result)
    broadcaster.counts(who.seance_id, data.need_id, dots_only=True)
    mine = board.Mine(result.allocation, {}, result.left)
    html = render_template("phone/_vote_ack.html", seance={"dot_budget": result.budget},
                           mine=mine, need_id=result.need_id, oob=True)
    return {"ok": True, "need_id": result.need_id, "dots": result.dots, "left": result.left,
            "html": html}


def on_declare(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return _refused(caller)
    data, errors = parse(DemandInput, payload)
    if errors:
        return _invalid(errors)
    seance, participant = caller
    result = board.declare(get_session(), seance, participant, data.need_id, data.year,
                           data.agents)
    if isinstance(result, Refusal):
        return _refused(result)
    broadcaster.ours(seance.id, participant.collectivite_id, data.need_id)
    return {"ok": True, "need_id": data.need_id, "year": data.year, "agents": data.agents}


def on_add_need(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return _refused(caller)
    data, errors = parse(NeedInput, payload)
    if errors:
        return _invalid(errors)
    seance, participant = caller
    result = board.add_need(get_session(), seance, data.theme_id, data.title, data.details,
                            participant=participant)
    if isinstance(result, Refusal):
        return _refused(result)
    broadcaster.need_added(seance.id, result.id)
    return {"ok": True, "need_id": result.id}


def on_sync(_payload=None):
    """The phone asks for its whole board again (after a long sleep, say)."""
    caller = _caller()
    if isinstance(caller, Refusal):
        return _refused(caller)
    return {"ok": True, "html": _full_board(caller[1])}


def register() -> None:
    socketio.on_event("vote", on_vote)
    socketio.on_event("declare", on_declare)
    socketio.on_event("add_need", on_add_need)
    socketio.on_event("sync", on_sync)
