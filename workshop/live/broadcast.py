"""The one broadcaster: what changed in a séance reaches each audience as HTML fragments.

Store, then tell: the services have committed before anything here runs.
Fragments are the same partials the pages render first, marked for an
out-of-band swap (`hx-swap-oob`); the browser hands them to htmx.

Counting changes (votes, agents) are coalesced: a séance marked dirty is
flushed once per FLUSH_SECONDS at most for screens and the facilitator, and
once per PHONE_SECONDS for the phones (the first change after a quiet spell at
once, the next ones at the end of the period) (only what they show: hidden tallies
are not pushed at all), so a burst of 200 votes is a handful of renders and
one message per phone, not 200. Structural changes (a need added, hidden,
merged) and phase changes go out at once: they are rare and people wait for
them.

Rooms: `s{id}:screen` (projector), `s{id}:fac` (facilitator), `s{id}:plan`
(the facilitator's plan page), `s{id}:phones`, `s{id}:c{collectivite}` (phones of
one collectivité), `p{participant}`; every room is per language (`…:fr`, `…:en`):
a fragment is rendered once per language and each socket gets it in the language
of its page.
"""

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from types import SimpleNamespace

from flask import render_template
from flask_babel import force_locale, get_locale
from sqlmodel import select

from workshop import LANGUAGES
from workshop.db import session_scope
from workshop.extensions import socketio
from workshop.live.connections import connections
from workshop.live.presence import presence
from workshop.models import Need, Participant, Seance
from workshop.services import board as board_service
from workshop.services import plan as plan_service

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.1
PHONE_SECONDS = 0.75
EVENT = "html"


def language() -> str:
    """The language of the page behind the socket being connected (its handshake's)."""
    locale = str(get_locale())
    return locale if locale in LANGUAGES else LANGUAGES[0]


def screen_room(seance_id: int, locale: str) -> str:
    return f"s{seance_id}:screen:{locale}"


def facilitator_room(seance_id: int, locale: str) -> str:
    return f"s{seance_id}:fac:{locale}"


def plan_room(seance_id: int, locale: str) -> str:
    return f"s{seance_id}:plan:{locale}"


def phones_room(seance_id: int, locale: str) -> str:
    return f"s{seance_id}:phones:{locale}"


def collectivite_room(seance_id: int, collectivite_id: int, locale: str) -> str:
    return f"s{seance_id}:c{collectivite_id}:{locale}"


def participant_room(participant_id: int, locale: str) -> str:
    return f"p{participant_id}:{locale}"


class Broadcaster:
    def __init__(self) -> None:
        self.app = None
        self._scheduled: set[int] = set()  # séances whose screens will refresh shortly
        # Phones refresh less often (a thousand of them on venue Wi-Fi), and only for what
        # they show: agents always, dots only once the facilitator has revealed them.
        self._phone_needs: dict[int, set[int]] = {}
        self._phone_dots: dict[int, set[int]] = {}
        self._phone_scheduled: set[int] = set()
        self._flushed: dict[int, float] = {}  # when each séance's last flush started
        self._phones_flushed: dict[int, float] = {}

    def init_app(self, app) -> None:
        self.app = app

    @contextmanager
    def _rendering(self):
        """Contexts of its own (a fresh `g`, so the language forced here never leaks into
        the request that triggered the broadcast): partials build URLs with url_for."""
        with self.app.app_context(), self.app.test_request_context("/"):
            yield

    # --- coalesced --------------------------------------------------------------

    def counts(self, seance_id: int, *need_ids: int, dots_only: bool = False) -> None:
        """Agents or dots changed: screens and facilitator within FLUSH_SECONDS, phones
        within PHONE_SECONDS (the issue's "no phone older than a second").

        A change after a quiet spell goes out at once (once the handler that made it has
        returned); the changes that follow within the period wait for its end, together.
        """
        if seance_id not in self._scheduled:
            self._scheduled.add(seance_id)
            socketio.start_background_task(self._later, seance_id,
                                           self._wait(self._flushed, seance_id, FLUSH_SECONDS))
        if need_ids:
            pending = self._phone_dots if dots_only else self._phone_needs
            pending.setdefault(seance_id, set()).update(need_ids)
            if seance_id not in self._phone_scheduled:
                self._phone_scheduled.add(seance_id)
                socketio.start_background_task(
                    self._phones_later, seance_id,
                    self._wait(self._phones_flushed, seance_id, PHONE_SECONDS))

    @staticmethod
    def _wait(flushed: dict[int, float], seance_id: int, period: float) -> float:
        return max(flushed.get(seance_id, -period) + period - time.monotonic(), 0.0)

    def _later(self, seance_id: int, wait: float) -> None:
        socketio.sleep(wait)
        self._scheduled.discard(seance_id)
        self._flushed[seance_id] = time.monotonic()
        try:
            self.flush(seance_id)
        except Exception:  # a failed render must not kill the next ones
            log.exception("flush failed for séance %s", seance_id)

    def _phones_later(self, seance_id: int, wait: float) -> None:
        socketio.sleep(wait)
        self._phone_scheduled.discard(seance_id)
        self._phones_flushed[seance_id] = time.monotonic()
        needs = self._phone_needs.pop(seance_id, set())
        dots = self._phone_dots.pop(seance_id, set())
        try:
            self.flush_phones(seance_id, needs, dots)
        except Exception:
            log.exception("phone flush failed for séance %s", seance_id)

    def flush(self, seance_id: int) -> None:
        """The screen's board (or plan) and the facilitator's board: one render each, per room."""
        started = time.perf_counter()
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            board = board_service.snapshot(db, seance)
            self._plan(db, seance, board)
            self._localised(partial(facilitator_room, seance_id), "pilotage/_board.html",
                            board=board, oob=True, online=presence.online(seance_id))
        log.debug("flush séance %s: %.1f ms", seance_id, (time.perf_counter() - started) * 1000)

    def flush_phones(self, seance_id: int, needs: set[int], dots: set[int]) -> None:
        """The needs whose figures phones show: one render for the whole room."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            changed = needs | (dots if seance.tallies_visible else set())
            if not changed:
                return  # dots moved but are hidden: phones have nothing new to show
            views = [v for v in board_service.snapshot(db, seance).needs if v.need.id in changed]
            if views:
                self._localised(partial(phones_room, seance_id), "live/_infos.html",
                                views=views, seance=seance)

    def plan(self, seance_id: int, built=None) -> None:
        """The facilitator changed the draft: screens and plan pages re-flow at once.

        `built`: the plan the change was checked with (services.plan.Reflowed), not built again.
        """
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            self._plan(db, seance, board_service.snapshot(db, seance), built)

    def _plan(self, db, seance: Seance, board, built=None) -> None:
        """The screen's board (the plan grid in the plan phase) and the open plan pages."""
        watching = connections.watching_plan(seance.id)
        plan = names = None
        if built is not None:
            plan, names = built.plan, built.names
        elif seance.phase == "plan" or watching:
            plan, names = plan_service.build(db, seance, board)
        self._localised(partial(screen_room, seance.id), "screen/_board.html", board=board,
                        plan=plan, names=names, oob=True)
        if watching:
            self._localised(partial(plan_room, seance.id), "plan/_plan.html", seance=seance,
                            plan=plan, names=names, audience="facilitator", oob=True)

    # --- at once ----------------------------------------------------------------

    def need_added(self, seance_id: int, need_id: int) -> None:
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            view = _view(db, seance, need_id)
            self._localised(partial(phones_room, seance_id), "live/_need_card.html", view=view, seance=seance,
                            audience="phone", mine=None, oob="beforeend:#needs")
        self.counts(seance_id)

    def need_changed(self, seance_id: int, need_id: int) -> None:
        self.counts(seance_id, need_id)

    def need_removed(self, seance_id: int, need_id: int) -> None:
        for locale in LANGUAGES:
            self._emit(phones_room(seance_id, locale),
                       f'<div id="need-{need_id}" hx-swap-oob="delete"></div>')
        self.counts(seance_id)

    def need_restored(self, seance_id: int, need_id: int) -> None:
        """A hidden need comes back: the card for all, then each one's own figures on it."""
        self.need_added(seance_id, need_id)
        self.personal(seance_id, need_id)

    def merged(self, seance_id: int, source_id: int, target_id: int) -> None:
        self.need_removed(seance_id, source_id)
        self.personal(seance_id, target_id)
        self.counts(seance_id, target_id)

    def personal(self, seance_id: int, need_id: int) -> None:
        """Each phone's own dots and its collectivité's agents on one need, to whom they concern."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            view = _view(db, seance, need_id)
            sent: set[int] = set()
            for participant in board_service.concerned(db, need_id):
                mine = board_service.mine(db, seance, participant)
                self._localised(partial(participant_room, participant.id),
                                "phone/_personal.html", view=view, seance=seance, mine=mine,
                                oob=True)
                sent.add(participant.collectivite_id)
            for collectivite_id in board_service.declaring(db, need_id) - sent:
                ours = board_service.ours(db, seance, collectivite_id)
                self._localised(partial(collectivite_room, seance_id, collectivite_id),
                                "phone/_need_ours.html", view=view, seance=seance,
                                ours=ours.get(need_id, {}), oob=True)

    def ours(self, seance_id: int, collectivite_id: int, need_id: int) -> None:
        """A collectivité's figure changed: every phone of that collectivité shows it.

        Only that need's figures are read (no board rebuilt per declaration); the
        totals follow with the coalesced refresh.
        """
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            need = db.get(Need, need_id)
            figures = board_service.ours_for(db, need_id, collectivite_id)
            self._localised(partial(collectivite_room, seance_id, collectivite_id),
                            "phone/_need_ours.html", view=SimpleNamespace(need=need),
                            seance=seance, ours=figures, oob=True)
        self.counts(seance_id, need_id)

    def phase(self, seance_id: int) -> None:
        """Phase, timer, tallies shown or not, budget: the phones' banner and every count."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            self._localised(partial(phones_room, seance_id), "phone/_phase.html",
                            seance=seance, oob=True)
            self._localised(partial(screen_room, seance_id), "screen/_header.html",
                            seance=seance, oob=True)
            # Everyone's dots left, from one query (a phase change must not stall the room).
            spent = board_service.spent(db, seance_id)
            budgets: dict[tuple[str, int], str] = {}  # a few fragments for a thousand phones
            for participant_id in db.exec(select(Participant.id)
                                          .where(Participant.seance_id == seance_id)):
                left = max(seance.dot_budget - spent.get(participant_id, 0), 0)
                for locale in LANGUAGES:
                    if not self._heard(participant_room(participant_id, locale)):
                        continue
                    if (locale, left) not in budgets:
                        with force_locale(locale):
                            budgets[locale, left] = render_template(
                                "phone/_budget.html", seance=seance,
                                mine=board_service.Mine({}, {}, left), oob=True)
                    self._emit(participant_room(participant_id, locale), budgets[locale, left])
            all_needs = {v.need.id for v in board_service.snapshot(db, seance).needs}
        self.counts(seance_id, *all_needs)

    def people(self, seance_id: int) -> None:
        """Someone joined or (dis)connected: the screen's and facilitator's counts."""
        self.counts(seance_id)

    def _heard(self, room: str) -> bool:
        """Whether a room has anyone to reach. With several processes (Redis) the others'
        sockets are not known here: always. Alone, when a socket of this process is in it
        (python-socketio drops a room when its last socket leaves)."""
        if self.app.config.get("REDIS_URL"):
            return True
        return room in socketio.server.manager.rooms.get("/", {})

    def _localised(self, room: Callable[[str], str], template: str, **context) -> None:
        """A fragment rendered in each language someone reads it in, to that language's room."""
        for locale in LANGUAGES:
            if not self._heard(room(locale)):
                continue
            with force_locale(locale):
                html = render_template(template, **context)
            self._emit(room(locale), html)

    def _emit(self, room: str, html: str) -> None:
        socketio.emit(EVENT, html, to=room)


def _view(db, seance: Seance, need_id: int) -> board_service.NeedView:
    board = board_service.snapshot(db, seance)
    for view in board.needs + board.hidden:
        if view.need.id == need_id:
            return view
    raise LookupError(need_id)


broadcaster = Broadcaster()
