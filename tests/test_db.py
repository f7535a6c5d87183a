"""The engine: SQLite tuned for a live app, and the same schema on PostgreSQL."""

import os

import pytest
from sqlmodel import Session, select

from tests import factories
from workshop import migrate
from workshop.db import make_engine
from workshop.models import Collectivite
from workshop.services import demo, reference

PG_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def test_sqlite_is_in_wal_with_foreign_keys_and_a_busy_timeout(app):
    with app.extensions["workshop.engine"].connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


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
