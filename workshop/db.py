"""The database engine and the unit of work.

SQLite (the embedded default) is tuned for a live app: WAL so that readers
never wait for the writer, and foreign keys enforced. PostgreSQL is used as
is when the URL says so.

A write lock held by another program (a backup tool, `sqlite3 db 'BEGIN
EXCLUSIVE;'`) must never freeze the server. SQLite's own busy handler waits
inside the C call, and under gevent that holds the one loop every phone
shares. So its busy timeout is short (BUSY_TIMEOUT_MS, well under the 50 ms
a greenlet may hold the loop) and a statement that still finds the base
locked is retried by `_CooperativeCursor` after `time.sleep`, which gevent
patches into a yield: the other greenlets run while this one waits. It gives
up after `lock_wait()` seconds (LOCK_WAIT_S by default; the vote writer asks
for less, so that a phone hears "not stored" in time) with the same
OperationalError SQLite raises. Retrying one statement is what SQLite's busy
handler does itself: a statement refused with SQLITE_BUSY changed nothing.
"""

import contextvars
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_MS = 20  # SQLite's own wait, in C, holding the loop: keep it short
LOCK_WAIT_S = 10.0  # then cooperative retries for this long, in total, per statement
_RETRY_PAUSES_S = (0.005, 0.01, 0.02, 0.05, 0.1)  # then 0.1 s between tries
_lock_wait: contextvars.ContextVar[float | None] = contextvars.ContextVar("workshop_lock_wait",
                                                                          default=None)


def lock_wait() -> float:
    """Seconds a statement of the current greenlet or thread may wait for a locked base."""
    limit = _lock_wait.get()
    return LOCK_WAIT_S if limit is None else limit


@contextmanager
def lock_wait_limit(seconds: float) -> Iterator[None]:
    """Wait at most `seconds` for a locked base inside this block (this greenlet or thread only)."""
    token = _lock_wait.set(seconds)
    try:
        yield
    finally:
        _lock_wait.reset(token)


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _retrying(call, *args):
    """call(*args), retried after a cooperative sleep while SQLite says the base is locked."""
    deadline = time.monotonic() + lock_wait()
    attempt = 0
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            remaining = deadline - time.monotonic()
            if not _locked(error) or remaining <= 0:
                raise
            pause = _RETRY_PAUSES_S[min(attempt, len(_RETRY_PAUSES_S) - 1)]
            attempt += 1
            time.sleep(min(pause, remaining))  # gevent's sleep in the server: the others run meanwhile


class _CooperativeCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        return _retrying(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        # A retried executemany needs its rows again: keep them in a list.
        rows = list(seq_of_parameters)
        return _retrying(super().executemany, sql, rows)


class CooperativeConnection(sqlite3.Connection):
    """sqlite3's connection whose statements and commits wait for a lock without holding the loop."""

    def cursor(self, factory=_CooperativeCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def commit(self):
        return _retrying(super().commit)


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Durable at each checkpoint; with WAL this keeps committed data on a crash
    # of the process (not of the OS), at a fraction of FULL's cost.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000,
                                "factory": CooperativeConnection}
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; SQLAlchemy would look for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_app(app) -> None:
    app.extensions["workshop.engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["workshop.engine"]


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = Session(engine(), expire_on_commit=False)
    return g.db


def _close_session(_exc) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@contextmanager
def session_scope(bind: Engine | None = None) -> Iterator[Session]:
    """A session outside a request (CLI, background tasks)."""
    with Session(bind or engine(), expire_on_commit=False) as db:
        yield db
