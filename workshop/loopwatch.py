"""The loop watches itself: who holds the gevent loop, and for how long.

Two instruments, both on in `workshop serve`:

- gevent's own blocking monitor (`gevent.config.monitor_thread`, a thread
  that checks every `max_blocking_time` whether the loop switched): a
  greenlet that holds the loop longer than MAX_BLOCKING_S is logged with its
  stack (gevent's EventLoopBlocked event, logged at WARNING by `_blocked`).
- a probe greenlet that asks to wake every PROBE_S and notes how late it
  wakes: its worst lateness is the longest block seen, in milliseconds (and,
  counting only the loop thread's CPU meanwhile, the longest busy block: on
  a loaded machine the process may simply not be scheduled). It
  also sees what the monitor cannot: a C call that keeps the GIL (password
  hashing, a parser in C) never lets the monitor's thread look, so only the
  probe logs it, without a stack, right after (WARNING, the request log next
  to it says which).

`stats()` gives both; GET /sante/boucle answers them as JSON to a client on
the same machine (the benchmarks), never through a proxy (404 otherwise);
`?reset=1` starts a new window after answering (a benchmark's next phase).
"""

import logging
import time

log = logging.getLogger(__name__)
MAX_BLOCKING_S = 0.1  # the product's budget is 50 ms a greenlet; log from twice that
PROBE_S = 0.01

_state = {"threshold_ms": MAX_BLOCKING_S * 1000, "longest_ms": 0.0, "window_ms": 0.0,
          "longest_busy_ms": 0.0, "window_busy_ms": 0.0, "blocked": 0,
          "window_blocked": 0, "late": 0, "since": None, "on": False}


def _blocked(event) -> None:
    from gevent.events import EventLoopBlocked

    if isinstance(event, EventLoopBlocked):
        _state["blocked"] += 1
        _state["window_blocked"] += 1
        log.warning("the loop was held more than %.0f ms by %r:\n%s", event.blocking_time * 1000,
                    event.greenlet, "\n".join(event.info))


def _probe() -> None:
    import gevent

    while True:
        asked, cpu = time.perf_counter(), time.thread_time()
        gevent.sleep(PROBE_S)
        late = (time.perf_counter() - asked - PROBE_S) * 1000
        # The loop thread's own CPU meanwhile: near `late` when a greenlet computed; far below
        # it when the machine did not run the process (or a C call waited, e.g. on a lock).
        busy = (time.thread_time() - cpu) * 1000
        if late > _state["threshold_ms"]:
            _state["late"] += 1
            log.warning("the loop was held %.0f ms, %.0f ms of it computing (seen by its probe)",
                        late, busy)
        if late > _state["window_ms"]:
            _state["window_ms"] = late
            _state["longest_ms"] = max(_state["longest_ms"], late)
        if busy > _state["window_busy_ms"]:
            _state["window_busy_ms"] = busy
            _state["longest_busy_ms"] = max(_state["longest_busy_ms"], busy)


def start(max_blocking_s: float = MAX_BLOCKING_S) -> None:
    """Turn both on, in a process whose loop is gevent's (after monkey patching)."""
    import warnings

    import gevent
    import gevent.events
    from gevent._monitor import MonitorWarning

    # The monitor would also watch memory if psutil were there: not wanted, not said at each start.
    warnings.filterwarnings("ignore", category=MonitorWarning)
    gevent.config.max_blocking_time = max_blocking_s
    gevent.config.monitor_thread = True
    gevent.events.subscribers.append(_blocked)
    gevent.get_hub().start_periodic_monitoring_thread()
    gevent.spawn(_probe)
    _state.update(on=True, since=time.time(), threshold_ms=max_blocking_s * 1000)


def stats(reset: bool = False) -> dict:
    answer = {"longest_block_ms": round(_state["longest_ms"], 1),
              "window_longest_block_ms": round(_state["window_ms"], 1),
              # The same, counting only the loop thread's CPU: what no machine load explains.
              "longest_busy_ms": round(_state["longest_busy_ms"], 1),
              "window_longest_busy_ms": round(_state["window_busy_ms"], 1),
              "blocks_logged": _state["blocked"], "window_blocks_logged": _state["window_blocked"],
              "late_wakeups": _state["late"],
              "window_since": _state["since"], "max_blocking_ms": _state["threshold_ms"]}
    if reset:
        _state.update(window_ms=0.0, window_busy_ms=0.0, window_blocked=0, since=time.time())
    return answer


def init_app(app) -> None:
    from flask import abort, request

    @app.get("/sante/boucle")
    def loop_health():
        local = request.remote_addr in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers
        if not (_state["on"] and local):
            abort(404)
        return stats(reset=request.args.get("reset") == "1")
