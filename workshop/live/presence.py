"""Who is connected, per séance and collectivité, across every server process.

One process knows its own sockets (`connections`). With several processes
(Redis set), each one also publishes the participants it holds, per séance,
into a Redis hash (`<channel>:presence:<séance>`, one field per process, with
the time it was written), at most once per PUBLISH_SECONDS after a change and
every HEARTBEAT_SECONDS anyway; a reader adds up the fields written less than
STALE_SECONDS ago, so a process that died stops counting within that time.
A participant connected to two processes (two tabs) counts once. Without
Redis, or if Redis fails, the process's own count is given.
"""

import json
import logging
import time
import uuid

import redis

from workshop.extensions import socketio
from workshop.live.connections import connections

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 30.0
READ_SECONDS = 1.0  # the others' presence is read at most this often per séance


class Presence:
    def __init__(self) -> None:
        self.redis: redis.Redis | None = None
        self.process = uuid.uuid4().hex
        self.prefix = ""
        self._dirty: set[int] = set()
        self._scheduled = False
        self._heartbeat = False
        self._read: dict[int, tuple[float, dict[int, set[int]]]] = {}  # séance -> (when, others)

    def init_app(self, app) -> None:
        url = app.config.get("REDIS_URL")
        self.redis = redis.Redis.from_url(url, socket_timeout=2) if url else None
        self.prefix = f"{app.config['SOCKETIO_CHANNEL']}:presence:"
        self._dirty.clear()
        self._read.clear()
        self._scheduled = self._heartbeat = False

    def _key(self, seance_id: int) -> str:
        return f"{self.prefix}{seance_id}"

    # --- writing ----------------------------------------------------------------

    def changed(self, seance_id: int) -> None:
        """A phone of this process (dis)connected: publish soon, once for many changes."""
        if self.redis is None:
            return
        self._dirty.add(seance_id)
        if not self._scheduled:
            self._scheduled = True
            socketio.start_background_task(self._publish_later)
        if not self._heartbeat:
            self._heartbeat = True
            socketio.start_background_task(self._beat)

    def _publish_later(self) -> None:
        socketio.sleep(PUBLISH_SECONDS)
        self._scheduled = False
        dirty, self._dirty = self._dirty, set()
        for seance_id in dirty:
            self._publish(seance_id)

    def _beat(self) -> None:
        while True:
            socketio.sleep(HEARTBEAT_SECONDS)
            for seance_id in connections.seances():
                self._publish(seance_id)

    def _publish(self, seance_id: int) -> None:
        mine = {str(c): sorted(p) for c, p in connections.participants(seance_id).items()}
        try:
            key = self._key(seance_id)
            if mine:
                value = json.dumps({"at": time.time(), "online": mine})
                self.redis.hset(key, self.process, value)
                self.redis.expire(key, int(STALE_SECONDS * 10))
            else:
                self.redis.hdel(key, self.process)
        except redis.RedisError as error:
            log.warning("presence not published for séance %s: %s", seance_id, error)

    # --- reading ----------------------------------------------------------------

    def online(self, seance_id: int) -> dict[int, int]:
        """Connected participants per collectivité, every process included."""
        people = connections.participants(seance_id)
        if self.redis is not None:
            for collectivite_id, others in self._others(seance_id).items():
                people.setdefault(collectivite_id, set()).update(others)
        return {c: len(p) for c, p in people.items() if p}

    def _others(self, seance_id: int) -> dict[int, set[int]]:
        read = self._read.get(seance_id)
        if read is not None and time.monotonic() - read[0] < READ_SECONDS:
            return read[1]
        others: dict[int, set[int]] = {}
        try:
            fields = self.redis.hgetall(self._key(seance_id))
        except redis.RedisError as error:
            log.warning("presence not read for séance %s: %s", seance_id, error)
            fields = {}
        now = time.time()
        for process, value in fields.items():
            if process.decode() == self.process:
                continue
            try:
                data = json.loads(value)
                if now - float(data["at"]) > STALE_SECONDS:
                    continue
                for collectivite_id, participants in data["online"].items():
                    others.setdefault(int(collectivite_id), set()).update(map(int, participants))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # not ours to trust: skip it
        self._read[seance_id] = (time.monotonic(), others)
        return others


presence = Presence()
