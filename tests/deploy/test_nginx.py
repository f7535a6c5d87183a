"""deploy/nginx/workshop.conf, as documented, in a real nginx (Debian's) with TLS in front of the
real server: a phone from https://atelier.example.fr joins and votes over WebSocket through it.

The file is used as it is; only what a machine must choose is replaced (ports, certificate
and static paths), each replacement checked, so a change of the file's shape fails here.
A self-signed certificate (openssl) stands for Let's Encrypt's. The same file without its
X-Forwarded-Proto line is run too: the handshake then gets the 400 that issue 14 reported.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import socketio
import urllib3
from sqlmodel import Session

from tests import factories
from tests.conftest import ServerProcess, free_port, require
from workshop.db import make_engine
from workshop.services import perimetres

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "workshop.conf"
PUBLIC = "atelier.example.fr"
ORIGIN = f"https://{PUBLIC}"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def nginx_or_skip():
    if not (os.path.exists(NGINX) and shutil.which("openssl")):
        if require("nginx"):
            raise AssertionError("nginx or openssl missing: scripts/setup --browser installs them")
        pytest.skip(reason="nginx not installed (apt-get install nginx-light openssl)")


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/workshop.conf no longer has {old!r}: update this test"
    return text.replace(old, new)


def site(tmp: Path, app_port: int, https_port: int, http_port: int, forwarded_proto: bool) -> str:
    text = CONF.read_text()
    text = replace(text, "    server 127.0.0.1:5001;\n    server 127.0.0.1:5002;\n",
                   f"    server 127.0.0.1:{app_port};\n")
    text = replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = replace(text, "/etc/letsencrypt/live/atelier.example.fr/fullchain.pem", str(tmp / "cert.pem"))
    text = replace(text, "/etc/letsencrypt/live/atelier.example.fr/privkey.pem", str(tmp / "key.pem"))
    text = replace(text, "/srv/workshop/static/", f"{ROOT / 'static'}/")
    if not forwarded_proto:  # the sample as issue 14 found it
        socket_block = text.split("location /socket.io/", 1)[1].split("}", 1)[0]
        text = text.replace(socket_block, replace(socket_block,
                                                  "proxy_set_header X-Forwarded-Proto $scheme;\n", ""))
    return text


class Nginx:
    def __init__(self, tmp: Path, app_port: int, forwarded_proto: bool = True):
        self.dir = tmp / ("nginx" if forwarded_proto else "nginx-old")
        self.dir.mkdir()
        self.port = free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read tmp_path
        temp = "\n".join(f"    {name}_temp_path {self.dir / name};" for name in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'error.log'} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    access_log {self.dir / 'access.log'};\n"
            f"{temp}\n{site(tmp, app_port, self.port, free_port(), forwarded_proto)}\n}}\n")
        self.process = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + self.process.stderr.read().decode()
                                       + (self.dir / "error.log").read_text()) from None
                time.sleep(0.05)
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def behind_nginx(template_db, tmp_path):
    nginx_or_skip()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={PUBLIC}", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(template_db, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        owner = factories.facilitator(db, "camille@example.fr")
        perimetre = factories.perimetre(db, owner)
        seance = factories.seance(db, owner, perimetre)
        members = [m.id for m in perimetres.members(db, perimetre.id)]
    engine.dispose()
    app = ServerProcess(free_port(), url, tmp_path / "server.log")
    # As docs/deploy.md says: the public URL, secure cookies, one proxy in front.
    app.env.update(WORKSHOP_PUBLIC_URL=ORIGIN, WORKSHOP_COOKIE_SECURE="1", WORKSHOP_PROXIES="1")
    app.start()
    proxies = [Nginx(tmp_path, app.port), Nginx(tmp_path, app.port, forwarded_proto=False)]
    yield proxies, seance, members, owner
    for proxy in proxies:
        proxy.stop()
    app.stop()
    assert "Traceback" not in app.log_path.read_text()


def https() -> requests.Session:
    """A browser on https://atelier.example.fr (the name reaches nginx in the Host header)."""
    http = requests.Session()
    http.verify = False
    http.trust_env = False  # a CA bundle from the environment would win over verify=False
    http.headers.update({"Host": PUBLIC})
    return http


def phone_socket(url: str, token: str) -> socketio.Client:
    client = socketio.Client(reconnection=False, ssl_verify=False,
                             websocket_extra_options={"host": PUBLIC, "origin": ORIGIN})
    client.connect(url, auth={"token": token, "fresh": True}, transports=["websocket"],
                   wait_timeout=10)
    return client


def facilitator(url: str, owner, seance_id: int, phase: str) -> None:
    import re

    http = https()
    page = http.get(f"{url}/connexion").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = http.post(f"{url}/connexion", allow_redirects=False, headers={"Referer": f"{ORIGIN}/"},
                         data={"email": owner.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', http.get(f"{url}/seances/").text).group(1)
    response = http.post(f"{url}/seances/{seance_id}/phase", data={"phase": phase},
                         headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": f"{ORIGIN}/"})
    assert response.status_code == 200, response.text


@pytest.mark.timeout(120)
def test_a_phone_joins_and_votes_over_websocket_through_the_documented_nginx(behind_nginx):
    (proxy, old_proxy), seance, members, owner = behind_nginx
    http = https()
    # The documented sample of issue 14 (no X-Forwarded-Proto for /socket.io/): refused.
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert http.get(old_proxy.url + handshake, headers={"Origin": ORIGIN}).status_code == 400
    # The file as it is now: the https page's handshake is accepted, a foreign one is not.
    assert http.get(proxy.url + handshake, headers={"Origin": ORIGIN}).status_code == 200
    assert http.get(proxy.url + handshake, headers={"Origin": "https://evil.example"}).status_code == 400

    joined = http.post(f"{proxy.url}/j/{seance.join_code}/participants",
                       json={"collectivite_id": members[1], "role": "elu"})
    assert joined.status_code == 200, joined.text
    token = joined.json()["token"]
    facilitator(proxy.url, owner, seance.id, "recueil")
    phone = phone_socket(proxy.url, token)
    assert phone.transport() == "websocket"
    added = phone.call("add_need", {"theme_id": 1, "title": "Accueil derrière nginx"}, timeout=10)
    assert added["ok"], added
    facilitator(proxy.url, owner, seance.id, "vote")
    vote = phone.call("vote", {"need_id": added["need_id"], "dots": 2}, timeout=10)
    assert vote["ok"] and vote["dots"] == 2, vote
    phone.disconnect()
    # The phone's socket went through nginx as a WebSocket upgrade (101), not by polling.
    log = (proxy.dir / "access.log").read_text()
    assert '"GET /socket.io/?' in log and "transport=websocket" in log and '" 101 ' in log
