"""Flood control per participant: all their sockets, on every process, share one budget.

A burst of LIVE_BURST events, then LIVE_RATE a second (a sliding window of LIVE_BURST
events over LIVE_BURST / LIVE_RATE seconds), counted by the `limits` library in the rate
limits' storage: Redis when configured (shared by every process), else this process's memory.
"""

import logging
import math

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger(__name__)


class Flood:
    def __init__(self) -> None:
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._item: RateLimitItemPerSecond | None = None
        self._prefix = "workshop"

    def init_app(self, app) -> None:
        burst, rate = app.config["LIVE_BURST"], app.config["LIVE_RATE"]
        self._item = RateLimitItemPerSecond(int(burst), max(1, math.ceil(burst / rate)))
        self._limiter = SlidingWindowCounterRateLimiter(
            storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
        self._prefix = app.config["SOCKETIO_CHANNEL"]

    def allow(self, participant_id: int) -> bool:
        """False when this participant sends faster than a person taps (a script, ten
        sockets on one token). Open if the storage fails: flood control must not stop a room."""
        try:
            return self._limiter.hit(self._item, self._prefix, "flood", str(participant_id))
        except Exception:  # noqa: BLE001 - Redis down: log, let the event through
            log.warning("flood control unavailable", exc_info=True)
            return True


flood = Flood()
