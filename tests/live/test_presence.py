"""Presence across processes: each process publishes its phones in Redis, readers add up."""

import json
import time
import uuid

import pytest
import redis

from tests.live.test_cluster import REDIS_URL, services_or_skip
from workshop import create_app
from workshop.live.connections import Identity, connections
from workshop.live.presence import STALE_SECONDS, presence

SEANCE = 990_001  # no such séance in the base: presence only counts sockets


@pytest.fixture
def with_redis(db_url):
    services_or_skip()
    channel = f"workshop-test-{uuid.uuid4().hex[:8]}"
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "k",
                      "REDIS_URL": REDIS_URL, "SOCKETIO_CHANNEL": channel})
    store = redis.Redis.from_url(REDIS_URL)
    yield app, store, f"{channel}:presence:{SEANCE}"
    for sid in ("sa", "sb", "sc"):
        connections.drop(sid)
    store.delete(f"{channel}:presence:{SEANCE}")
    app.extensions["workshop.engine"].dispose()


def other_process(store, key, online, age=0.0):
    store.hset(key, uuid.uuid4().hex, json.dumps({"at": time.time() - age, "online": online}))


def test_phones_of_other_processes_count_once_and_stale_ones_not(with_redis):
    _app, store, key = with_redis
    connections.add("sa", Identity("phone", SEANCE, 1, 10))
    connections.add("sb", Identity("phone", SEANCE, 2, 10))
    other_process(store, key, {"10": [2, 3], "11": [4]})  # participant 2 has a tab there too
    other_process(store, key, {"12": [5]}, age=STALE_SECONDS + 5)  # died
    store.hset(key, "garbage", b"not json")
    assert presence.online(SEANCE) == {10: 3, 11: 1}


def test_this_process_publishes_what_it_holds(with_redis):
    _app, store, key = with_redis
    connections.add("sc", Identity("phone", SEANCE, 7, 20))
    presence._publish(SEANCE)
    [(field, value)] = store.hgetall(key).items()
    assert field.decode() == presence.process
    assert json.loads(value)["online"] == {"20": [7]}
    assert store.ttl(key) > 0  # a séance nobody talks about any more leaves Redis
    connections.drop("sc")
    presence._publish(SEANCE)
    assert store.hgetall(key) == {}


def test_without_redis_a_process_counts_its_own(db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "k",
                      "REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    try:
        connections.add("sa", Identity("phone", SEANCE, 1, 10))
        assert presence.online(SEANCE) == {10: 1}  # Redis down: logged, the local count stays
    finally:
        connections.drop("sa")
        app.extensions["workshop.engine"].dispose()
