"""Dots that no longer fit go back, and the participant is told on every phone (issue 14,
items 1-3), with real Socket.IO clients against the real server."""

import re

from tests.live.support import theme_id


def left_of(html: str) -> int:
    return int(re.search(r'id="budget" class="budget" data-left="(\d+)"', html).group(1))


def test_the_issue_case_hide_vote_show_then_merge_and_unmerge(room):
    seance = room.server.seance_id
    screen = room.screen()
    room.phase("recueil")
    phone = room.phone()
    other_tab = room.phone(token=phone.token)  # the same participant on a second device
    theme = theme_id(room)
    a, b, c = (phone.call("add_need", {"theme_id": theme, "title": t})["need_id"]
               for t in ("Accueil", "Paie", "CACES"))
    room.phase("vote")
    assert phone.call("vote", {"need_id": a, "dots": 3})["ok"]
    assert phone.call("vote", {"need_id": b, "dots": 2})["left"] == 0

    assert room.facilitator.post(f"/seances/{seance}/besoins/{a}/masquer").status_code == 200
    assert phone.call("vote", {"need_id": c, "dots": 3})["left"] == 0  # A's dots were freed
    assert room.facilitator.post(f"/seances/{seance}/besoins/{a}/afficher").status_code == 200

    # Both phones are told, with the budget the server now counts.
    for device in (phone, other_tab):
        told = device.wait_for("Le besoin « Accueil » est revenu au tableau. 3 gommettes que "
                               "vous y aviez n'y sont pas remises : elles ne tiennent plus dans "
                               "votre budget de 5 gommettes, au plus 3 par besoin.")
        assert "rendue" not in told  # the budget line says all are placed: none was given back
        assert left_of(told) == 0
        assert f'id="need-{a}-mine" class="mine" data-count="0"' in told
    state = room.state()
    mine = {v["need_id"]: v["dots"] for v in state["votes"] if v["need_id"] in (a, b, c)}
    assert mine == {b: 2, c: 3}
    assert {n["id"]: n["dots"] for n in state["needs"]} == {a: 0, b: 2, c: 3}
    assert phone.call("vote", {"need_id": a, "dots": 1})["code"] == "budget_epuise"

    # Merge: 2 (Paie) + 3 (CACES) on CACES, capped at 3; 2 go back, and the phone says so.
    response = room.facilitator.post(f"/seances/{seance}/regrouper", target_id=c, source_id=b)
    assert response.status_code == 200
    told = phone.wait_for("2 gommettes vous sont rendues : « Paie » a été regroupé avec "
                          "« CACES » (au plus 3 par besoin).")
    assert left_of(told) == 2
    phone.wait_for(f'<div id="need-{b}" hx-swap-oob="delete">')
    assert {n["id"]: n["dots"] for n in room.state()["needs"]} == {a: 0, c: 3}

    # Un-merge: Paie comes back with its 2 dots, CACES with its 3: the phones and screen follow.
    before = len(phone.html)
    response = room.facilitator.post(f"/seances/{seance}/besoins/{b}/separer")
    assert response.status_code == 200 and "Regroupement défait" in response.text
    card = phone.wait_for(f'<article id="need-{b}"')
    assert "Paie" in card
    restored = phone.wait_for(f'id="need-{b}-mine" class="mine" data-count="2"')
    assert phone.html.index(restored) >= before
    assert left_of(restored) == 0  # the duplicate's 2 dots count again: the budget says so
    screen.wait_for("Paie")
    state = room.state()
    assert {n["id"]: n["dots"] for n in state["needs"]} == {a: 0, b: 2, c: 3}
    assert state["merged"] == []


def test_a_lower_budget_is_told_on_the_phone(room):
    seance = room.server.seance_id
    room.phase("recueil")
    phone = room.phone()
    theme = theme_id(room)
    a, b = (phone.call("add_need", {"theme_id": theme, "title": t})["need_id"]
            for t in ("Accueil", "Paie"))
    room.phase("vote")
    english = room.phone(token=phone.token, language="en")  # the same participant, in English
    phone.call("vote", {"need_id": a, "dots": 3})
    phone.call("vote", {"need_id": b, "dots": 2})
    assert room.facilitator.post(f"/seances/{seance}/reglages", dot_budget=4, max_dots_per_need=3,
                                 weighting="participant",
                                 tallies_visible="false").status_code == 200
    told = phone.wait_for("1 gommette est retirée de vos besoins : le budget est maintenant de "
                          "4 gommettes, au plus 3 par besoin.")
    assert left_of(told) == 0
    assert f'id="need-{b}-mine" class="mine" data-count="1"' in told
    english.wait_for("1 dot is taken off your needs: the budget is now 4 dots, at most 3 per need.")
    assert sum(v["dots"] for v in room.state()["votes"]) == 4


def test_a_separated_need_gets_back_what_fits_and_the_notice_says_so(room):
    """Issue 14 item 2, tester's case: after an un-merge a dot is put back on the separated
    need (it uses budget) and one does not fit: the notice says that, not "given back", in
    French and English, with the budget line that goes with it."""
    seance = room.server.seance_id
    room.phase("recueil")
    phone = room.phone()
    theme = theme_id(room)
    a, b, c = (phone.call("add_need", {"theme_id": theme, "title": t})["need_id"]
               for t in ("Paie", "Paye", "CACES"))
    room.phase("vote")
    english = room.phone(token=phone.token, language="en")
    phone.call("vote", {"need_id": a, "dots": 3})
    assert phone.call("vote", {"need_id": b, "dots": 2})["left"] == 0
    assert room.facilitator.post(f"/seances/{seance}/regrouper", target_id=a,
                                 source_id=b).status_code == 200
    told = phone.wait_for("2 gommettes vous sont rendues : « Paye » a été regroupé avec « Paie »")
    assert left_of(told) == 2  # given back to the budget: the budget line says 2 to place
    assert phone.call("vote", {"need_id": c, "dots": 1})["left"] == 1

    assert room.facilitator.post(f"/seances/{seance}/besoins/{b}/separer").status_code == 200
    told = phone.wait_for("Le besoin « Paye » est revenu au tableau, séparé de « Paie », avec 1 "
                          "de vos gommettes. 1 gommette que vous y aviez n'y est pas remise : elle "
                          "ne tient plus dans votre budget de 5 gommettes, au plus 3 par besoin.")
    assert left_of(told) == 0 and "Toutes vos gommettes sont posées (5)" in told
    assert "rendue" not in told
    assert f'id="need-{b}-mine" class="mine" data-count="1"' in told
    told = english.wait_for('The need "Paye" is back on the board, separated from "Paie", with 1 '
                            'of your dots. 1 dot you had on it is not put back: it no longer fits '
                            'in your budget of 5 dots, at most 3 per need.')
    assert "All your dots are placed (5)" in told and "given back" not in told
    state = room.state()
    assert {n["id"]: n["dots"] for n in state["needs"]} == {a: 3, b: 1, c: 1}
