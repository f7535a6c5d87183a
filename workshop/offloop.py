"""A C call that takes the CPU for a long time, run off the serving loop.

Some library calls compute in C for hundreds of milliseconds without a pause
(a password's scrypt hash: about 300 ms at werkzeug's default cost). Under
gevent such a call holds the one loop every phone shares: a facilitator
logging in would freeze the room for that long (found by `bench/load.py`'s
loop watch: "the loop was held 378 ms" in `web/auth.login`). When the call
releases the GIL (hashlib's scrypt and PBKDF2 do, as most C hashing does),
gevent's thread pool runs it on a real thread while the loop serves the
others; the calling greenlet waits for it without holding anything.

Outside gevent (the tests' threads, the command line) the call simply runs.

Python work that keeps the GIL gains nothing on a thread: it gives the loop back between its
parts instead (`give_way`).
"""

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def _gevent_loop() -> bool:
    """Whether this process serves with gevent (its `threading` patched)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("threading")


def off_loop(call: Callable[..., T], *args) -> T:
    """`call(*args)`, on one of gevent's real threads when the loop is gevent's, else here.

    For C calls that release the GIL (hashing); a pure-Python call would gain nothing. What it
    raises is raised here.
    """
    if not _gevent_loop():
        return call(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(call, args)


def give_way() -> None:
    """Let the loop run whatever waits (phones' votes), then come back: between the parts of a
    long piece of Python work done in a request. Nothing outside gevent."""
    if _gevent_loop():
        import gevent

        gevent.sleep(0)


# Pieces of work are joined giving the loop back at least this often (seconds of work): a big
# board (500 needs on the facilitator's page) takes a tenth of a second or more to render, a
# thousand participants' votes tens of ms to encode, and every phone's vote waits behind them.
SLICE_SECONDS = 0.02


def joined_giving_way(pieces: Iterable[str], pause: Callable[[], None] = give_way) -> str:
    """`"".join(pieces)`, calling `pause` each time SLICE_SECONDS went into producing them.

    `pieces` is a lazy producer (Jinja's `Template.generate`, a JSON encoder's `iterencode`):
    the work happens while it is consumed, so pausing between pieces cuts that work into
    slices the loop can interleave with votes. `pause` is `give_way` unless the caller counts
    the time it gave back (the live broadcaster does).
    """
    out: list[str] = []
    mark = time.perf_counter()
    for piece in pieces:
        out.append(piece)
        if time.perf_counter() - mark > SLICE_SECONDS:
            pause()
            mark = time.perf_counter()
    return "".join(out)
