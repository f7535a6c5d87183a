"""The baseline for bench/load.py: a bare Flask-SocketIO relay, no database, no rendering.

    python bench/baseline_server.py --port 5100

Same stack as `workshop serve` (Flask-SocketIO, gevent, gevent-websocket, one
process), and the same shape of traffic: phones connect with `auth={"token": T}`
and send `vote` events `{"need_id", "dots", ...}` that are acknowledged; one
screen connects with `auth={"screen": K}` and joins the room `screen`. Each
vote is relayed at once, as it came, to that room (event `vote`, plus the
phone's token under `"p"`): nothing is coalesced, stored or rendered. The only
state is the last figure per (phone, need), kept in a dict so that the harness
can compare acknowledged, "stored" and shown votes the same way as for the
app (`GET /etat.json` answers `{"totals": {"dots": N}}`).

Start it as a program (it monkey-patches the standard library first, as
`workshop serve` does); SIGTERM stops it.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import signal  # noqa: E402

import gevent  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")
phones: dict[str, str] = {}  # sid -> token
dots: dict[tuple[str, int], int] = {}  # (token, need) -> dots


@socketio.on("connect")
def connect(auth):
    auth = auth if isinstance(auth, dict) else {}
    if "screen" in auth:
        join_room("screen")
        return True
    if isinstance(auth.get("token"), str):
        phones[request.sid] = auth["token"]
        return True
    return False


@socketio.on("disconnect")
def disconnect(*_args):
    phones.pop(request.sid, None)


@socketio.on("vote")
def vote(payload=None):
    token = phones.get(request.sid)
    if token is None or not isinstance(payload, dict):
        return {"ok": False, "code": "saisie_invalide"}
    need_id, count = payload.get("need_id"), payload.get("dots")
    if not isinstance(need_id, int) or not isinstance(count, int):
        return {"ok": False, "code": "saisie_invalide"}
    dots[(token, need_id)] = count
    socketio.emit("vote", {**payload, "p": token}, to="screen")
    return {"ok": True, "need_id": need_id, "dots": count}


@app.get("/etat.json")
def state():
    return jsonify(totals={"dots": sum(dots.values()), "phones": len(phones)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    args = parser.parse_args()
    gevent.signal_handler(signal.SIGTERM, socketio.stop)
    gevent.signal_handler(signal.SIGINT, socketio.stop)
    print(f"baseline: écoute sur http://{args.host}:{args.port}", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False)


if __name__ == "__main__":
    main()
