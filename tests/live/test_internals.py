"""The library details the live fast path leans on (workshop/live/internals.py).

Each test exercises one function against the installed Flask-SocketIO,
python-socketio and Flask, through a real (test) client: if an upgrade moves
the detail, the failure names the function to fix.
"""

import queue

import pytest
from flask import Flask, g, url_for
from flask_socketio import SocketIO, join_room

from workshop.live import internals


@pytest.fixture
def bare():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    socketio = SocketIO(app, async_mode="threading")

    @app.get("/somewhere")
    def somewhere():
        return ""

    return app, socketio


def test_on_server_registers_a_raw_handler_whose_return_is_the_ack(bare):
    app, socketio = bare
    seen = []

    def handler(sid, payload):
        seen.append((sid, payload))
        return {"ok": True, "echo": payload}

    internals.on_server(socketio, "vote", handler)
    client = socketio.test_client(app)
    assert client.emit("vote", {"need_id": 3}, callback=True) == {"ok": True,
                                                                  "echo": {"need_id": 3}}
    [(sid, payload)] = seen
    assert payload == {"need_id": 3}
    assert isinstance(sid, str) and sid  # the socket's sid, as `connections` knows it
    client.disconnect()


def test_queue_and_event_come_from_the_async_mode(bare):
    _app, socketio = bare
    waiting, event = internals.queue_and_event(socketio)
    waiting.put("ballot")
    assert waiting.get() == "ballot"
    with pytest.raises(queue.Empty):  # what the vote writer catches to end a batch
        waiting.get_nowait()
    done = event()
    assert not done.is_set()
    done.set()
    assert done.wait()


def test_has_members_follows_the_room_s_sockets(bare):
    app, socketio = bare

    @socketio.on("connect")
    def connect(auth=None):
        join_room("s1:screen:fr")

    assert not internals.has_members(socketio, "s1:screen:fr")
    client = socketio.test_client(app)
    assert internals.has_members(socketio, "s1:screen:fr")
    assert not internals.has_members(socketio, "s2:screen:fr")
    client.disconnect()
    assert not internals.has_members(socketio, "s1:screen:fr")  # the last socket left


def test_rendering_gives_url_for_and_a_fresh_g(bare):
    app, _socketio = bare
    with app.test_request_context("/somewhere"):
        g.marker = "request's"
        with internals.rendering(app):
            assert url_for("somewhere") == "/somewhere"
            assert "marker" not in g
        assert g.marker == "request's"
    with internals.rendering(app):  # outside any request too (a background flush)
        assert url_for("somewhere") == "/somewhere"


def test_members_are_the_room_s_sids_and_a_list_of_them_is_an_address(bare):
    """`members` reads the manager's table; `emit(to=[sid, ...])` (python-socketio's list of
    rooms: each sid is a room of its own) is how a push to a thousand phones goes out in
    slices (live/broadcast.py, `_emit`)."""
    app, socketio = bare

    @socketio.on("connect")
    def connect(auth=None):
        join_room("s1:phones:fr")

    clients = [socketio.test_client(app) for _ in range(3)]
    sids = internals.members(socketio, "s1:phones:fr")
    assert len(sids) == 3 and len(set(sids)) == 3
    assert internals.members(socketio, "s2:phones:fr") == []
    socketio.emit("html", "<p>slice</p>", to=sids[:2])
    got = [[m["args"][0] for m in c.get_received() if m["name"] == "html"] for c in clients]
    assert sorted(map(len, got)) == [0, 1, 1]
    assert all(g == ["<p>slice</p>"] for g in got if g)
    for client in clients:
        client.disconnect()
