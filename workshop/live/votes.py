"""The vote's hot path: the handler on the Socket.IO server, and the group commit.

`on_vote` runs on the Socket.IO server itself (`internals.on_server`): ids
from the connection, no séance or participant object loaded. The ballot goes
to the one writer; the service (`board.ballots.cast_many`) judges it with the
same rules as every other write, stores it and publishes the change after
the commit; the ack comes back with the phone's new dots and budget.

Group commit: the votes that arrive together are stored by one transaction.

A phone's `vote` handler hands its ballot to the one writer and waits; the
writer takes every ballot waiting (up to MAX_BATCH), applies them in arrival
order through `board.cast_many` (the one place a vote is applied), commits
once, then wakes each handler with its own result. A vote is acknowledged
only after the commit that stores it. Alone, a vote is a batch of one and
waits for nobody; when a room votes at once, the ballots that came in while
the previous commit ran go together, and a commit costs one vote's time
instead of fifty.

The queue and events are Flask-SocketIO's (gevent's in production, threads in
the tests), so this works in every async mode.
"""

import logging
import queue as stdlib_queue
import sqlite3
import time
from dataclasses import dataclass, field
from functools import lru_cache, partial

from flask import render_template
from sqlalchemy.exc import OperationalError

from workshop.config import LANGUAGES
from workshop.db import lock_wait_limit, session_scope
from workshop.domain.rules import Refusal
from workshop.extensions import socketio
from workshop.i18n import say
from workshop.live import internals, replies
from workshop.schemas import VoteInput, check
from workshop.services import board

log = logging.getLogger(__name__)
MAX_BATCH = 200
# A phone hears within this many seconds whether its vote is stored, even while another
# program holds the base's write lock: the batch waits for the lock (cooperatively, see db.py)
# only what is left of its oldest ballot's allowance, then each phone is told to retry.
LOCK_WAIT_S = 1.5
MIN_LOCK_WAIT_S = 0.05

NOT_STORED = Refusal("vote_non_enregistre",
                     "Votre vote n'a pas pu être enregistré : réessayez dans un instant.")


@dataclass
class _Slot:
    ballot: board.Ballot
    done: object  # an event of the async mode
    result: board.VoteResult | Refusal = field(default=NOT_STORED)
    arrived: float = field(default_factory=time.monotonic)


class VoteWriter:
    def __init__(self) -> None:
        self.app = None
        self._queue = None
        self.batches = 0  # how many commits, for the tests and the benchmarks
        self.ballots = 0

    def init_app(self, app) -> None:
        self.app = app
        self._queue = None  # a new app (a test) gets a new writer task

    def _start(self) -> None:
        self._queue, self._event = internals.queue_and_event(socketio)
        socketio.start_background_task(self._run, self._queue)

    def submit(self, ballot: board.Ballot) -> board.VoteResult | Refusal:
        """Store one ballot (with whatever else is waiting); returns once it is committed."""
        if self._queue is None:
            self._start()
        slot = _Slot(ballot, self._event())
        self._queue.put(slot)
        # No timeout here (a timer per vote costs a tenth of a vote's time): the writer sets
        # every slot it takes, stored or not, and gives up on a locked base after what is left
        # of LOCK_WAIT_S, so a slot is never left waiting.
        slot.done.wait()
        return slot.result

    def _run(self, queue) -> None:
        while True:
            batch = [queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(queue.get_nowait())
                except stdlib_queue.Empty:  # gevent's queue raises the same
                    break
            self._write(batch)

    def _write(self, batch: list[_Slot]) -> None:
        waited = time.monotonic() - batch[0].arrived
        try:
            with (self.app.app_context(), lock_wait_limit(max(MIN_LOCK_WAIT_S, LOCK_WAIT_S - waited)),
                  session_scope() as db):
                results = board.cast_many(db, [slot.ballot for slot in batch])
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
            self.batches += 1
            self.ballots += len(batch)
        except (OperationalError, sqlite3.OperationalError) as error:  # locked by another program
            log.warning("a batch of %d votes could not be stored: %s", len(batch), error)
        except Exception:  # nothing of the batch is stored: each phone is told to retry
            log.exception("a batch of %d votes could not be stored", len(batch))
        finally:
            for slot in batch:
                slot.done.set()


writer = VoteWriter()


def on_vote(app, sid: str, payload=None) -> dict:
    """One phone's vote, acknowledged once stored (or refused, nothing stored)."""
    try:
        who = replies.who(sid, app.config)
        if isinstance(who, Refusal):
            with replies.speaking(app, LANGUAGES[0]):
                return replies.refused(who)
        data, errors = check(VoteInput, payload)
        if errors:  # said in the phone's language
            with replies.speaking(app, who.locale):
                return replies.invalid({field: say(message) for field, message in errors.items()})
        result = writer.submit(board.Ballot(who.seance_id, who.participant_id, data.need_id,
                                            data.dots, data.action_id))
        if isinstance(result, Refusal):
            with replies.speaking(app, who.locale):
                return replies.refused(result)
        return {"ok": True, "need_id": result.need_id, "dots": result.dots,
                "left": result.left,
                "html": _vote_ack(app, who.locale, result.need_id, result.dots, result.left,
                                  result.budget)}
    except Exception:  # the same answer as Flask-SocketIO's error handler gives the others
        log.exception("socket event failed: vote")
        with replies.speaking(app, LANGUAGES[0]):
            return replies.refused(replies.SERVER_ERROR)


@lru_cache(maxsize=4096)
def _vote_ack(app, locale: str, need_id: int, dots: int, left: int, budget: int) -> str:
    """The phone's dots on the need and its budget: a few hundred different fragments in a
    room, rendered once each (the same partials as the page)."""
    with replies.speaking(app, locale):
        return render_template("phone/_vote_ack.html", seance={"dot_budget": budget},
                               mine=board.Mine({need_id: dots}, {}, left), need_id=need_id,
                               oob=True)


def register(app) -> None:
    """The vote straight on the Socket.IO server: Flask-SocketIO would build a Flask request
    context for each event (URL matching, cookie session, app context), which cost a third
    of a vote's time with a thousand phones voting."""
    internals.on_server(socketio, "vote", partial(on_vote, app))
