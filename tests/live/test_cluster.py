"""Two server processes on PostgreSQL and Redis: a vote on one reaches a screen on the other."""

import os
import re
import time
import uuid

import pytest
import redis
import requests
import socketio
from sqlalchemy import create_engine, text
from sqlmodel import Session

from tests import factories
from tests.conftest import FacilitatorHttp, ServerProcess, free_port, require
from tests.live.support import Screen
from workshop import migrate
from workshop.db import make_engine
from workshop.services import perimetres, reference

PG_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WORKSHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_or_skip():
    try:
        admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as error:  # noqa: BLE001
        if require("postgres"):
            raise
        pytest.skip(reason=f"PostgreSQL not reachable at {PG_URL} ({type(error).__name__}): "
                    "apt-get install postgresql, or set WORKSHOP_TEST_POSTGRES_URL")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        if require("redis"):
            raise
        pytest.skip(reason=f"Redis not reachable at {REDIS_URL} ({type(error).__name__}): "
                    "apt-get install redis-server, or set WORKSHOP_TEST_REDIS_URL")
    return admin


@pytest.fixture
def cluster(tmp_path):
    admin = services_or_skip()
    name = f"workshop_cluster_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.load_territories(db)
        reference.load_themes(db)
        owner = factories.facilitator(db, "cluster@example.fr")
        perimetre = factories.perimetre(db, owner)
        seance = factories.seance(db, owner, perimetre)
        members = [m.id for m in perimetres.members(db, perimetre.id)]
    engine.dispose()
    servers = []
    channel = f"workshop-test-{uuid.uuid4().hex[:8]}"
    for index in range(2):
        server = ServerProcess(free_port(), url, tmp_path / f"server{index}.log")
        server.env.update(WORKSHOP_REDIS_URL=REDIS_URL, WORKSHOP_SOCKETIO_CHANNEL=channel)
        server.start()
        servers.append(server)

    class Cluster:
        pass

    c = Cluster()
    c.servers, c.seance, c.members, c.owner = servers, seance, members, owner
    c.urls = [f"http://127.0.0.1:{s.port}" for s in servers]
    yield c
    for server in servers:
        if server.process.poll() is None:
            server.stop()
        assert "Traceback" not in server.log_path.read_text(), server.log_path.read_text()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def connected(facilitator, url: str, seance_id: int, timeout: float = 10) -> int:
    """The total of the facilitator's "Connectés" column, once it stops moving."""
    deadline, total = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        page = facilitator.http.get(f"{url}/seances/{seance_id}/pilotage").text
        table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        rows = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td></tr>", table)
        total = sum(int(online) for _, online in rows)
        if total == 6:
            return total
        time.sleep(0.2)
    return total


def test_phones_on_one_process_a_screen_on_the_other(cluster):
    first, second = cluster.urls
    facilitator = FacilitatorHttp(second, "cluster@example.fr", factories.PASSWORD)
    seance_id = cluster.seance.id
    assert facilitator.post(f"/seances/{seance_id}/phase", phase="recueil").status_code == 200

    class Server:  # what Screen needs of a live server
        url, screen_token = second, cluster.seance.screen_token

    screen = Screen(Server)
    phones = []
    for index in range(6):
        token = requests.post(
            f"{first}/j/{cluster.seance.join_code}/participants",
            json={"collectivite_id": cluster.members[index + 1], "role": "elu"}).json()["token"]
        phone = socketio.Client(reconnection=False)
        phone.connect(first, auth={"token": token, "fresh": True}, transports=["websocket"])
        phones.append(phone)
    # The facilitator, on the other process, sees who is connected on the first one.
    assert connected(facilitator, second, seance_id) == 6
    themes = facilitator.http.get(f"{second}/seances/{seance_id}/pilotage").text
    theme = int(re.search(r'<option value="(\d+)">', themes.split('id="fac-theme"')[1]).group(1))
    need = phones[0].call("add_need", {"theme_id": theme, "title": "Multi-processus"})["need_id"]
    screen.wait_for("Multi-processus")  # added on the first process, shown by the second
    facilitator.post(f"/seances/{seance_id}/phase", phase="vote")
    facilitator.post(f"/seances/{seance_id}/reglages", dot_budget=5, max_dots_per_need=3,
                     weighting="participant", tallies_visible="true")
    acknowledged = sum(p.call("vote", {"need_id": need, "dots": 2})["dots"] for p in phones)
    assert acknowledged == 12
    screen.wait_for("12 gommettes")

    cluster.servers[0].stop()  # one process goes away: nothing acknowledged is lost
    for phone in phones:
        phone.disconnect()
    assert facilitator.state(seance_id)["totals"]["dots"] == 12
    screen.client.disconnect()


def test_one_participant_on_both_processes_gets_one_flood_budget(cluster):
    """The flood budget is counted in Redis: five sockets on each process, one token, add
    what one socket alone could (a burst of 20, then 10 a second)."""
    import threading

    first, second = cluster.urls
    facilitator = FacilitatorHttp(second, "cluster@example.fr", factories.PASSWORD)
    assert facilitator.post(f"/seances/{cluster.seance.id}/phase", phase="recueil").status_code == 200
    page = facilitator.http.get(f"{second}/seances/{cluster.seance.id}/pilotage").text
    theme = int(re.search(r'<option value="(\d+)">', page.split('id="fac-theme"')[1]).group(1))
    token = requests.post(f"{first}/j/{cluster.seance.join_code}/participants",
                          json={"collectivite_id": cluster.members[1], "role": "elu"}).json()["token"]
    sockets = []
    for index in range(10):
        client = socketio.Client(reconnection=False)
        client.connect(cluster.urls[index % 2], auth={"token": token, "fresh": True},
                       transports=["websocket"])
        sockets.append(client)
    accepted, lock = [], threading.Lock()

    def send(index, client):
        for k in range(8):
            ack = client.call("add_need", {"theme_id": theme, "title": f"Flot {index}-{k}"}, timeout=10)
            with lock:
                accepted.append(bool(ack.get("ok")))

    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate(sockets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    seconds = time.monotonic() - started
    for client in sockets:
        client.disconnect()
    assert sum(accepted) <= 20 + 10 * seconds + 1, (sum(accepted), seconds)
    assert len(facilitator.state(cluster.seance.id)["needs"]) == sum(accepted)
