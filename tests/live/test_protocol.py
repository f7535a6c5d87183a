"""The live protocol with real Socket.IO clients against the real server (docs/protocol.md)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio

from tests.live.support import HTML_WAIT, theme_id


def refusal_of(server, auth: dict) -> dict:
    client, refusals = socketio.Client(reconnection=False), []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    return refusals[0]


def test_connections_need_a_token_or_the_screen_secret(live_server):
    assert refusal_of(live_server, {"token": "forged"}) == {
        "message": "Rejoignez d'abord la séance avec son code.",
        "data": {"code": "participant_inconnu"}}
    assert refusal_of(live_server, {"screen": "forged"})["message"] == "Lien d'écran invalide."
    assert refusal_of(live_server, {"facilitator": live_server.seance_id})["data"] == \
        {"code": "non_connecte"}


def test_a_round_from_phone_to_screen(room):
    screen = room.screen()
    orchies, cysoing = room.server.members[1], room.server.members[2]
    alice, bob, chloe = room.phone(orchies), room.phone(orchies), room.phone(cysoing)
    theme = theme_id(room)

    early = alice.call("add_need", {"theme_id": theme, "title": "Trop tôt"})
    assert early == {"ok": False, "code": "phase_add_need",
                     "message": "Les besoins s'ajoutent pendant la phase « Recueil des besoins »."}

    room.phase("recueil")
    added = alice.call("add_need", {"theme_id": theme, "title": "Gestion des conflits"})
    assert added["ok"]
    need = added["need_id"]
    screen.wait_for("Gestion des conflits")

    assert alice.call("declare", {"need_id": need, "year": 2027, "agents": 4})["ok"]
    assert bob.call("declare", {"need_id": need, "year": 2027, "agents": 6})["ok"]  # same town: replaces
    assert chloe.call("declare", {"need_id": need, "year": 2028, "agents": 3})["ok"]
    screen.wait_for("9 agents")
    [state_need] = room.state()["needs"]
    assert state_need["agents_by_year"] == {"2027": 6, "2028": 3}
    assert state_need["collectivites"] == 2

    room.phase("vote")
    ack = alice.call("vote", {"need_id": need, "dots": 3})
    assert ack["ok"] and ack["left"] == 2
    assert 'id="budget"' in ack["html"] and f'id="need-{need}-mine"' in ack["html"]
    assert alice.call("vote", {"need_id": need, "dots": 4})["code"] == "gommettes_max_besoin"
    assert chloe.call("vote", {"need_id": need, "dots": 2})["ok"]
    assert room.state()["needs"][0]["dots"] == 5

    # Tallies hidden until revealed: the screen shows no need's dots (only the participation
    # line's total, "5 gommettes sur 15"), then shows them.
    assert 'class="card-dots"' not in screen.html[-1]
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/reglages", dot_budget=5,
                                 max_dots_per_need=3, weighting="participant",
                                 tallies_visible="true").status_code == 200
    assert "5 gommettes</strong>" in screen.wait_for('class="card-dots"')


def test_each_phone_gets_the_room_in_its_own_language(room):
    room.phase("recueil")
    french, english = room.phone(), room.phone(language="en")
    need = french.call("add_need", {"theme_id": theme_id(room), "title": "Accueil"})["need_id"]
    # The new need's card reaches both phones, each in its language.
    card_fr, card_en = french.wait_for(f'id="need-{need}"'), english.wait_for(f'id="need-{need}"')
    assert "Déclarer" in card_fr and "Déclarer" not in card_en
    room.phase("vote")
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/reglages", dot_budget=5,
                                 max_dots_per_need=3, weighting="participant",
                                 tallies_visible="true").status_code == 200
    ack = english.call("vote", {"need_id": need, "dots": 2})
    assert "Your dots:" in ack["html"] and 'mine-number">2<' in ack["html"]
    assert "gommette" not in ack["html"]
    french_ack = french.call("vote", {"need_id": need, "dots": 2})["html"]
    assert "Vos gommettes :" in french_ack and 'mine-number">2<' in french_ack
    # Refusals too: the same rule, told in each phone's language.
    assert english.call("vote", {"need_id": need, "dots": 4})["message"] == \
        "At most 3 dots on a single need."
    assert french.call("vote", {"need_id": need, "dots": 4})["message"] == \
        "Au plus 3 gommettes sur un même besoin."
    assert english.call("vote", {"need_id": "x", "dots": 1})["code"] == "saisie_invalide"
    assert "entier" not in english.call("vote", {"need_id": "x", "dots": 1})["message"]
    # The tallies pushed to the whole room: 4 dots, in French here, in English there.
    assert "gommette" not in english.wait_for("<strong>Total: 4 dots</strong>")
    assert " dots<" not in french.wait_for("<strong>Total : 4 gommettes</strong>")


def test_bad_payloads_get_french_refusals_and_change_nothing(room):
    room.phase("vote")
    phone = room.phone()
    for payload in (None, "x", [], {"need_id": "abc", "dots": 1}, {"need_id": 1},
                    {"need_id": 1, "dots": -1}, {"need_id": 10**12, "dots": 1}):
        ack = phone.call("vote", payload)
        assert ack["ok"] is False and ack["message"], payload
    assert phone.call("vote", {"need_id": 99999, "dots": 1})["message"] == \
        "Ce besoin n'existe pas dans cette séance."
    assert phone.call("declare", {"need_id": 1, "year": 1990, "agents": 3})["ok"] is False
    assert room.state()["totals"]["dots"] == 0


def test_an_unknown_event_is_refused_at_once(room):
    phone = room.phone()
    for event, payload in (("voter", {"need_id": 1, "dots": 1}), ("x" * 200, None)):
        ack = phone.call(event, payload)
        assert ack == {"ok": False, "code": "evenement_inconnu",
                       "message": "Action inconnue : rien n'a été enregistré."}, event
    assert phone.call("sync", None)["ok"] is True  # the known ones still answer


def test_booleans_are_not_numbers_and_invisible_titles_are_not_titles(room):
    """A JSON `true` where a number is asked, a title of zero-width spaces: refused in French,
    nothing stored (the first placed a dot, the second a need without a visible title)."""
    room.phase("recueil")
    phone = room.phone()
    for title in ("\u200b\u200b", "\ufeff \u2060", "\u00ad"):
        ack = phone.call("add_need", {"theme_id": theme_id(room), "title": title})
        assert ack["ok"] is False and ack["message"] == "Ce champ est obligatoire.", title
    ack = phone.call("add_need", {"theme_id": theme_id(room), "title": "\u200bGestes et postures\u200b"})
    assert ack["ok"] is True
    need = ack["need_id"]
    assert phone.call("declare", {"need_id": need, "year": 2027, "agents": True})["ok"] is False
    room.phase("vote")
    ack = phone.call("vote", {"need_id": need, "dots": True})
    assert ack["ok"] is False and ack["message"] == "Entrez un nombre entier."
    state = room.state()
    assert state["totals"]["dots"] == 0 and [n["agents"] for n in state["needs"]] == [0]
    assert [n["title"] for n in state["needs"]] == ["Gestes et postures"]  # trimmed


def test_concurrent_votes_of_one_participant_never_exceed_the_budget(room):
    room.phase("recueil")
    first = room.phone()
    needs = [first.call("add_need", {"theme_id": theme_id(room), "title": f"Besoin {i}"})["need_id"]
             for i in range(4)]
    room.phase("vote")
    # Three sockets of the same participant (three tabs) race to spend 3 dots on each of 4 needs.
    tabs = [first] + [room.phone(token=first.token) for _ in range(2)]
    calls = [(tab, need) for need in needs for tab in tabs]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        acks = list(pool.map(lambda c: c[0].call("vote", {"need_id": c[1], "dots": 3}), calls))
    accepted = [a for a in acks if a["ok"]]
    assert all(a["code"] == "budget_epuise" for a in acks if not a["ok"])
    state = room.state()
    spent = sum(v["dots"] for v in state["votes"])
    assert spent <= 5
    assert spent == 3 * len({a["need_id"] for a in accepted})  # each accepted need holds 3 dots


def test_fifty_phones_voting_at_once_end_with_exact_totals(room):
    screen = room.screen()
    room.phase("recueil")
    phones = [room.phone(room.server.members[i % 30 + 1]) for i in range(50)]
    needs = [phones[0].call("add_need", {"theme_id": theme_id(room), "title": f"Thème {i}"})["need_id"]
             for i in range(3)]
    room.phase("vote")
    barrier = threading.Barrier(len(phones))

    def vote(index_phone):
        index, phone = index_phone
        barrier.wait()
        acks = [phone.call("vote", {"need_id": needs[(index + k) % 3], "dots": 1 + k})
                for k in range(2)]  # 1 then 2 dots: 3 of 5
        return sum(a["dots"] for a in acks if a["ok"])

    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        acknowledged = sum(pool.map(vote, enumerate(phones)))
    assert acknowledged == 50 * 3
    state = room.state()
    assert state["totals"]["dots"] == 150
    assert sum(n["dots"] for n in state["needs"]) == 150
    per_need = {n["id"]: n["dots"] for n in state["needs"]}
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/reglages", dot_budget=5,
                                 max_dots_per_need=3, weighting="participant",
                                 tallies_visible="true").status_code == 200
    for count in per_need.values():
        screen.wait_for(f"{count} gommettes")


def test_a_phone_that_reconnects_catches_up(room):
    room.phase("recueil")
    phone = room.phone()
    need = phone.call("add_need", {"theme_id": theme_id(room), "title": "Bureautique"})["need_id"]
    room.phase("vote")
    assert phone.call("vote", {"need_id": need, "dots": 2})["ok"]
    phone.close()

    other = room.phone(room.server.members[5])
    assert other.call("vote", {"need_id": need, "dots": 1})["ok"]
    room.phase("resultats")

    back = room.phone(token=phone.token)  # same person, new socket (page reload or network back)
    back.client.disconnect()
    back.client = socketio.Client(reconnection=False)
    back.client.on("html", back.html.append)
    back.client.connect(room.server.url, auth={"token": phone.token}, transports=["websocket"])
    deadline = time.monotonic() + HTML_WAIT
    while not any('id="board"' in h for h in back.html) and time.monotonic() < deadline:
        time.sleep(0.02)
    board = next(h for h in back.html if 'id="board"' in h)
    assert 'data-phase="resultats"' in board
    assert 'mine-number">2<' in board  # their own dots came back with them
    assert "3 gommettes restantes" in board


def test_a_server_restart_loses_nothing_and_clients_reconnect_alone(room):
    room.phase("recueil")
    phone = room.phone()
    need = phone.call("add_need", {"theme_id": theme_id(room), "title": "Habilitation électrique"})
    room.phase("vote")
    assert phone.call("vote", {"need_id": need["need_id"], "dots": 2})["ok"]

    # Clients that reconnect on their own, as static/js/live.js does: "fresh" only the first time.
    connects = []

    def auth():
        connects.append(1)
        return {"token": phone.token, "fresh": len(connects) == 1}

    steady = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
    steady_html: list[str] = []
    steady.on("html", steady_html.append)
    steady.connect(room.server.url, auth=auth, transports=["websocket"])
    screen = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
    screen_html: list[str] = []
    screen.on("html", screen_html.append)
    screen.connect(room.server.url, auth={"screen": room.server.screen_token, "fresh": False},
                   transports=["websocket"])
    try:
        room.server.process.stop()
        room.server.process.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
                steady.connected and any('id="board"' in h for h in steady_html)):
            time.sleep(0.1)
        board = next(h for h in steady_html if 'id="board"' in h)
        assert 'mine-number">2<' in board and "3 gommettes restantes" in board
        assert any("Habilitation électrique" in h for h in screen_html)
        assert steady.call("vote", {"need_id": need["need_id"], "dots": 3}, timeout=10)["ok"]
        assert room.state()["totals"]["dots"] == 3
    finally:
        steady.disconnect()
        screen.disconnect()


def test_an_integration_adds_a_need_by_theme_code_and_declares_a_category(room):
    """Issue 17, item 11: etat.json gives theme codes; add_need takes a code as well as an id."""
    alice = room.phone(room.server.members[1])
    room.phase("recueil")
    added = alice.call("add_need", {"theme": "hs-caces", "title": "Nacelles"})
    assert added["ok"]
    assert alice.call("add_need", {"theme": "pas-un-theme", "title": "X"})["ok"] is False
    assert alice.call("add_need", {"title": "Sans thème"})["ok"] is False
    assert alice.call("declare", {"need_id": added["need_id"], "year": 2027, "agents": 12,
                                  "category": "c"})["ok"]
    assert alice.call("declare", {"need_id": added["need_id"], "year": 2027, "agents": 12,
                                  "category": "D"})["ok"] is False
    state = room.state()
    [need] = [n for n in state["needs"] if n["id"] == added["need_id"]]
    assert need["theme"] == "hs-caces" and need["kind"] == "sante_securite"
    [line] = [ln for ln in state["plan"]["lines"] if ln["need_id"] == added["need_id"]]
    assert line["key"] == f"{added['need_id']}:2027" and line["categories"] == ["C"]
    assert line["cost"] == 12 * 3 * 180  # the catalogue's estimate, per trainee and day


def test_a_need_without_a_theme_is_refused_in_french(room):
    """The phone's theme list starts on "Choisir un thème…" (value ""): issue 15."""
    room.phase("recueil")
    phone = room.phone()
    ack = phone.call("add_need", {"theme_id": "", "title": "Sans thème"})
    assert (ack["ok"], ack["message"]) == (False, "Choisissez un thème.")
    assert room.state()["needs"] == []


def test_a_vote_reaches_other_phones_as_the_need_dots_line_alone(room):
    """Dots moved, nothing else of the need did: the phones get its dots line (a few hundred
    bytes), not the whole need with its years; a declaration still sends the whole need."""
    room.phase("recueil")
    voter, watcher = room.phone(), room.phone(room.server.members[3])
    need = voter.call("add_need", {"theme_id": theme_id(room), "title": "Gestion du stress"})["need_id"]
    room.phase("vote")
    assert room.facilitator.post(f"/seances/{room.server.seance_id}/reglages", dot_budget=5,
                                 max_dots_per_need=3, weighting="participant",
                                 tallies_visible="true").status_code == 200
    watcher.wait_for("<strong>Total : 0 gommette</strong>")  # the reveal: every need, whole
    watcher.html.clear()
    assert voter.call("vote", {"need_id": need, "dots": 3})["ok"]
    pushed = watcher.wait_for("<strong>Total : 3 gommettes</strong>")
    assert f'id="need-{need}-votes" class="need-votes" hx-swap-oob="true"' in pushed
    assert f'id="need-{need}-info"' not in pushed and "year-bar" not in pushed
    assert len(pushed.encode()) < 1000
    # Agents declared change the need's figures: the whole need goes out again.
    room.phase("recueil")
    watcher.html.clear()
    assert voter.call("declare", {"need_id": need, "year": 2027, "agents": 4})["ok"]
    assert "year-bar" in watcher.wait_for(f'id="need-{need}-info"')
