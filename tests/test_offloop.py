"""Long C calls off the serving loop (`workshop/offloop.py`): under gevent a password check
runs on a real thread while the loop serves the others (in a fresh interpreter: gevent
patches it)."""

import json
import subprocess
import sys

from workshop import offloop
from workshop.offloop import joined_giving_way, off_loop

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import json, sys
import gevent
from workshop.offloop import off_loop
from workshop.services import facilitators
from werkzeug.security import generate_password_hash

original_ident = monkey.get_original("_thread", "get_ident")
hashed = generate_password_hash("a password long enough")  # before the loop serves anyone
ticks = []

def ticking():  # another greenlet: a phone's vote, say
    while True:
        ticks.append(1)
        gevent.sleep(0.001)

ticker = gevent.spawn(ticking)
gevent.sleep(0.01)
before = len(ticks)
ok = [off_loop(facilitators.check_password_hash, hashed, "a password long enough")
      for _ in range(3)]
during = len(ticks) - before
print(json.dumps({"ok": ok, "ticks_during": during,
                  "main": original_ident(), "pool": off_loop(original_ident)}))
"""


def test_outside_gevent_the_call_runs_here_and_its_errors_come_back():
    assert off_loop(sum, [1, 2, 3]) == 6
    try:
        off_loop(int, "pas un nombre")
    except ValueError as error:
        assert "pas un nombre" in str(error)
    else:
        raise AssertionError("the call's error was lost")


def test_joining_pieces_pauses_once_per_slice_of_work_and_keeps_the_text(monkeypatch):
    clock = iter(range(0, 1000))  # each reading of the clock: one more second of work
    monkeypatch.setattr(offloop.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(offloop, "SLICE_SECONDS", 2.5)
    pauses = []
    text = joined_giving_way((f"{i}," for i in range(9)), pause=lambda: pauses.append(1))
    assert text == "0,1,2,3,4,5,6,7,8,"
    # One reading at the start, then one per piece (and one more after each pause): a pause
    # falls after every third second of work.
    assert len(pauses) == 3


def test_outside_gevent_giving_way_does_nothing_and_joining_is_a_join():
    offloop.give_way()
    assert joined_giving_way(iter(["a", "b", "c"])) == "abc"


def test_under_gevent_a_password_check_leaves_the_loop_to_the_others():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["ok"] == [True, True, True]
    assert figures["pool"] != figures["main"]  # a real thread did the work
    # Three scrypt checks take hundreds of ms: the other greenlet ran meanwhile (held in the
    # loop, it could not have ticked at all).
    assert figures["ticks_during"] >= 3


ENCODE = """
from gevent import monkey; monkey.patch_all()
import json
import gevent
from workshop import create_app
from workshop import offloop
from workshop.web import json_giving_way

app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test"})
offloop.SLICE_SECONDS = 0.001
ticks = []

def ticking():
    while True:
        ticks.append(1)
        gevent.sleep(0)

data = {"votes": [{"participant_id": i, "need_id": i % 7, "dots": 1} for i in range(20000)]}
with app.app_context():
    ticker = gevent.spawn(ticking)
    gevent.sleep(0)
    before = len(ticks)
    body = json_giving_way(data).get_data(as_text=True)
    during = len(ticks) - before
print(json.dumps({"same": json.loads(body) == data, "ticks_during": during}))
"""


def test_the_state_json_gives_the_loop_back_while_it_encodes():
    done = subprocess.run([sys.executable, "-c", ENCODE], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["same"] is True
    assert figures["ticks_during"] >= 2  # held in one go, the other greenlet never runs
