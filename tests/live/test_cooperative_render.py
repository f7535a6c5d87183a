"""A big board's render gives the loop back as it goes (live/broadcast.render), and one
séance's flushes never overlap (in a fresh interpreter: gevent patches it)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import json, sys, tempfile, time
import gevent
from sqlmodel import Session
from workshop import create_app, migrate
from workshop.db import make_engine
from workshop import offloop
from workshop.live import broadcast, internals
from workshop.models import Seance
from workshop.services import board, reference
from tests import factories

url = f"sqlite:///{tempfile.mkdtemp()}/db.sqlite3"
engine = make_engine(url)
migrate.upgrade(engine)
with Session(engine, expire_on_commit=False) as db:
    reference.load_territories(db)
    reference.load_themes(db)
    owner = factories.facilitator(db)
    seance = factories.seance(db, owner, factories.perimetre(db, owner))
    factories.phase(db, seance, "recueil")
    for i in range(int(sys.argv[1])):
        factories.need(db, seance, title=f"Besoin {i}")
    seance_id = seance.id
engine.dispose()
app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x",
                  "ASYNC_MODE": "gevent"})
offloop.SLICE_SECONDS = 0  # give the loop back after every piece: no machine is too fast
ticks, during = [], []
rendering = []

def ticker():
    while True:
        ticks.append(time.perf_counter())
        if rendering:
            during.append(1)
        gevent.sleep(0)

def render_board():
    with app.app_context(), internals.rendering(app):
        db = Session(app.extensions["workshop.engine"])
        snap = board.snapshot(db, db.get(Seance, seance_id))
        rendering.append(1)
        html = broadcast.facilitator_html(snap)
        rendering.clear()
        return html

t = gevent.spawn(ticker)
html = gevent.spawn(render_board).get()
t.kill()

# Two flushes of one séance due together: the second waits for the first, then runs.
b = broadcast.broadcaster
inside, overlaps, runs = [], [], []
real_flush = b.flush
def flush(*args, **kwargs):
    if inside:
        overlaps.append(1)
    inside.append(1)
    try:
        real_flush(*args, **kwargs)
    finally:
        inside.pop()
        runs.append(1)
b.flush = flush
b._heard = lambda room: True  # as with a message queue: render for every room
b._dirty.add(seance_id)
gevent.spawn(b._run, seance_id, False)
deadline = time.monotonic() + 30
while not inside and time.monotonic() < deadline:  # the first flush is rendering...
    gevent.sleep(0)
b._dirty.add(seance_id)  # ...when the next change comes and its flush is due
gevent.spawn(b._run, seance_id, False)
while len(runs) < 2 and time.monotonic() < deadline:
    gevent.sleep(0.01)
print(json.dumps({"during": len(during), "cards": html.count('class="fac-need"'),
                  "overlaps": len(overlaps), "runs": len(runs)}))
"""


def test_a_big_board_render_lets_the_other_greenlets_run():
    done = subprocess.run([sys.executable, "-c", SCRIPT, "60"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["cards"] == 60  # the whole board was rendered...
    assert figures["during"] > 0  # ...while the others ran between its pieces
    # and a flush due while another renders ran after it, never beside it
    assert figures["runs"] >= 2 and figures["overlaps"] == 0
