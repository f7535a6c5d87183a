"""The simulated people: phones (a lean Socket.IO client), the screen, the facilitator's page."""

import asyncio
import json
import sys
from dataclasses import dataclass, field

try:
    import aiohttp
    import socketio
except ImportError as error:  # pragma: no cover - told to the user
    sys.exit(f"bench/load.py needs python-socketio's asyncio client and aiohttp: "
             f"pip install 'python-socketio[asyncio_client]' ({error})")

from typing import TYPE_CHECKING

from .common import log, now

if TYPE_CHECKING:
    from .run import Run


@dataclass
class Vote:
    phone: "Phone"
    need: int
    dots: int
    sched: float = 0.0
    sent: float | None = None
    acked: float | None = None
    ack: dict | None = None
    shown: float | None = None  # first screen push showing it
    on_phone: float | None = None  # first push to the observer phone showing it
    seq: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.ack and self.ack.get("ok"))


@dataclass
class Phone:
    index: int
    token: str
    participant_id: int | None
    collectivite_id: int | None
    client: object = None  # LiteSocket or socketio.AsyncClient: emit(), call(), disconnect()
    pushes: int = 0
    push_bytes: int = 0
    disconnected: bool = False
    dots: dict[int, int] = field(default_factory=dict)  # need -> dots, as acknowledged
    cursor: int = 0  # the baseline's next need
    observed: list[tuple[float, str]] | None = None  # kept for the observer phone only
    process: int = 0  # with --cluster: which server process it talks to


class LiteSocket:
    """A phone's Socket.IO connection, written for the load: Socket.IO v5 over Engine.IO v4 on
    a WebSocket (aiohttp), just what a phone does: connect with `auth`, emit events with an
    acknowledgement, receive `html` events, answer the server's pings.

    The wire protocol is the one python-socketio speaks; what differs is the cost of a received
    message, about 4 times lower (no task and no JSON decoding per push: pushes are counted,
    and decoded only for the observer phone). With 1,000 phones each flush of the server is
    1,000 messages at once: through python-socketio's client they hold the harness's event loop
    for up to ~150 ms, which then shows up in every latency measured (see bench/README.md).
    """

    def __init__(self, http: aiohttp.ClientSession, on_event, on_disconnect) -> None:
        self.http, self.on_event, self.on_disconnect = http, on_event, on_disconnect
        self.acks: dict[int, object] = {}
        self.next_id = 0
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self, url: str, auth: dict, timeout: float = 60) -> None:
        endpoint = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.http.ws_connect(endpoint, max_msg_size=0), timeout)
        opening = await self.ws.receive(timeout)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opening.data!r}")
        await self.ws.send_str("40" + json.dumps(auth))
        while True:
            reply = await self.ws.receive(timeout)
            if reply.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"connection closed: {reply.type}")
            if reply.data.startswith("40"):
                break
            if reply.data.startswith("44"):
                raise ConnectionError(json.loads(reply.data[2:]))
            self._handle(reply.data)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    if message.data == "2":  # Engine.IO ping
                        await self.ws.send_str("3")
                    elif message.data == "1" or message.data.startswith("41"):
                        break
                    else:
                        self._handle(message.data)
        finally:
            self.on_disconnect()

    def _handle(self, data: str) -> None:
        if data.startswith("42"):
            self.on_event(data)
        elif data.startswith("43"):  # 43<id>[answer...]
            end = 2
            while data[end].isdigit():
                end += 1
            callback = self.acks.pop(int(data[2:end]), None)
            if callback:
                callback(*json.loads(data[end:]))

    async def emit(self, event: str, data=None, callback=None) -> None:
        if callback is None:
            await self.ws.send_str("42" + json.dumps([event, data]))
            return
        self.next_id += 1
        self.acks[self.next_id] = callback
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))

    async def call(self, event: str, data=None, timeout: float = 60):
        answer = asyncio.get_running_loop().create_future()
        await self.emit(event, data, lambda *a: answer.done() or answer.set_result(
            a[0] if len(a) == 1 else a))
        return await asyncio.wait_for(answer, timeout)

    async def disconnect(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
            finally:
                await self.ws.close()


class Screen:
    """The projector: one socket, every push kept with its arrival time. It reconnects as
    static/js/live.js does (not "fresh": the server sends the whole board again), and each
    disconnection counts as an error of the step."""

    def __init__(self, run: "Run", event: str) -> None:
        self.run, self.event = run, event
        self.pushes: list[tuple[float, object]] = []
        self.disconnects = 0
        self.closing = False
        self.client = None

    async def connect(self, fresh: bool = True) -> None:
        target, args = self.run.target, self.run.args
        auth = target.screen_auth(fresh)
        if args.client == "lite":
            self.client = LiteSocket(self.run.http, self.on_frame, self.on_disconnect)
            await self.client.connect(target.screen_url, auth)
        else:
            self.client = socketio.AsyncClient(reconnection=False)
            self.client.on(self.event, self.on_push)
            self.client.on("disconnect", self.on_disconnect)
            await self.client.connect(target.screen_url, auth=auth, transports=["websocket"],
                                      wait_timeout=60)

    def on_frame(self, frame: str) -> None:
        arrived = now()
        event, *data = json.loads(frame[2:])
        if event == self.event:
            self.pushes.append((arrived, data[0] if data else None))

    def on_push(self, payload) -> None:
        self.pushes.append((now(), payload))

    def on_disconnect(self, *_args) -> None:
        if not self.closing:
            self.disconnects += 1
            log(f"{self.run.target.name}: the screen was disconnected; reconnecting")
            asyncio.ensure_future(self.reconnect())

    async def reconnect(self) -> None:
        for _attempt in range(40):
            await asyncio.sleep(0.5)
            try:
                await self.connect(fresh=False)
                return
            except Exception:  # the server may be down for a while: try again
                continue

    async def close(self) -> None:
        self.closing = True
        if self.client is not None:
            await asyncio.wait_for(self.client.disconnect(), 10)


class FacilitatorPage:
    """The facilitator's pilotage page, open as in a real room: its socket (with the login
    cookie) receives the facilitator's board at each refresh, which the server renders too.
    Its pushes are counted, not timed."""

    def __init__(self, target) -> None:
        self.target = target
        self.pushes = self.push_bytes = 0
        self.http: aiohttp.ClientSession | None = None
        self.client: LiteSocket | None = None

    async def connect(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.target.fac.http.cookies.get_dict().items())
        self.http = aiohttp.ClientSession(headers={"Cookie": cookie})
        self.client = LiteSocket(self.http, self.on_frame, lambda *_: None)
        await self.client.connect(self.target.url,
                                  {"facilitator": self.target.seance_id, "fresh": True})

    def on_frame(self, frame: str) -> None:
        self.pushes += 1
        self.push_bytes += len(frame)

    async def close(self) -> dict:
        if self.client is not None:
            await asyncio.wait_for(self.client.disconnect(), 10)
        if self.http is not None:
            await self.http.close()
        return {"pushes": self.pushes, "push_bytes": self.push_bytes}
