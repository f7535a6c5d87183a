"""The screen's participation line follows the votes live (issue 15): the numbers come from the
board snapshot the broadcaster already takes for the screen, pushed by the dispatcher."""

import re
import time

from tests.live.support import HTML_WAIT, theme_id


def said(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_the_screen_counts_who_voted_as_the_votes_arrive(room):
    screen = room.screen()
    room.phase("recueil")
    phones = [room.phone(room.server.members[i + 1]) for i in range(3)]
    needs = [phones[0].call("add_need", {"theme_id": theme_id(room), "title": f"Thème {i}"})["need_id"]
             for i in range(2)]
    room.phase("vote")
    screen.wait_for("0 participant sur 3 a voté")
    assert phones[0].call("vote", {"need_id": needs[0], "dots": 2})["ok"]
    assert "1 participant sur 3 a voté · 2 gommettes sur 15" in said(
        screen.wait_for("1 participant sur 3 a voté"))
    assert phones[1].call("vote", {"need_id": needs[1], "dots": 3})["ok"]
    assert phones[0].call("vote", {"need_id": needs[1], "dots": 1})["ok"]
    html = screen.wait_for("6 gommettes sur 15")
    assert "2 participants sur 3 ont voté · 6 gommettes sur 15" in said(html)
    # Taking one's dots back: no longer a voter.
    assert phones[1].call("vote", {"need_id": needs[1], "dots": 0})["ok"]
    assert "1 participant sur 3 a voté · 3 gommettes sur 15" in said(
        screen.wait_for("3 gommettes sur 15"))


def test_a_timer_reaches_the_screen_with_its_start_and_end(room):
    screen = room.screen()
    room.phase("recueil")
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/minuteur",
                                 minutes="3").status_code == 200
    html = screen.wait_for('id="screen-timer"')
    started, ends = re.search(r'data-started="([^"]+)" data-ends="([^"]+)"', html).groups()
    assert started < ends and 'data-countdown="' + ends in html
    # Stopped: the next header push carries an empty countdown (counted from before the
    # request: the push may arrive before its answer, and a board push after it).
    pushed = len(screen.html)
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/minuteur",
                                 minutes="0").status_code == 200
    deadline = time.monotonic() + HTML_WAIT
    while not any('id="screen-timer"' in h and "data-timer-ring" not in h for h in screen.html[pushed:]):
        assert time.monotonic() < deadline, screen.html[-1:]
        time.sleep(0.02)
