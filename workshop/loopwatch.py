"""The loop watches itself: who holds the gevent loop, and for how long.

Two instruments, both on in `workshop serve`:

- a probe greenlet that asks to wake every PROBE_S and notes how late it
  wakes: its worst lateness is the longest block seen, in milliseconds (and,
  counting only the loop thread's CPU meanwhile, the longest busy block: on
  a loaded machine the process may simply not be scheduled). Each wake is a
  heartbeat.
- a watcher on a real thread that looks every MAX_BLOCKING_S / 2 whether the
  heartbeat is older than MAX_BLOCKING_S: then the loop is held, and the
  stack of the loop's thread (what holds it) is logged at WARNING, once per
  block. This is what gevent's own blocking monitor (`monitor_thread`) does,
  without its report of every greenlet in the process: that report walks
  the whole heap (`gc.get_objects`) and formats every greenlet's stack,
  which with a thousand phones connected was 110,000 lines and hundreds of
  milliseconds holding the GIL, so that the monitor itself stalled the loop
  it watched (seen in `bench/load.py`'s server log).

A C call that keeps the GIL (a parser in C) never lets the watcher look: only
the probe sees it, right after (WARNING, without a stack; the request log next
to it says which).

`stats()` gives both; GET /sante/boucle answers them as JSON to a client on
the same machine (the benchmarks), never through a proxy (404 otherwise);
`?reset=1` starts a new window after answering (a benchmark's next phase).
"""

import logging
import time
from collections import deque

log = logging.getLogger(__name__)
MAX_BLOCKING_S = 0.1  # the product's budget is 50 ms a greenlet; log from twice that
PROBE_S = 0.01

_state = {"threshold_ms": MAX_BLOCKING_S * 1000, "longest_ms": 0.0, "window_ms": 0.0,
          "longest_busy_ms": 0.0, "window_busy_ms": 0.0, "blocked": 0,
          "window_blocked": 0, "late": 0, "since": None, "on": False, "beat": None,
          "gc_started": None, "gc_longest_ms": 0.0, "gc_window_ms": 0.0, "gc_slow": 0}
# Messages from other threads (the watcher) and from collections (which run in whatever
# thread allocates), logged by the probe in the loop's own thread: logging's locks are
# gevent's once patched, and are not taken from a foreign thread. (deque.append is atomic.)
_said: deque = deque()
GC_LOG_MS = 50.0  # a garbage collection longer than this is logged (it holds the loop too)
# gc.set_threshold in the server (CPython's defaults: 700, 10, 10): young collections every
# 7,000 net allocations instead of 700, and a full one considered after 100 middle ones
# instead of 10, so 100 times less often (and still only once the long-lived objects grew
# by a quarter, CPython's own rule).
GC_THRESHOLDS = (7000, 10, 100)


def _gc(phase: str, info: dict) -> None:
    """`gc.callbacks`: how long each collection held the process (they run in whatever
    greenlet allocates; a full one walks every object the server holds)."""
    if phase == "start":
        _state["gc_started"] = time.perf_counter()
        return
    started = _state["gc_started"]
    if started is None:
        return
    took = (time.perf_counter() - started) * 1000
    _state["gc_longest_ms"] = max(_state["gc_longest_ms"], took)
    _state["gc_window_ms"] = max(_state["gc_window_ms"], took)
    if took > GC_LOG_MS:
        _state["gc_slow"] += 1
        _said.append(("a garbage collection (generation %s, %s objects freed) held the loop "
                       "%.0f ms", (info.get("generation"), info.get("collected"), took)))


def settle_heap() -> None:
    """Once the app is built and warm: what it holds for good (modules, templates, the app)
    leaves the collector's reach (`gc.freeze`), so that a full collection during a séance
    walks only what the séance made; and collections come less often (GC_THRESHOLDS).

    A full collection of a server with a thousand phones connected held the loop 100-180 ms
    every ten seconds or so while they voted (bench/load.py, the loop watch's "garbage
    collection" lines), up to 250 ms during bench/stall.py, and freed next to nothing
    (8 to 1,200 objects): what a séance allocates is freed by reference counting, cycles are
    rare. Frozen, a full one took 75-125 ms; with the thresholds, they come every few
    minutes instead of every few seconds."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


STACK_FRAMES = 30  # the innermost frames of the loop thread's stack, when it is held


def _watch(loop_thread: int, max_blocking_s: float, sleep) -> None:
    """On a real thread: log the loop thread's stack once per block longer than max_blocking_s."""
    import sys
    import traceback

    reported = None
    while True:
        sleep(max_blocking_s / 2)
        beat = _state["beat"]
        if beat is None or reported == beat:
            continue
        held = time.perf_counter() - beat
        if held <= max_blocking_s:
            continue
        reported = beat
        frame = sys._current_frames().get(loop_thread)
        stack = "".join(traceback.format_stack(frame)[-STACK_FRAMES:]) if frame else "?"
        _state["blocked"] += 1
        _state["window_blocked"] += 1
        # One greenlet computing, or many in a row: either way nobody else was served; the
        # stack says what the loop's thread is doing now.
        _said.append(("the loop was held more than %.0f ms (%.0f ms so far); its thread is in:\n%s",
                      (max_blocking_s * 1000, held * 1000, stack)))


def _probe() -> None:
    import gevent

    while True:
        asked, cpu = time.perf_counter(), time.thread_time()
        _state["beat"] = asked
        gevent.sleep(PROBE_S)
        while _said:  # what the watcher thread and the collector saw, logged from the loop
            message, args = _said.popleft()
            log.warning(message, *args)
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
    import gevent
    from gevent import monkey

    start_thread = monkey.get_original("_thread", "start_new_thread")
    real_sleep = monkey.get_original("time", "sleep")
    loop_thread = monkey.get_original("_thread", "get_ident")()
    _state.update(on=True, since=time.time(), threshold_ms=max_blocking_s * 1000,
                  beat=time.perf_counter())
    gevent.spawn(_probe)
    start_thread(_watch, (loop_thread, max_blocking_s, real_sleep))
    import gc

    if _gc not in gc.callbacks:
        gc.callbacks.append(_gc)
        import atexit

        # Not while the interpreter finalizes: logging then needs greenlets being torn down.
        atexit.register(gc.callbacks.remove, _gc)


def stats(reset: bool = False) -> dict:
    answer = {"longest_block_ms": round(_state["longest_ms"], 1),
              "window_longest_block_ms": round(_state["window_ms"], 1),
              # The same, counting only the loop thread's CPU: what no machine load explains.
              "longest_busy_ms": round(_state["longest_busy_ms"], 1),
              "window_longest_busy_ms": round(_state["window_busy_ms"], 1),
              "blocks_logged": _state["blocked"], "window_blocks_logged": _state["window_blocked"],
              "late_wakeups": _state["late"],
              "window_since": _state["since"], "max_blocking_ms": _state["threshold_ms"],
              # The longest garbage collection (it holds the loop as any computation does).
              "longest_gc_ms": round(_state["gc_longest_ms"], 1),
              "window_longest_gc_ms": round(_state["gc_window_ms"], 1),
              "slow_gcs_logged": _state["gc_slow"]}
    if reset:
        _state.update(window_ms=0.0, window_busy_ms=0.0, window_blocked=0, since=time.time(),
                      gc_window_ms=0.0)
    return answer


def init_app(app) -> None:
    from flask import abort, request

    @app.get("/sante/boucle")
    def loop_health():
        local = request.remote_addr in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers
        if not (_state["on"] and local):
            abort(404)
        return stats(reset=request.args.get("reset") == "1")
