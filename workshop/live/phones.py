"""Phones: a participant adds needs, declares agents and votes, each event acknowledged.

Every acknowledgement is `{"ok": true, ...}` or `{"ok": false, "code", "message"}`
with a French message; a refused event changes nothing. Fragments a phone
must show at once (its dots, its budget) come back in the ack as `html`.
"""

import logging

from flask import current_app, request
from flask_socketio import emit, join_room

from workshop.db import get_session
from workshop.domain.rules import UNKNOWN_PARTICIPANT, Refusal
from workshop.extensions import socketio
from workshop.i18n import parse
from workshop.identity import PARTICIPANT_COOKIE as COOKIE
from workshop.live import dispatch, replies, votes
from workshop.live.broadcast import (
    EVENT,
    collectivite_room,
    language,
    participant_room,
    phone_html,
    phones_room,
)
from workshop.live.connections import Identity, connections
from workshop.live.presence import presence
from workshop.models import Participant, Seance
from workshop.schemas import DemandInput, NeedInput
from workshop.services import board, events, participants
from workshop.services.actions import Action

log = logging.getLogger(__name__)
SERVER_ERROR = replies.SERVER_ERROR
refused = replies.refused


def connect(auth: dict) -> Refusal | None:
    token = auth.get("token")
    if token is None and isinstance(auth.get("seance"), int):
        token = request.cookies.get(COOKIE.format(auth["seance"]))
    participant = participants.by_token(get_session(), token if isinstance(token, str) else None)
    if participant is None:
        return UNKNOWN_PARTICIPANT
    # A change made between the page's render and this connection reached rooms the socket
    # was not in yet: then the phone catches up now, as after a reconnection.
    # (A client that does not say what it has seen, a script, is taken at its word.)
    missed = "seen" in auth and auth["seen"] != events.last_id(get_session(), participant.seance_id)
    locale = language()  # the page's: pushed fragments and acks come in it
    connections.add(request.sid, Identity("phone", participant.seance_id, participant.id,
                                          participant.collectivite_id, locale))
    for room in (phones_room(participant.seance_id, locale),
                 collectivite_room(participant.seance_id, participant.collectivite_id, locale),
                 participant_room(participant.id, locale)):
        join_room(room)
    participants.seen(get_session(), participant)
    presence.changed(participant.seance_id)
    dispatch.presence_changed(participant.seance_id)
    if not auth.get("fresh") or missed:
        # A reconnection, or a change the page missed: the phone catches up in one swap.
        emit(EVENT, _full_board(participant))
    return None


def _full_board(participant: Participant) -> str:
    db = get_session()
    return phone_html(db, db.get(Seance, participant.seance_id), participant)


def _caller() -> tuple[Seance, Participant] | Refusal:
    who = replies.who(request.sid, current_app.config)
    if isinstance(who, Refusal):
        return who
    db = get_session()
    return db.get(Seance, who.seance_id), db.get(Participant, who.participant_id)


def _action(participant: Participant, data) -> Action | None:
    """The payload's action id: the same id twice takes effect once (services.actions)."""
    return Action(participant.id, data.action_id) if data.action_id else None


def on_declare(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    data, errors = parse(DemandInput, payload)
    if errors:
        return replies.invalid(errors)
    seance, participant = caller
    result = board.declare(get_session(), seance, participant, data.need_id, data.year,
                           data.agents, data.category, action=_action(participant, data))
    if isinstance(result, Refusal):
        return refused(result)
    return {"ok": True, "need_id": data.need_id, "year": data.year, "agents": data.agents}


def on_add_need(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    data, errors = parse(NeedInput, payload)
    if errors:
        return replies.invalid(errors)
    seance, participant = caller
    result = board.add_need(get_session(), seance, data.theme_ref, data.title, data.details,
                            participant=participant, action=_action(participant, data))
    if isinstance(result, Refusal):
        return refused(result)
    return {"ok": True, "need_id": result.id}


def on_sync(_payload=None):
    """The phone asks for its whole board again (after a long sleep, say)."""
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    return {"ok": True, "html": _full_board(caller[1])}


def register(app) -> None:
    votes.register(app)  # the hot path, on the Socket.IO server itself
    socketio.on_event("declare", on_declare)
    socketio.on_event("add_need", on_add_need)
    socketio.on_event("sync", on_sync)
