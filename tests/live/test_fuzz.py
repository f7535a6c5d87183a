"""Random payloads at every socket event and every form: no 500, no exception, invariants hold."""

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tests import factories
from workshop import create_app
from workshop.extensions import socketio
from workshop.models import Demand, Event, Participant, Vote

KEYS = ["need_id", "dots", "year", "agents", "theme_id", "title", "details", "x"]
scalars = (st.none() | st.booleans() | st.integers(-(10**15), 10**15)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=300))
payloads = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner,
                                          max_size=5), max_leaves=12)
# Mostly well-shaped payloads with wild values, so that the rules are reached, not only parsing.
shaped = st.fixed_dictionaries({"need_id": st.integers(-3, 12) | scalars,
                                "dots": st.integers(-3, 9) | scalars,
                                "year": st.integers(2020, 2035), "agents": st.integers(-5, 6000),
                                "theme_id": st.integers(-1, 40), "title": st.text(max_size=250)})


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    import shutil

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    shutil.copyfile(template_db, path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "k",
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
    if event == "nope":
        assert ack is None
    else:
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool)
        if not ack["ok"]:
            assert ack["message"] and ack["code"] != "erreur_serveur"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    invariants(app, seance)


form_values = st.dictionaries(st.sampled_from(
    ["phase", "title", "theme_id", "details", "collectivite_id", "dot_budget", "max_dots_per_need",
     "weighting", "tallies_visible", "minutes", "closed", "target_id", "source_id", "line", "year",
     "cap-2027", "horizon_start", "horizon_years", "split", "name", "kind", "epci_code",
     "email", "password", "code", "role", "held_on", "perimetre_id"]),
    st.text(max_size=40) | st.integers(-5, 3000).map(str), max_size=8)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), form=form_values)
def test_random_forms_on_every_route(world, data, form):
    app, seance, _clients, owner = world
    client = app.test_client()
    client.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD})
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint != "static"]
    rule = data.draw(st.sampled_from(rules))
    values = {}
    for arg in rule.arguments:
        values[arg] = data.draw(st.sampled_from([seance.id, seance.perimetre_id, 1, 99999])) \
            if arg.endswith("_id") else data.draw(st.sampled_from([seance.join_code, "ZZZZZZ", "x"]))
    url = rule.build(values, append_unknown=False)[1]
    response = client.post(url, data=form, headers={"HX-Request": "true"})
    assert response.status_code < 500, (url, form, response.status_code)
    invariants(app, seance)
