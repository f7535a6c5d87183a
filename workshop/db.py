"""The database engine and the unit of work.

SQLite (the embedded default) is tuned for a live app: WAL so that readers
never wait for the writer, a busy timeout so that concurrent writers queue
instead of failing, and foreign keys enforced. PostgreSQL is used as is when
the URL says so.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_MS = 10_000


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
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
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
