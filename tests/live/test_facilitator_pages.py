"""Every facilitator page of a séance follows phase, timer and settings (issue 14, item 6):
a real Socket.IO client with the facilitator's login cookie."""

from tests.live.support import Listener


def facilitator_socket(room, fresh=True):
    cookie = "; ".join(f"{c.name}={c.value}" for c in room.facilitator.http.cookies)
    auth = {"facilitator": room.server.seance_id, **({"fresh": True} if fresh else {})}
    return Listener(room.server.url, auth, {"Cookie": cookie})


def test_a_facilitator_page_hears_phase_timer_and_settings(room):
    page = facilitator_socket(room)
    try:
        room.phase("vote")
        assert 'id="controls"' in page.wait_for("Phase 4 sur 6")
        sid = room.server.seance_id
        assert room.facilitator.post(f"/seances/{sid}/reglages", dot_budget="10",
                                     max_dots_per_need="4").status_code == 200
        assert 'id="dot_budget" name="dot_budget" type="number" min="1" max="50" value="10"' in \
            page.wait_for('value="10"')
        assert room.facilitator.post(f"/seances/{sid}/minuteur", minutes="3").status_code == 200
        page.wait_for("data-countdown")
    finally:
        page.close()


def test_a_reconnecting_facilitator_page_gets_the_controls_again(room):
    room.phase("recueil")
    page = facilitator_socket(room, fresh=False)  # a reconnection: the server resends all
    try:
        html = page.wait_for('id="controls"')
        assert 'id="fac-board"' in html and "Recueil des besoins" in html
    finally:
        page.close()
