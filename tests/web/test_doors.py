"""The doors of issue 14 over HTTP: guesses, addresses behind a proxy, sessions, uploads,
hand-added collectivités and shares. Each test goes through the door a person or a script uses."""

import io
import json
import re

import pytest
from sqlmodel import Session

from tests import factories
from workshop import create_app
from workshop.schemas import FORM_MAX, PLAN_FILE_MAX, SEANCE_FILE_MAX
from workshop.services import perimetres
from workshop.services import seances as seance_service

MB = 1024 * 1024


def make_app(db_url, **config):
    """An app with its limits on (the limiter is one per process: no other app at a time)."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "k",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": "memory://", **config})
    return app


@pytest.fixture
def world(db_url):
    app = make_app(db_url, PROXIES=1)
    with Session(app.extensions["workshop.engine"], expire_on_commit=False) as db:
        owner = factories.facilitator(db)
        seance = factories.seance(db, owner, factories.perimetre(db, owner))
        member = factories.collectivite_id(db, seance, "Orchies")
    yield app, db_url, owner, seance, member
    app.extensions["workshop.engine"].dispose()


def at(address: str) -> dict:
    return {"X-Forwarded-For": address}


# --- 10. Every door that tells whether a code exists shares one guess budget ---------------


def test_every_join_code_door_is_throttled_together(world):
    app, _url, _owner, seance, _member = world
    client = app.test_client()
    wrong = [f"ZZZ{i:03d}" for i in range(40)]
    doors = [lambda c: client.get(f"/j/{c}/collectivites?q=orc", headers=at("10.0.0.7")),
             lambda c: client.post(f"/j/{c}", data={"collectivite_id": "1", "role": "elu"},
                                   headers=at("10.0.0.7")),
             lambda c: client.post(f"/j/{c}/participants", json={"collectivite_id": 1, "role": "elu"},
                                   headers=at("10.0.0.7")),
             lambda c: client.post("/j/", data={"code": c}, headers=at("10.0.0.7")),
             lambda c: client.get(f"/j/{c}", headers=at("10.0.0.7"))]
    statuses = [doors[i % len(doors)](code).status_code for i, code in enumerate(wrong)]
    assert statuses[:30].count(429) == 0 and set(statuses[30:]) == {429}, statuses
    # Every door now answers 429 to this address, for a right code it never used as well.
    assert client.get(f"/j/{seance.join_code}/collectivites?q=orc",
                      headers=at("10.0.0.7")).status_code == 429
    assert client.post(f"/j/{seance.join_code}", data={}, headers=at("10.0.0.7")).status_code == 429


def test_a_closed_seance_code_lists_no_member(world, db_url):
    app, _url, owner, seance, _member = world
    client = app.test_client()
    assert "Orchies" in client.get(f"/j/{seance.join_code}/collectivites?q=orchies").get_data(True)
    with Session(app.extensions["workshop.engine"]) as db:
        seance_service.set_closed(db, db.get(type(seance), seance.id), True, owner.id)
    assert "Orchies" not in client.get(f"/j/{seance.join_code}/collectivites?q=orchies").get_data(True)


# --- 11. Behind a proxy: one address per client; limits per account; the room's code gets in --


def test_the_forwarded_address_is_trusted_from_the_configured_proxies_only(world, db_url):
    app, *_ = world
    client = app.test_client()
    for i in range(30):
        assert client.get(f"/j/ZZZ{i:03d}", headers=at("10.0.0.1")).status_code == 404
    assert client.get("/j/ZZZ999", headers=at("10.0.0.1")).status_code == 429
    assert client.get("/j/ZZZ999", headers=at("10.0.0.2")).status_code == 404  # someone else
    app.extensions["workshop.engine"].dispose()

    direct = make_app(db_url)  # WORKSHOP_PROXIES=0: a forged header changes nothing
    client = direct.test_client()
    for i in range(30):
        assert client.get(f"/j/ZZZ{i:03d}", headers=at(f"10.0.1.{i}")).status_code == 404
    assert client.get("/j/ZZZ999", headers=at("10.0.9.9")).status_code == 429
    direct.extensions["workshop.engine"].dispose()


def test_wrong_passwords_for_one_account_do_not_block_another(world):
    app, _url, owner, *_ = world
    with Session(app.extensions["workshop.engine"], expire_on_commit=False) as db:
        colleague = factories.facilitator(db, "collegue@example.fr")
    client = app.test_client()
    for _ in range(10):
        assert client.post("/connexion", data={"email": owner.email, "password": "faux"},
                           headers=at("10.0.0.3")).status_code == 401
    blocked = client.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD},
                          headers=at("10.0.0.3"))
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.get_data(True)
    other = app.test_client().post("/connexion", headers=at("10.0.0.3"), data={
        "email": colleague.email, "password": factories.PASSWORD})
    assert other.status_code == 302


def test_the_room_code_gets_in_while_someone_in_the_room_guesses(world):
    """One venue NAT: phones join, someone types 40 wrong codes, later phones still join."""
    app, _url, _owner, seance, member = world
    client = app.test_client()
    venue = at("192.0.2.50")
    assert client.post(f"/j/{seance.join_code}/participants", headers=venue,
                       json={"collectivite_id": member, "role": "elu"}).status_code == 200
    assert [client.get(f"/j/ZZZ{i:03d}", headers=venue).status_code
            for i in range(40)][-1] == 429
    for _ in range(5):
        assert client.get(f"/j/{seance.join_code}", headers=venue).status_code == 200
        assert client.get(f"/j/{seance.join_code}/collectivites?q=orc", headers=venue).status_code == 200
        assert client.post(f"/j/{seance.join_code}", headers=venue,
                           data={"collectivite_id": str(member), "role": "elu"}).status_code == 302


# --- 13. Logout and new passwords end every earlier session ---------------------------------


def test_a_cookie_copied_before_logout_opens_nothing(world):
    app, _url, owner, *_ = world
    browser = app.test_client()
    assert browser.post("/connexion", data={"email": owner.email,
                                            "password": factories.PASSWORD}).status_code == 302
    stolen = browser.get_cookie("session").value
    other_device = app.test_client()
    assert other_device.post("/connexion", data={"email": owner.email,
                                                 "password": factories.PASSWORD}).status_code == 302
    assert browser.post("/deconnexion").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/seances/").status_code == 302  # to the login page
    assert other_device.get("/seances/").status_code == 302  # logged out everywhere
    again = app.test_client()
    again.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD})
    assert again.get("/seances/").status_code == 200


# --- 15. Uploads: each limit set once, said in the refusal ----------------------------------


@pytest.fixture
def csrf_client(db_url):
    """CSRF on, as in production: the check reads the form before any view."""
    app = make_app(db_url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    with Session(app.extensions["workshop.engine"], expire_on_commit=False) as db:
        owner = factories.facilitator(db)
        perimetre = factories.perimetre(db, owner)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/connexion").get_data(True)).group(1)
    client.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD,
                                    "csrf_token": token})
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/seances/").get_data(True)).group(1)
    yield client, token, perimetre
    app.extensions["workshop.engine"].dispose()


def _post_file(client, token, url, size, name):
    """A file of `size` bytes: lines of a plan (CSV) or blanks around {} (JSON)."""
    body = (b"Th\xc3\xa8me;Intitul\xc3\xa9;Agents\n" + b"Accueil;Accueil du public;3\n" * (size // 28)
            if name.endswith(".csv") else b" " * (size - 2) + b"{}")
    return client.post(url, headers={"X-CSRFToken": token}, content_type="multipart/form-data",
                       data={"fichier": (io.BytesIO(body[:size]), name)})


def test_each_upload_takes_its_own_limit_through_the_csrf_check(csrf_client):
    client, token, perimetre = csrf_client
    # Over the 2 MB of an ordinary form, under the route's own limit: read and judged.
    plan = _post_file(client, token, f"/perimetres/{perimetre.id}/plans/", 4 * MB, "plan.csv")
    assert plan.status_code in (302, 303)
    export = _post_file(client, token, "/seances/importer", 3 * MB, "seance.json")
    assert export.status_code == 303
    # Over the route's limit: refused, saying the limit.
    too_big = _post_file(client, token, f"/perimetres/{perimetre.id}/plans/", PLAN_FILE_MAX + 100 * 1024,
                         "plan.csv")
    assert too_big.status_code == 413 and "5 Mo au plus" in too_big.get_data(True)
    too_big = _post_file(client, token, "/seances/importer", SEANCE_FILE_MAX + 100 * 1024, "s.json")
    assert too_big.status_code == 413 and "20 Mo au plus" in too_big.get_data(True)
    form = client.post("/seances/nouvelle", headers={"X-CSRFToken": token},
                       data={"title": "x" * (FORM_MAX + 100 * 1024)})
    assert form.status_code == 413 and "2 Mo au plus" in form.get_data(True)


# --- 16. No 500 for odd ids, digits, JSON or dates ------------------------------------------


def test_odd_input_is_refused_cleanly(logged_in, client, db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    perimetre_id = seance.perimetre_id
    plan = client.post(f"/perimetres/{perimetre_id}/plans/", content_type="multipart/form-data",
                       data={"collectivite_id": "²", "fichier": (io.BytesIO(b"a;b\n1;2\n"), "p.csv")})
    assert plan.status_code in (302, 303)
    confirm = client.post(f"/perimetres/{perimetre_id}/plans/1/confirmer", data={"theme-²": "x"})
    assert confirm.status_code in (302, 303, 404)
    deep = "[" * 100_000 + "]" * 100_000
    dump = client.get(f"/seances/{seance.id}/seance.json", follow_redirects=True).get_json()
    dump["seance"]["held_on"] = "2026-13-45"
    for body in (deep, json.dumps(dump)):
        response = client.post("/seances/importer", content_type="multipart/form-data",
                               data={"fichier": (io.BytesIO(body.encode()), "s.json")},
                               follow_redirects=True)
        assert response.status_code == 200
        assert "pas du JSON lisible" in response.get_data(True) or "valide" in response.get_data(True)
    deep_api = client.post(f"/j/{seance.join_code}/participants", data=deep,
                           content_type="application/json")
    assert deep_api.status_code == 400


# --- 18. Hand-added collectivités belong to their account -----------------------------------


def test_a_hand_added_collectivite_cannot_be_attached_by_another_account(client, db, facilitator):
    mine = factories.perimetre(db, facilitator)
    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    client.post(f"/perimetres/{mine.id}/hors-referentiel",
                data={"name": "CCAS secret de Camille", "kind": "ccas"})
    hand = next(c for c in perimetres.members(db, mine.id) if c.name == "CCAS secret de Camille")
    client.post("/deconnexion")

    other = factories.facilitator(db, "autre@example.fr")
    theirs = factories.perimetre(db, other, name="Autre")
    client.post("/connexion", data={"email": other.email, "password": factories.PASSWORD})
    response = client.post(f"/perimetres/{theirs.id}/membres", data={"collectivite_id": hand.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Collectivité inconnue" in response.get_data(True)
    assert "CCAS secret" not in client.get(f"/perimetres/{theirs.id}").get_data(True)


# --- 19. Only the owner shares, and can revoke ----------------------------------------------


def test_only_the_owner_shares_and_the_owner_revokes(client, db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    colleague = factories.facilitator(db, "collegue@example.fr")
    third = factories.facilitator(db, "tiers@example.fr")
    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    client.post(f"/seances/{seance.id}/partage", data={"email": colleague.email})
    client.post("/deconnexion")

    client.post("/connexion", data={"email": colleague.email, "password": factories.PASSWORD})
    page = client.post(f"/seances/{seance.id}/partage", data={"email": third.email},
                       follow_redirects=True).get_data(True)
    assert "Seul le propriétaire" in page
    assert client.post(f"/seances/{seance.id}/partage/{colleague.id}/retirer",
                       follow_redirects=True).status_code == 200
    client.post("/deconnexion")
    client.post("/connexion", data={"email": third.email, "password": factories.PASSWORD})
    assert client.get(f"/seances/{seance.id}").status_code == 404
    client.post("/deconnexion")

    client.post("/connexion", data={"email": colleague.email, "password": factories.PASSWORD})
    assert client.get(f"/seances/{seance.id}").status_code == 200  # not revoked by themselves
    client.post("/deconnexion")
    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    page = client.post(f"/seances/{seance.id}/partage/{colleague.id}/retirer",
                       follow_redirects=True).get_data(True)
    assert "n&#39;anime plus cette séance" in page or "n'anime plus cette séance" in page
    client.post("/deconnexion")
    client.post("/connexion", data={"email": colleague.email, "password": factories.PASSWORD})
    assert client.get(f"/seances/{seance.id}").status_code == 404
    assert client.get(f"/seances/{seance.id}/pilotage").status_code == 404
