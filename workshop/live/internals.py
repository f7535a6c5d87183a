"""The few places the live layer reaches under Flask-SocketIO's public API, one function each.

Each is a speed-up for a room of a thousand phones, and each leans on a detail
of python-socketio / python-engineio / Flask that is not a documented API:
tests/live/test_internals.py checks every one against the installed versions,
so an upgrade that changes them fails there, by name, not in a room.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask_socketio import SocketIO


def on_server(socketio: SocketIO, event: str, handler: Callable[[str, object], object]) -> None:
    """Register `handler(sid, payload)` on the Socket.IO server itself (`server.on`).

    Flask-SocketIO's own handlers build a Flask request context for each event (URL
    matching, cookie session, app context): a third of a vote's time with a thousand
    phones voting. The handler's return value is the acknowledgement.
    """
    socketio.server.on(event, handler)


def queue_and_event(socketio: SocketIO) -> tuple[object, Callable[[], object]]:
    """A queue and an event factory of the server's async mode (gevent's in production,
    threads in the tests), from engine.io (`server.eio.create_queue / create_event`)."""
    eio = socketio.server.eio
    return eio.create_queue(), eio.create_event


def has_members(socketio: SocketIO, room: str, namespace: str = "/") -> bool:
    """Whether a socket of this process is in `room` (python-socketio's manager drops a room
    when its last socket leaves: `server.manager.rooms[namespace]`). With a message queue
    the other processes' sockets are not known here: ask only without one."""
    return room in socketio.server.manager.rooms.get(namespace, {})


def members(socketio: SocketIO, room: str, namespace: str = "/") -> list[str]:
    """The session ids of this process's sockets in `room` (the same manager table as
    `has_members`; each sid is also a room of its own, which `emit(to=[...])` takes)."""
    return list(socketio.server.manager.rooms.get(namespace, {}).get(room, {}))


@contextmanager
def rendering(app) -> Iterator[None]:
    """Contexts to render a partial outside any request (a broadcast, a vote's ack): an app
    context and a bare request context for `url_for` and the locale, with a fresh `g` so a
    language forced here never leaks into the request that caused the render."""
    with app.app_context(), app.test_request_context("/"):
        yield
