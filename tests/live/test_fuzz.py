"""Random payloads at every socket event, every form and every URL: no 500, no exception,
no `erreur_serveur`, invariants hold; on SQLite and on PostgreSQL (NUL bytes, ids past 2**31,
digits Python reads as digits, nesting)."""

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tests import factories
from tests.conftest import postgres_database
from workshop import create_app, migrate
from workshop.db import make_engine
from workshop.domain.text import visible
from workshop.extensions import socketio
from workshop.models import Demand, Event, Facilitator, Need, Participant, Vote
from workshop.services import reference

KEYS = ["need_id", "dots", "year", "agents", "theme_id", "title", "details", "x"]
# What attackers send: NUL bytes, superscript and other-script digits, ids past the
# database's integers (2**31 .. 2**63 and beyond), long runs.
ODD_TEXT = st.sampled_from(["\x00", "a\x00b", "²", "٣", "99999999999999999999", str(2**31),
                            str(2**63 - 1), str(2**63), "-1", "0", "1e9", " ", "\ud7ff", "é" * 300,
                            "\u200b\u200b", "\ufeff\u2060", "\u00ad", "\u200bx\u200b"])
HUGE_INT = st.sampled_from([2**31, 2**31 - 1, 2**40, 2**63 - 1, 2**63, 2**70, 10**20, -(2**63)])
texts = st.text(max_size=300) | ODD_TEXT | st.text(alphabet="\x00²٣0123456789", max_size=30)
scalars = (st.none() | st.booleans() | st.integers(-(10**15), 10**15) | HUGE_INT
           | st.floats(allow_nan=True, allow_infinity=True) | texts)


def nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


payloads = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner,
                                          max_size=5), max_leaves=12) \
    | st.sampled_from([nested(60), nested(500), {"need_id": nested(300), "dots": 1}])


# Mostly well-shaped payloads with wild values, so that the rules are reached, not only parsing.
shaped = st.fixed_dictionaries({"need_id": st.integers(-3, 12) | scalars,
                                "dots": st.integers(-3, 9) | scalars,
                                "year": st.integers(2020, 2035), "agents": st.integers(-5, 6000),
                                "theme_id": st.integers(-1, 40) | HUGE_INT,
                                "title": st.text(max_size=250) | ODD_TEXT})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory, template_db):
    if request.param == "sqlite":
        import shutil

        path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
        shutil.copyfile(template_db, path)
        yield f"sqlite:///{path}"
        return
    with postgres_database("workshop_fuzz") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as db:
            reference.load_territories(db)
            reference.load_themes(db)
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def world(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "LIVE_BURST": 10**6, "LIVE_RATE": 10**6})
    engine = app.extensions["workshop.engine"]
    with Session(engine, expire_on_commit=False) as db:
        owner = factories.facilitator(db)
        seance = factories.populated_seance(db, owner, people=4, needs=5)
        tokens = [p.token for p in db.exec(select(Participant))]
    clients = [socketio.test_client(app, auth={"token": t}) for t in tokens[:2]]
    yield app, seance, clients, owner
    for client in clients:
        client.disconnect()
    engine.dispose()


def invariants(app, seance):
    with Session(app.extensions["workshop.engine"]) as db:
        spent = db.exec(select(Vote.participant_id, func.sum(Vote.dots))
                        .group_by(Vote.participant_id)).all()
        assert all(total <= seance.dot_budget for _, total in spent)
        assert db.exec(select(func.count()).select_from(Vote).where(
            Vote.dots > seance.max_dots_per_need)).one() == 0
        keys = db.exec(select(Demand.need_id, Demand.collectivite_id, Demand.year)).all()
        assert len(keys) == len(set(keys))
        # The log agrees with the tables: each vote row holds what its last event said.
        last = {}
        for event in db.exec(select(Event).where(Event.kind == "vote.set").order_by(Event.id)):
            participant = int(event.actor.split(":")[1])
            last[(participant, event.payload["need_id"])] = event.payload["dots"]
        rows = {(v.participant_id, v.need_id): v.dots for v in db.exec(select(Vote))}
        assert {k: v for k, v in rows.items() if v} == {k: v for k, v in last.items() if v}
        # Every need has a title one can see, nothing invisible around it.
        assert all(title and visible(title) == title for title in db.exec(select(Need.title)))


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=st.sampled_from(["vote", "declare", "add_need", "sync", "nope"]),
       payload=payloads | shaped, which=st.integers(0, 1), phase=st.sampled_from(
           ["recueil", "vote", "vote", "resultats"]))
def test_random_socket_payloads(world, caplog, event, payload, which, phase):
    app, seance, clients, owner = world
    with Session(app.extensions["workshop.engine"]) as db:
        current = db.get(type(seance), seance.id)
        current.phase = phase
        db.add(current)
        db.commit()
    caplog.set_level(logging.ERROR)
    ack = clients[which].emit(event, payload, callback=True)
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool)
    if not ack["ok"]:
        assert ack["message"] and ack["code"] != "erreur_serveur"
    if event == "nope":  # an unknown event is refused at once, never left unanswered
        assert ack["code"] == "evenement_inconnu"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    invariants(app, seance)


FORM_KEYS = ["phase", "title", "theme_id", "details", "collectivite_id", "dot_budget",
             "max_dots_per_need", "weighting", "tallies_visible", "minutes", "closed", "target_id",
             "source_id", "line", "year", "cap-2027", "horizon_start", "horizon_years", "split",
             "name", "kind", "epci_code", "email", "password", "code", "role", "held_on",
             "perimetre_id", "theme-²", "theme-1", "theme-99999999999999999999", "q"]
form_values = st.dictionaries(st.sampled_from(FORM_KEYS), st.text(max_size=40)
                              | st.integers(-5, 3000).map(str) | ODD_TEXT | HUGE_INT.map(str),
                              max_size=8)
URL_IDS = [1, 99999, 2**31 - 1, 2**31, 2**40, 2**63 - 1, 2**63, 10**20]


def _url(data, rule, seance) -> str:
    values = {}
    for arg in rule.arguments:
        values[arg] = data.draw(st.sampled_from([seance.id, seance.perimetre_id, *URL_IDS])) \
            if arg.endswith("_id") else data.draw(st.sampled_from(
                [seance.join_code, seance.screen_token, "ZZZZZZ", "x", "a\x00b", "²"]))
    return rule.build(values, append_unknown=False)[1]


def _logged_in(app, owner):
    client = app.test_client()
    client.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD})
    return client


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), form=form_values)
def test_random_forms_on_every_route(world, caplog, data, form):
    app, seance, _clients, owner = world
    client = _logged_in(app, owner)
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint != "static"]
    url = _url(data, data.draw(st.sampled_from(rules)), seance)
    caplog.set_level(logging.ERROR)
    response = client.post(url, data=form, headers={"HX-Request": "true"})
    assert response.status_code < 500, (url, form, response.status_code)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    invariants(app, seance)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), query=texts, cookie=texts)
def test_random_urls_queries_and_cookies_on_every_page(world, caplog, data, query, cookie):
    """Every GET route, ids past the database's integers, searches and cookies with NUL bytes."""
    app, seance, _clients, owner = world
    client = _logged_in(app, owner)
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments
             and r.endpoint != "static" and "export" not in r.endpoint]
    url = _url(data, data.draw(st.sampled_from(rules)), seance)
    caplog.set_level(logging.ERROR)
    response = client.get(url, query_string={"q": query},
                          headers={"Cookie": f"p_{seance.id}={cookie}".replace("\n", "").replace("\r", "")})
    assert response.status_code < 500, (url, query, response.status_code)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(auth=st.dictionaries(st.sampled_from(["token", "screen", "facilitator", "seance", "fresh",
                                             "view"]), scalars, max_size=3))
def test_random_socket_handshakes_never_get_in(world, caplog, auth):
    """No handshake gets in without an identity, and none crashes (a NUL token on PostgreSQL,
    a séance id of 2**70 for a logged-in facilitator)."""
    app, _seance, _clients, _owner = world
    with Session(app.extensions["workshop.engine"], expire_on_commit=False) as db:
        stranger = db.exec(select(Facilitator).where(Facilitator.email == "inconnu@example.fr")).first() \
            or factories.facilitator(db, "inconnu@example.fr")  # logged in, owns no séance
    caplog.set_level(logging.ERROR)
    client = socketio.test_client(app, auth=auth, flask_test_client=_logged_in(app, stranger))
    assert not client.is_connected()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_nul_bytes_are_refused_at_every_door(world, caplog):
    """The reported cases, one by one, on both bases."""
    app, seance, clients, owner = world
    caplog.set_level(logging.ERROR)
    anonymous = app.test_client()
    assert anonymous.post("/connexion", data={"email": "a\x00@b.fr", "password": "x"}).status_code == 400
    assert anonymous.get("/ecran/abc\x00def").status_code in (400, 404)
    assert anonymous.get(f"/j/{seance.join_code}/collectivites", query_string={"q": "or\x00"}
                         ).status_code == 400
    assert anonymous.get(f"/j/{seance.join_code}", headers={"Cookie": f"p_{seance.id}=a\x00b"}
                         ).status_code in (200, 400)  # werkzeug may drop such a cookie itself
    logged = _logged_in(app, owner)
    assert logged.post(f"/perimetres/{seance.perimetre_id}/hors-referentiel",
                       data={"name": "CCAS\x00", "kind": "ccas"}).status_code == 400
    for path in ("/seances/99999999999999999999", f"/seances/{2**40}/pilotage",
                 f"/perimetres/{2**63 - 1}", f"/seances/{2**31}/exports"):
        assert logged.get(path).status_code == 404, path
    with Session(app.extensions["workshop.engine"]) as db:
        current = db.get(type(seance), seance.id)
        current.phase = "recueil"
        db.add(current)
        db.commit()
    ack = clients[0].emit("add_need", {"theme_id": 1, "title": "Besoin\x00"}, callback=True)
    assert ack["ok"] is False and ack["code"] == "saisie_invalide"
    for auth in ({"token": "a\x00b"}, {"screen": "a\x00b"}):
        assert not socketio.test_client(app, auth=auth).is_connected()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
