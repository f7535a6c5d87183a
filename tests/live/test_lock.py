"""Another program holds the SQLite write lock (a backup tool, `sqlite3 db 'BEGIN EXCLUSIVE;'`):
the server keeps answering. Pages that read answer, a vote is stored or refused with
`vote_non_enregistre` while the lock is still held, and nothing acknowledged is lost."""

import subprocess
import sys
import time

import requests

from tests.live.support import theme_id

HOLD_S = 5
HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def test_a_lock_held_by_another_process_freezes_nothing(room):
    room.phase("recueil")
    phones = [room.phone(room.server.members[i + 1]) for i in range(3)]
    need = phones[0].call("add_need", {"theme_id": theme_id(room), "title": "Accueil"})["need_id"]
    room.phase("vote")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER,
                               room.server.database_url.removeprefix("sqlite:///"), str(HOLD_S)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        # Pages that only read answer while the other program still holds the lock.
        join = requests.get(f"{room.server.url}/j/{room.server.join_code}", timeout=HOLD_S)
        state = room.state()
        assert join.status_code == 200 and state["totals"]["dots"] == 0
        # A vote is answered (stored, or refused so that the phone retries) before the lock goes.
        acks = [phone.call("vote", {"need_id": need, "dots": 1}) for phone in phones]
        answered_in = time.monotonic() - locked_at
        still_locked = holder.poll() is None
    finally:
        holder.wait(timeout=HOLD_S + 5)
    assert still_locked, f"the answers took {answered_in:.1f} s: the lock was gone before them"
    assert all(a["ok"] or a["code"] == "vote_non_enregistre" for a in acks), acks
    stored = sum(a["dots"] for a in acks if a["ok"])
    # Once the lock is gone, what was refused goes through when sent again; nothing is lost.
    for phone, ack in zip(phones, acks, strict=True):
        if not ack["ok"]:
            assert phone.call("vote", {"need_id": need, "dots": 1})["ok"]
            stored += 1
    assert room.state()["totals"]["dots"] == stored == len(phones)
