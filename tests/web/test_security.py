"""Attempts to get in where one does not belong, over HTTP."""

import html

import pytest
from sqlmodel import Session

from tests import factories
from workshop import create_app
from workshop.services import board

PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture
def limited(db_url):
    """An app with its rate limits on (the limiter is one per process: no other app here)."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "k",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    yield app
    app.extensions["workshop.engine"].dispose()


@pytest.fixture
def limited_db(limited):
    with Session(limited.extensions["workshop.engine"], expire_on_commit=False) as session:
        yield session


def test_login_attempts_are_rate_limited(limited, limited_db):
    facilitator = factories.facilitator(limited_db)
    client = limited.test_client()
    for _ in range(10):
        assert client.post("/connexion", data={"email": facilitator.email,
                                               "password": "faux"}).status_code == 401
    blocked = client.post("/connexion", data={"email": facilitator.email,
                                              "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)


def test_successful_joins_are_not_limited_but_guesses_are(limited, limited_db):
    db = limited_db
    facilitator = factories.facilitator(db)
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    member = factories.collectivite_id(db, seance, "Orchies")
    client = limited.test_client()
    for _ in range(40):  # a room behind one address joins freely
        assert client.post(f"/j/{seance.join_code}/participants",
                           json={"collectivite_id": member, "role": "elu"}).status_code == 200
    statuses = [client.get(f"/j/ZZZ{i:03d}").status_code for i in range(35)]
    assert statuses.count(404) == 30 and statuses[-1] == 429
    # The room's code, used from this address, still gets in; an unused right code does not
    # (a throttled address cannot tell right codes from wrong ones).
    assert client.get(f"/j/{seance.join_code}").status_code == 200
    assert client.post(f"/j/{seance.join_code}/participants",
                       json={"collectivite_id": member, "role": "elu"}).status_code == 200
    other = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    assert client.get(f"/j/{other.join_code}").status_code == 429


def test_user_text_is_escaped_everywhere(logged_in, client, db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, PAYLOAD, "hs-sst", details=PAYLOAD)
    person = factories.participant(db, seance, "Orchies")
    board.declare(db, seance, person, need.id, 2027, 3)
    pages = [f"/seances/{seance.id}/pilotage", f"/seances/{seance.id}/plan/",
             f"/seances/{seance.id}/synthese", f"/ecran/{seance.screen_token}"]
    for url in pages:
        body = logged_in.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
    phone = limited_phone(client, seance, person)
    assert "<script>alert" not in phone and html.escape("<script>") in phone


def limited_phone(client, seance, person):
    client.set_cookie(f"p_{seance.id}", person.token)
    return client.get(f"/j/{seance.join_code}").get_data(as_text=True)


def test_screen_and_state_links_are_secrets(client, logged_in, db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    last = "y" if seance.screen_token.endswith("x") else "x"  # one character off, never the same
    assert client.get(f"/ecran/{seance.screen_token[:-1]}{last}").status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(f"/seances/{seance.id}/etat.json").status_code == 302
    assert anonymous.post(f"/seances/{seance.id}/phase", data={"phase": "vote"}).status_code == 302
    db.refresh(seance)
    assert seance.phase == "accueil"
