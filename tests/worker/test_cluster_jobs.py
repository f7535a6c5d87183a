"""The cluster: servers on PostgreSQL and Redis, the worker as its own service (`workshop worker`).

A job asked on one server is made by the worker through Redis, and its file is fetched from
the other server (the jobs folder is shared)."""

import re
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests import factories
from tests.conftest import FacilitatorHttp, ServerProcess, free_port
from tests.live.test_cluster import PG_URL, REDIS_URL, services_or_skip
from workshop import migrate
from workshop.db import make_engine
from workshop.services import reference


@pytest.fixture
def cluster_with_worker(tmp_path):
    admin = services_or_skip()
    name = f"workshop_jobs_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = factories.facilitator(db, "cluster-jobs@example.fr")
        seance = factories.seance(db, owner, factories.perimetre(db, owner))
    engine.dispose()
    env = {"WORKSHOP_REDIS_URL": REDIS_URL, "WORKSHOP_SOCKETIO_CHANNEL": f"workshop-test-{name}",
           "WORKSHOP_WORKER": "external", "WORKSHOP_JOBS_DIR": str(tmp_path / "jobs")}
    servers = []
    for index in range(2):
        server = ServerProcess(free_port(), url, tmp_path / f"server{index}.log")
        server.env.update(env)
        server.start()
        servers.append(server)
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "workshop", "worker", "--workers", "1"],
                                  env={**servers[0].env}, stdout=log, stderr=subprocess.STDOUT)
    yield [f"http://127.0.0.1:{s.port}" for s in servers], owner, seance, servers
    worker.terminate()
    worker.wait(timeout=15)
    for server in servers:
        server.stop()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


def test_a_job_asked_on_one_server_is_made_by_the_worker_and_fetched_on_the_other(cluster_with_worker):
    urls, owner, seance, servers = cluster_with_worker
    first = FacilitatorHttp(urls[0], owner.email, factories.PASSWORD)
    answer = first.post(f"/seances/{seance.id}/travaux", kind="seance_json")
    assert answer.status_code == 200, answer.text
    job = re.search(r'id="job-([\w-]+)"', answer.text).group(1)
    second = FacilitatorHttp(urls[1], owner.email, factories.PASSWORD)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partial = second.http.get(f"{urls[1]}/travaux/{job}", headers={"HX-Request": "true"}).text
        if "Télécharger" in partial:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the worker never made job {job}: {partial}")
    file = second.http.get(f"{urls[1]}/travaux/{job}/fichier")
    assert file.status_code == 200 and file.json()["seance"]["title"] == "Séance test"
    # No server started a worker of its own: the external one made it.
    for server in servers:
        assert not subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True).stdout
