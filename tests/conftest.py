"""Shared fixtures: a migrated, seeded SQLite database per test, the app, clients.

The reference data is loaded once into a template database (through the same
migrations and loaders a user runs), then copied for each test.
"""

import os
import shutil

import pytest
from sqlmodel import Session

from tests import factories
from workshop import create_app, migrate
from workshop.db import make_engine
from workshop.services import reference


def require(kind: str) -> bool:
    """In CI (WORKSHOP_REQUIRE=browser,postgres,...) a missing service fails instead of skipping."""
    return kind in os.environ.get("WORKSHOP_REQUIRE", "").split(",")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine) as db:
        reference.load_territories(db)
        reference.load_themes(db)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return str(path)


@pytest.fixture
def db_url(template_db, tmp_path) -> str:
    path = tmp_path / "workshop.sqlite3"
    shutil.copyfile(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
    })
    yield app
    app.extensions["workshop.engine"].dispose()


@pytest.fixture
def db(app):
    with Session(app.extensions["workshop.engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def facilitator(db):
    return factories.facilitator(db)


@pytest.fixture
def logged_in(client, facilitator):
    response = client.post("/connexion", data={"email": facilitator.email,
                                               "password": factories.PASSWORD})
    assert response.status_code == 302
    return client
