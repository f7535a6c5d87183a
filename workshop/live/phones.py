"""Phones: a participant adds needs, declares agents and votes, each event acknowledged.

Every acknowledgement is `{"ok": true, ...}` or `{"ok": false, "code", "message"}`
with a French message; a refused event changes nothing. Fragments a phone
must show at once (its dots, its budget) come back in the ack as `html`.
"""

import logging
from contextlib import contextmanager
from functools import lru_cache, partial

from flask import current_app, render_template, request
from flask_babel import force_locale
from flask_socketio import emit, join_room

from workshop import LANGUAGES
from workshop.db import get_session
from workshop.domain.rules import UNKNOWN_PARTICIPANT, Refusal
from workshop.extensions import socketio
from workshop.i18n import say
from workshop.live.broadcast import (
    EVENT,
    broadcaster,
    collectivite_room,
    language,
    participant_room,
    phones_room,
)
from workshop.live.connections import Identity, connections
from workshop.live.presence import presence
from workshop.live.votes import writer
from workshop.models import Participant, Seance
from workshop.schemas import DemandInput, NeedInput, VoteInput, parse
from workshop.services import board, participants

log = logging.getLogger(__name__)
SERVER_ERROR = Refusal("erreur_serveur", "Erreur inattendue : rien n'a été enregistré. Réessayez.")
COOKIE = "p_{}"  # one participant cookie per séance


def connect(auth: dict) -> Refusal | None:
    token = auth.get("token")
    if token is None and isinstance(auth.get("seance"), int):
        token = request.cookies.get(COOKIE.format(auth["seance"]))
    participant = participants.by_token(get_session(), token if isinstance(token, str) else None)
    if participant is None:
        return UNKNOWN_PARTICIPANT
    locale = language()  # the page's: pushed fragments and acks come in it
    connections.add(request.sid, Identity("phone", participant.seance_id, participant.id,
                                          participant.collectivite_id, locale))
    for room in (phones_room(participant.seance_id, locale),
                 collectivite_room(participant.seance_id, participant.collectivite_id, locale),
                 participant_room(participant.id, locale)):
        join_room(room)
    participants.seen(get_session(), participant)
    presence.changed(participant.seance_id)
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


def _who(sid: str | None = None, config=None) -> Identity | Refusal:
    """The phone behind this socket, unless it floods."""
    sid = sid or request.sid
    config = config or current_app.config
    who = connections.get(sid)
    if who is None or who.participant_id is None:
        return UNKNOWN_PARTICIPANT
    if not connections.allow(sid, config["LIVE_BURST"], config["LIVE_RATE"]):
        return FLOOD
    return who


def _caller() -> tuple[Seance, Participant] | Refusal:
    who = _who()
    if isinstance(who, Refusal):
        return who
    db = get_session()
    return db.get(Seance, who.seance_id), db.get(Participant, who.participant_id)


def refused(refusal: Refusal) -> dict:
    """The refusal, in the language of the page behind the socket (see `_speaking`)."""
    return {"ok": False, "code": refusal.code, "message": say(refusal)}


@contextmanager
def _speaking(app, locale: str):
    """Contexts for a reply outside Flask-SocketIO's (the vote): messages in `locale`."""
    with app.app_context(), app.test_request_context("/"), force_locale(locale):
        yield


def _invalid(errors: dict[str, str]) -> dict:
    return {"ok": False, "code": "saisie_invalide", "message": " ".join(errors.values()),
            "errors": errors}


def on_vote(app, sid: str, payload=None) -> dict:
    """The hot path of a room voting at once, so it runs on the Socket.IO server itself
    (see `register`): ids from the connection, no séance or participant object loaded; the
    vote is stored with the others arriving with it (group commit), then acknowledged."""
    try:
        who = _who(sid, app.config)
        if isinstance(who, Refusal):
            with _speaking(app, LANGUAGES[0]):
                return refused(who)
        data, errors = parse(VoteInput, payload)
        if errors:  # told again in the phone's language (parse speaks the current one)
            with _speaking(app, who.locale):
                return _invalid(parse(VoteInput, payload)[1])
        result = writer.submit(board.Ballot(who.seance_id, who.participant_id, data.need_id,
                                            data.dots))
        if isinstance(result, Refusal):
            with _speaking(app, who.locale):
                return refused(result)
        broadcaster.counts(who.seance_id, data.need_id, dots_only=True)
        return {"ok": True, "need_id": result.need_id, "dots": result.dots,
                "left": result.left,
                "html": _vote_ack(app, who.locale, result.need_id, result.dots, result.left,
                                  result.budget)}
    except Exception:  # the same answer as Flask-SocketIO's error handler gives the others
        log.exception("socket event failed: vote")
        with _speaking(app, LANGUAGES[0]):
            return refused(SERVER_ERROR)


@lru_cache(maxsize=4096)
def _vote_ack(app, locale: str, need_id: int, dots: int, left: int, budget: int) -> str:
    """The phone's dots on the need and its budget: a few hundred different fragments in a
    room, rendered once each (the same partials as the page)."""
    with _speaking(app, locale):
        return render_template("phone/_vote_ack.html", seance={"dot_budget": budget},
                               mine=board.Mine({need_id: dots}, {}, left), need_id=need_id,
                               oob=True)


def on_declare(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    data, errors = parse(DemandInput, payload)
    if errors:
        return _invalid(errors)
    seance, participant = caller
    result = board.declare(get_session(), seance, participant, data.need_id, data.year,
                           data.agents, data.category)
    if isinstance(result, Refusal):
        return refused(result)
    broadcaster.ours(seance.id, participant.collectivite_id, data.need_id)
    return {"ok": True, "need_id": data.need_id, "year": data.year, "agents": data.agents}


def on_add_need(payload=None):
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    data, errors = parse(NeedInput, payload)
    if errors:
        return _invalid(errors)
    seance, participant = caller
    result = board.add_need(get_session(), seance, data.theme_ref, data.title, data.details,
                            participant=participant)
    if isinstance(result, Refusal):
        return refused(result)
    broadcaster.need_added(seance.id, result.id)
    return {"ok": True, "need_id": result.id}


def on_sync(_payload=None):
    """The phone asks for its whole board again (after a long sleep, say)."""
    caller = _caller()
    if isinstance(caller, Refusal):
        return refused(caller)
    return {"ok": True, "html": _full_board(caller[1])}


def register(app) -> None:
    # The vote goes straight on the Socket.IO server: Flask-SocketIO would build a Flask
    # request context for each event (URL matching, cookie session, app context), which
    # cost a third of a vote's time with a thousand phones voting.
    socketio.server.on("vote", partial(on_vote, app))
    socketio.on_event("declare", on_declare)
    socketio.on_event("add_need", on_add_need)
    socketio.on_event("sync", on_sync)
