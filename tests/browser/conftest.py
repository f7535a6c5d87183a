"""A real server (the `workshop serve` a user runs) and a real Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from tests import factories
from tests.conftest import require
from workshop.db import make_engine

CHROMIUM = os.environ.get("WORKSHOP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Chromium must not try to reach the internet: the machine has none.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(template_db, tmp_path):
    """The app served by `python -m workshop serve` on a free port, with a fresh database."""
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(template_db, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        facilitator = factories.facilitator(db, "camille@example.fr")
    engine.dispose()

    port = free_port()
    env = {**os.environ, "WORKSHOP_DATABASE_URL": url, "WORKSHOP_SECRET_KEY": "browser-test"}
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "workshop", "serve", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                output = (tmp_path / "server.log").read_text()
                raise RuntimeError("server did not start:\n" + output) from None
            time.sleep(0.1)
    server = type("LiveServer", (), {"url": base, "email": facilitator.email,
                                     "password": factories.PASSWORD, "log": tmp_path / "server.log",
                                     "database_url": url})
    yield server
    process.terminate()
    process.wait(timeout=10)
    log.close()
    text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in text, text


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if require("browser"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI requires the browser tests")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium "
                    "(scripts/test does it) or set WORKSHOP_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
