"""Shared fixtures: a migrated, seeded SQLite database per test, the app, clients.

The reference data is loaded once into a template database (through the same
migrations and loaders a user runs), then copied for each test.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlmodel import Session

from tests import factories
from workshop import create_app, migrate
from workshop.db import make_engine
from workshop.services import perimetres, reference


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
        "RATELIMIT_ENABLED": False,
        # Jobs run inside the request (huey's immediate mode); the real worker: tests/worker/.
        "JOBS_IMMEDIATE": True,
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FacilitatorHttp:
    """A logged-in facilitator speaking HTTP as their browser does (CSRF token included)."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base, self.http = base, requests.Session()
        page = self.http.get(base + "/connexion").text
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.http.post(base + "/connexion", allow_redirects=False,
                                  data={"email": email, "password": password, "csrf_token": self.csrf})
        assert response.status_code == 302, response.text
        # Logging in starts a new session: the pages carry the new CSRF token.
        page = self.http.get(base + "/seances/").text
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def post(self, path: str, **data) -> requests.Response:
        return self.http.post(self.base + path, data=data,
                              headers={"X-CSRFToken": self.csrf, "HX-Request": "true"})

    def state(self, seance_id: int) -> dict:
        return self.http.get(f"{self.base}/seances/{seance_id}/etat.json").json()


class ServerProcess:
    """`python -m workshop serve` as a user runs it, on a fixed port, with its log."""

    def __init__(self, port: int, database_url: str, log_path: Path) -> None:
        self.port, self.log_path = port, log_path
        self.env = {**os.environ, "WORKSHOP_DATABASE_URL": database_url,
                    "WORKSHOP_SECRET_KEY": "live-test"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115 - the child keeps its own copy
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workshop", "serve", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the server did not stop within 10 s of SIGTERM") from None

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to clean up."""
        self.process.kill()
        self.process.wait()


@dataclass
class LiveServer:
    url: str
    email: str
    password: str
    log: Path
    database_url: str
    seance_id: int
    join_code: str
    screen_token: str
    members: list[int]  # collectivité ids of the séance's perimeter
    process: ServerProcess

    def facilitator(self) -> FacilitatorHttp:
        return FacilitatorHttp(self.url, self.email, self.password)

    def join(self, collectivite_id: int, role: str = "elu") -> str:
        """A participant joins through the JSON door; returns their token."""
        response = requests.post(f"{self.url}/j/{self.join_code}/participants",
                                 json={"collectivite_id": collectivite_id, "role": role})
        assert response.status_code == 200, response.text
        return response.json()["token"]


@pytest.fixture
def live_server(template_db, tmp_path):
    """The real server on a free port, a fresh database, a perimeter and a séance."""
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(template_db, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        facilitator = factories.facilitator(db, "camille@example.fr")
        perimetre = factories.perimetre(db, facilitator)
        seance = factories.seance(db, facilitator, perimetre)
        members = [m.id for m in perimetres.members(db, perimetre.id)]
    engine.dispose()

    port = free_port()
    server = ServerProcess(port, url, tmp_path / "server.log")
    server.start()
    yield LiveServer(f"http://127.0.0.1:{port}", facilitator.email, factories.PASSWORD,
                     server.log_path, url, seance.id, seance.join_code, seance.screen_token,
                     members, server)
    server.stop()
    text = server.log_path.read_text()
    assert "Traceback" not in text, text


PG_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


@contextmanager
def postgres_database(prefix: str = "workshop_test"):
    """A fresh PostgreSQL database (its URL), dropped afterwards; skipped when there is no server
    (fails in CI, where WORKSHOP_REQUIRE names postgres)."""
    admin_url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as error:  # noqa: BLE001 - any connection failure means no server
        if require("postgres"):
            raise
        pytest.skip(reason=f"PostgreSQL not reachable at {PG_URL} ({type(error).__name__}); "
                    "install it (apt-get install postgresql) or set WORKSHOP_TEST_POSTGRES_URL")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    with postgres_database() as url:
        yield url
