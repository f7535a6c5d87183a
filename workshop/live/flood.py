"""Flood control per participant: all their sockets, on every process, share one budget.

A burst of LIVE_BURST events, then LIVE_RATE a second. With Redis (several processes),
the `limits` library counts it in Redis (a sliding window of LIVE_BURST events over
LIVE_BURST / LIVE_RATE seconds), shared by every process. In one process, a token
bucket per participant in this process's memory does the same: the `limits` memory
storage runs a timer that walks every key to expire it, which took 7 % of the server's
CPU in a room of 1,000 phones voting at 500 votes/s (bench/load.py with --py-spy).
"""

import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger(__name__)


class Flood:
    def __init__(self) -> None:
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._item: RateLimitItemPerSecond | None = None
        self._prefix = "workshop"
        self._burst, self._rate = 20.0, 10.0
        self._buckets: dict[int, tuple[float, float]] = {}  # participant -> (tokens, last time)

    def init_app(self, app) -> None:
        burst, rate = app.config["LIVE_BURST"], app.config["LIVE_RATE"]
        self._burst, self._rate = float(burst), float(rate)
        self._buckets.clear()
        self._prefix = app.config["SOCKETIO_CHANNEL"]
        uri = app.config["RATELIMIT_STORAGE_URI"]
        if uri.startswith("memory://"):
            self._limiter = None
            return
        self._item = RateLimitItemPerSecond(int(burst), max(1, math.ceil(burst / rate)))
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri))

    def allow(self, participant_id: int) -> bool:
        """False when this participant sends faster than a person taps (a script, ten
        sockets on one token). Open if the storage fails: flood control must not stop a room."""
        if self._limiter is None:
            return self._take(participant_id)
        try:
            return self._limiter.hit(self._item, self._prefix, "flood", str(participant_id))
        except Exception:  # noqa: BLE001 - Redis down: log, let the event through
            log.warning("flood control unavailable", exc_info=True)
            return True

    def _take(self, participant_id: int) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(participant_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1:
            self._buckets[participant_id] = (tokens, now)
            return False
        self._buckets[participant_id] = (tokens - 1, now)
        return True


flood = Flood()
