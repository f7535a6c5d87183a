"""A phone page rendered just before a change, whose socket connects just after it, catches up
(the push went to rooms its socket had not joined yet)."""

import json
import re

import requests

from tests.live.support import Listener


def _page_auth(room, token: str) -> dict:
    page = requests.get(f"{room.server.url}/j/{room.server.join_code}",
                        cookies={f"p_{room.server.seance_id}": token}, timeout=10).text
    return json.loads(re.search(r"data-live='([^']+)'", page).group(1).replace("&#34;", '"'))


def test_a_phase_changed_between_the_page_and_its_socket_reaches_the_phone(room):
    token = room.phone().token
    auth = _page_auth(room, token)
    assert "seen" in auth
    room.phase("recueil")  # after the page was rendered, before its socket connects
    late = Listener(room.server.url, {**auth, "token": token, "fresh": True})
    try:
        assert 'data-phase="recueil"' in late.wait_for('data-phase="recueil"')
    finally:
        late.close()
