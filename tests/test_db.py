"""The engine: SQLite tuned for a live app, and the same schema on PostgreSQL."""

import os

import pytest
from sqlmodel import Session, select

from tests import factories
from workshop import db as db_module
from workshop import migrate
from workshop.db import make_engine
from workshop.models import Collectivite
from workshop.services import demo, reference

PG_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def test_sqlite_is_in_wal_with_foreign_keys_and_a_short_busy_timeout(app):
    with app.extensions["workshop.engine"].connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # SQLite's own wait holds the loop: short; the cooperative retries do the rest.
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db_module.BUSY_TIMEOUT_MS
        assert isinstance(connection.connection.dbapi_connection, db_module.CooperativeConnection)


def test_a_locked_base_is_waited_for_then_refused_after_the_lock_wait(app, db_url):
    """Another program's write lock: a write waits (cooperatively) and goes once it is released,
    or fails with SQLite's own error after `lock_wait()`."""
    import sqlite3
    import threading
    import time

    engine = app.extensions["workshop.engine"]
    blocker = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with db_module.lock_wait_limit(0.3), engine.connect() as connection:
            started = time.monotonic()
            with pytest.raises(Exception, match="locked"):
                connection.exec_driver_sql("UPDATE facilitator SET name = name")
                connection.commit()
            assert time.monotonic() - started >= 0.25
        threading.Timer(0.3, blocker.execute, ["ROLLBACK"]).start()
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE after_the_lock (x INTEGER)")
            connection.commit()
    finally:
        time.sleep(0.4)
        blocker.close()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM after_the_lock").scalar() == 0


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.connection().exec_driver_sql(
            "INSERT INTO perimetremember (perimetre_id, collectivite_id, added_at) "
            "VALUES (999, 999, '2026-01-01')")


def test_migrations_reach_the_models(tmp_path):
    """The schema from the migrations is the schema of the models (no forgotten revision)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_the_same_code_runs_on_postgresql(postgres_url):
    engine = make_engine(postgres_url)
    assert engine.dialect.name == "postgresql"
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        info = demo.ensure(db)
        assert info.seance_id
        assert db.exec(select(Collectivite).where(Collectivite.code == factories.PEVELE)).one()
        with pytest.raises(Exception, match="append-only"):
            db.connection().exec_driver_sql("DELETE FROM event")
    engine.dispose()
