"""A big JSON re-import runs in the worker, written in slices: the room's phones keep voting
meanwhile, each vote answered within 2 s (stored, or refused with `vote_non_enregistre` so that the
phone sends it again), and votes are stored between two slices."""

import json
import re

import socketio
from sqlmodel import Session, select

from tests.live.support import theme_id
from tests.services.test_seance_imports import big_export
from tests.worker.test_worker import partial, wait_for
from workshop.db import make_engine
from workshop.models import Seance, Vote

ACK_S = 2  # a vote must be answered within this, whatever the import does


def test_phones_vote_while_a_big_json_import_is_written(room):
    room.phase("recueil")
    phones = [room.phone(room.server.members[i + 1]) for i in range(3)]
    need = phones[0].call("add_need", {"theme_id": theme_id(room), "title": "Accueil"})["need_id"]
    room.phase("vote")
    engine = make_engine(room.server.database_url)
    with Session(engine) as db:
        body = json.dumps(big_export(db, db.get(Seance, room.server.seance_id), needs=3000, people=2500))
    me = room.facilitator
    response = me.http.post(f"{room.server.url}/seances/importer", headers={"X-CSRFToken": me.csrf},
                            files={"fichier": ("grande-seance.json", body.encode(), "application/json")},
                            allow_redirects=False)
    assert response.status_code == 303 and "/travaux/" in response.headers["Location"]
    job = response.headers["Location"].rsplit("/", 1)[-1]
    wait_for(me, job, "Écriture de la séance", timeout=90)  # slices are being written
    acks = []
    for phone in phones:
        try:
            acks.append(phone.client.call("vote", {"need_id": need, "dots": 1}, timeout=ACK_S))
        except socketio.exceptions.TimeoutError:
            acks.append({"ok": False, "code": f"no answer within {ACK_S} s"})
    still_writing = "Écriture de la séance" in partial(me, job)
    assert still_writing, "the import ended before the votes: nothing interleaved"
    assert all(a["ok"] or a["code"] == "vote_non_enregistre" for a in acks), acks
    stored = sum(1 for a in acks if a["ok"])
    # Between two slices the write lock is free: votes are stored during the import (one long
    # transaction would have them all refused until its end).
    assert stored >= 1, acks
    for phone, ack in zip(phones, acks, strict=True):  # what was refused goes through when sent again
        if not ack["ok"]:
            assert phone.call("vote", {"need_id": need, "dots": 1})["ok"]
            stored += 1
    done = wait_for(me, job, "job-done", timeout=120)
    imported = int(re.search(r"/seances/(\d+)", done).group(1))
    assert room.state()["totals"]["dots"] == stored == len(phones)
    with Session(engine) as db:
        assert not db.get(Seance, imported).importing
        assert len(db.exec(select(Vote).where(Vote.seance_id == imported)).all()) == 5000
    engine.dispose()
