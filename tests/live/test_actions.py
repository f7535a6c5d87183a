"""A phone action sent twice with the same id takes effect once (issue 14, item 5).

Real Socket.IO clients against the real server: a double tap on one socket, and a
resend after a reconnection (a new socket with the same token).
"""

from concurrent.futures import ThreadPoolExecutor

from tests.live.support import Phone, theme_id


def test_add_need_twice_with_one_action_id_adds_one_need(room):
    phone = room.phone()
    room.phase("recueil")
    payload = {"theme_id": theme_id(room), "title": "Accueil des usagers", "action_id": "a1b2c3"}
    first = phone.call("add_need", payload)
    again = phone.call("add_need", payload)
    assert first["ok"] and again == first
    # A resend after a reconnection: another socket, the same participant and id.
    phone.close()
    resent = Phone(room.server, room.server.members[1], phone.token)
    try:
        assert resent.call("add_need", payload) == first
    finally:
        resent.close()
    assert [n["title"] for n in room.state()["needs"]] == ["Accueil des usagers"]
    # A new id is a new action; another participant's same id is theirs.
    again = room.phone(token=phone.token)
    assert again.call("add_need", payload | {"action_id": "a1b2c4"})["need_id"] != first["need_id"]
    other = room.phone(room.server.members[2])
    assert other.call("add_need", payload)["need_id"] != first["need_id"]
    assert len(room.state()["needs"]) == 3


def test_racing_copies_on_two_sockets_add_one_need(room):
    """Two sockets of one participant send the same action at once: one need, one answer."""
    room.phase("recueil")
    first = room.phone()
    second = Phone(room.server, room.server.members[1], first.token)
    payload = {"theme_id": theme_id(room), "title": "Gestion des conflits", "action_id": "race-1"}
    try:
        with ThreadPoolExecutor(2) as pool:
            acks = list(pool.map(lambda p: p.call("add_need", payload), [first, second]))
    finally:
        second.close()
    assert acks[0]["ok"] and acks[0] == acks[1]
    assert len(room.state()["needs"]) == 1


def test_declare_resent_does_not_undo_a_colleague(room):
    room.phase("recueil")
    alice, bob = room.phone(), room.phone()  # the same collectivité
    need = alice.call("add_need", {"theme_id": theme_id(room), "title": "CACES"})["need_id"]
    declared = {"need_id": need, "year": 2027, "agents": 4, "action_id": "d-1"}
    first = alice.call("declare", declared)
    assert first["ok"]
    assert bob.call("declare", {"need_id": need, "year": 2027, "agents": 6})["ok"]
    assert alice.call("declare", declared) == first  # Alice's late resend: already applied
    assert room.state()["needs"][0]["agents_by_year"] == {"2027": 6}


def test_a_vote_resent_takes_effect_once(room):
    room.phase("recueil")
    phone = room.phone()
    need = phone.call("add_need", {"theme_id": theme_id(room), "title": "Archives"})["need_id"]
    room.phase("vote")
    first = phone.call("vote", {"need_id": need, "dots": 1, "action_id": "v-1"})
    assert first["ok"]
    assert phone.call("vote", {"need_id": need, "dots": 2, "action_id": "v-2"})["ok"]
    resent = phone.call("vote", {"need_id": need, "dots": 1, "action_id": "v-1"})
    assert resent == first  # the same answer, and the later vote stands
    [state_need] = room.state()["needs"]
    assert state_need["dots"] == 2


def test_a_bad_action_id_is_refused_in_french(room):
    room.phase("recueil")
    phone = room.phone()
    for bad in ("", "x" * 65, "é", "a b", 12, ["a"]):
        ack = phone.call("add_need", {"theme_id": theme_id(room), "title": "T", "action_id": bad})
        assert ack["ok"] is False and ack["code"] == "saisie_invalide", (bad, ack)
    assert room.state()["needs"] == []
