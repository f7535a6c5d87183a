"""The one broadcaster: what changed in a séance reaches each audience as HTML fragments.

Store, then tell: the services have committed before anything here runs.
Fragments are the same partials the pages render first, marked for an
out-of-band swap (`hx-swap-oob`); the browser hands them to htmx.

Nothing here is called by a view or a socket handler: the services publish
what changed and `dispatch.py` calls in.

Counting changes (votes, agents) are coalesced: a séance marked dirty is
flushed once per FLUSH_SECONDS at most for screens and the facilitator, and
once per PHONE_SECONDS for the phones (one board snapshot per flush, shared by
every audience it reaches) (the first change after a quiet spell at
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
import threading
import time
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from sqlmodel import select

from workshop import offloop
from workshop.config import LANGUAGES
from workshop.db import session_scope
from workshop.domain import rules
from workshop.extensions import socketio
from workshop.live import internals
from workshop.live.connections import connections
from workshop.live.presence import presence
from workshop.models import Need, Participant, Seance
from workshop.services import board as board_service
from workshop.services import plan as plan_service
from workshop.services import seances

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.1
PHONE_SECONDS = 0.75
# A séance's flushes take at most 1/COST_FACTOR of the loop: the period stretches to
# COST_FACTOR times the last flush's duration when that is longer (see Broadcaster._wait).
COST_FACTOR = 3
EVENT = "html"
EMIT_SLICE = 100  # sockets sent one push before the loop serves the others (see _emit)


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


# --- what each audience is sent: the one set of rules, for pushes and catch-ups ---------

# Wall time the current greenlet spent giving the loop back (`give_way`): not part of what a
# flush costs the loop. Greenlet-local under gevent (monkey-patched `threading.local`).
_away = threading.local()
# A flush due while another of the same séance is rendering or sending looks again this soon.
RETRY_SECONDS = 0.02


def give_way() -> None:
    """Let the loop serve whatever waits (votes to store and acknowledge), then come back,
    counting the time away (`_away`)."""
    started = time.monotonic()
    offloop.give_way()
    _away.seconds = getattr(_away, "seconds", 0.0) + time.monotonic() - started


def render(name: str, **context) -> str:
    """`render_template`, giving the serving loop back between slices of rendering.

    Jinja renders piece by piece (`Template.generate`); `offloop.joined_giving_way` lets the
    votes and pages waiting run between pieces. The contexts (app, request, forced locale) are
    this greenlet's own and stay as they are.
    """
    app = current_app._get_current_object()
    template = app.jinja_env.get_or_select_template(name)
    app.update_template_context(context)
    return offloop.joined_giving_way(template.generate(context), pause=give_way)



def screen_html(db, seance: Seance, board, draft=None) -> str:
    """The projector's board: the plan grid in the plan phase (`plan_service.on_screen`)."""
    if draft is None or seance.phase != "plan":
        draft = plan_service.on_screen(db, seance, board)
    return render("screen/_board.html", board=board, oob=True,
                           plan=draft.plan if draft else None, names=draft.names if draft else None)


def screen_header_html(db, seance: Seance) -> str:
    """The projector's title bar and its countdown (a phase, timer or settings change)."""
    return render_template("screen/_header.html", seance=seance, oob=True,
                           timer_started=seances.timer_started(db, seance))


def facilitator_html(board) -> str:
    return render("pilotage/_board.html", board=board, oob=True,
                           online=presence.online(board.seance.id))


def plan_html(seance: Seance, draft) -> str:
    return render("plan/_plan.html", seance=seance, plan=draft.plan, names=draft.names,
                           audience="facilitator", oob=True)


def phone_html(db, seance: Seance, participant: Participant, board=None) -> str:
    """A phone's whole board, for a reconnection or a `sync`."""
    return render_template("phone/_board.html", seance=seance, oob=True, me=participant.id,
                           board=board or board_service.snapshot(db, seance),
                           mine=board_service.mine(db, seance, participant))


class Broadcaster:
    def __init__(self) -> None:
        self.app = None
        self._dirty: set[int] = set()  # séances whose screens have a change to show
        self._scheduled: set[int] = set()  # séances whose screens will refresh shortly
        # Phones refresh less often (a thousand of them on venue Wi-Fi), and only for what
        # they show: agents always, dots only once the facilitator has revealed them.
        self._phone_needs: dict[int, set[int]] = {}
        self._phone_dots: dict[int, set[int]] = {}
        self._phone_all: set[int] = set()  # séances whose every need changed (a phase)
        self._phone_scheduled: set[int] = set()
        self._flushed: dict[int, float] = {}  # when each séance's last flush started
        self._phones_flushed: dict[int, float] = {}
        self._flushing: set[int] = set()  # séances whose flush is rendering now
        self._phones_sending: set[int] = set()  # séances whose phones' push is going out
        self._cost: dict[int, float] = {}  # how long each séance's last flush took (s)

    def init_app(self, app) -> None:
        self.app = app

    def _rendering(self):
        return internals.rendering(self.app)

    # --- coalesced --------------------------------------------------------------

    def counts(self, seance_id: int, *need_ids: int, dots_only: bool = False,
               every_need: bool = False) -> None:
        """Agents or dots changed: screens and facilitator within FLUSH_SECONDS, phones
        within PHONE_SECONDS (the issue's "no phone older than a second").

        A change after a quiet spell goes out at once (once the handler that made it has
        returned); the changes that follow within the period wait for its end, together.
        """
        self._dirty.add(seance_id)
        self._schedule_screens(seance_id)
        if need_ids or every_need:
            if every_need:
                self._phone_all.add(seance_id)
            pending = self._phone_dots if dots_only else self._phone_needs
            pending.setdefault(seance_id, set()).update(need_ids)
            self._schedule_phones(seance_id)

    def _schedule_screens(self, seance_id: int) -> None:
        if seance_id not in self._scheduled:
            self._scheduled.add(seance_id)
            socketio.start_background_task(self._later, seance_id,
                                           self._wait(self._flushed, seance_id, FLUSH_SECONDS))

    def _schedule_phones(self, seance_id: int) -> None:
        if seance_id not in self._phone_scheduled:
            self._phone_scheduled.add(seance_id)
            socketio.start_background_task(
                self._phones_later, seance_id,
                self._wait(self._phones_flushed, seance_id, PHONE_SECONDS))

    def _wait(self, flushed: dict[int, float], seance_id: int, period: float) -> float:
        """Until the next flush: the period after the last one started, or longer for a big
        board, so that flushing takes at most 1/COST_FACTOR of the loop (a flush costing
        150 ms makes the screens refresh every 450 ms, not every 100 ms)."""
        period = max(period, COST_FACTOR * self._cost.get(seance_id, 0.0))
        wait = max(flushed.get(seance_id, -period) + period - time.monotonic(), 0.0)
        # A flush is rendering or sending now: look again shortly, not at once and again.
        return max(wait, RETRY_SECONDS) if seance_id in self._flushing else wait

    def _later(self, seance_id: int, wait: float) -> None:
        socketio.sleep(wait)
        self._scheduled.discard(seance_id)
        self._run(seance_id, phones=False)

    def _phones_later(self, seance_id: int, wait: float) -> None:
        socketio.sleep(wait)
        self._phone_scheduled.discard(seance_id)
        self._run(seance_id, phones=True)

    def _run(self, seance_id: int, phones: bool) -> None:
        """One flush: the screens if they have news (a phone flush takes them along, from the
        same snapshot), the phones when their period is over.

        One flush of a séance at a time: a render gives the loop back as it goes (`render`),
        so a flush due meanwhile waits for the one running, never sends an older board after
        a newer one."""
        if seance_id in self._flushing or (phones and seance_id in self._phones_sending):
            if phones:
                self._schedule_phones(seance_id)
            else:
                self._schedule_screens(seance_id)
            return
        self._flushing.add(seance_id)
        started = time.monotonic()
        _away.seconds = 0.0
        outbox: list[tuple[str, str]] = []  # the phones' pushes, sent once the flush is done
        try:
            self._flush_now(seance_id, phones, outbox)
        finally:
            self._flushing.discard(seance_id)
            # What the flush cost the loop: its time, less what it gave back to the others.
            self._cost[seance_id] = time.monotonic() - started - _away.seconds
        if outbox:
            # A thousand phones take a while to send to (in slices, `_emit`): the screens'
            # next flush need not wait for it, the phones' next one does (never an older
            # figure after a newer one).
            self._phones_sending.add(seance_id)
            try:
                for room, html in outbox:
                    self._emit(room, html)
            finally:
                self._phones_sending.discard(seance_id)

    def _flush_now(self, seance_id: int, phones: bool, outbox: list) -> None:
        screens = seance_id in self._dirty
        self._dirty.discard(seance_id)
        now = time.monotonic()
        if screens:
            self._flushed[seance_id] = now
        needs: set[int] = set()
        dots: set[int] = set()
        every = False
        if phones:
            self._phones_flushed[seance_id] = now
            needs = self._phone_needs.pop(seance_id, set())
            dots = self._phone_dots.pop(seance_id, set())
            every = seance_id in self._phone_all
            self._phone_all.discard(seance_id)
        if not (screens or phones):
            return
        try:
            self.flush(seance_id, screens, needs, dots, every, outbox)
        except Exception:  # a failed render must not kill the next ones
            log.exception("flush failed for séance %s", seance_id)

    def flush(self, seance_id: int, screens: bool = True, needs: frozenset[int] = frozenset(),
              dots: frozenset[int] = frozenset(), every_need: bool = False,
              outbox: list | None = None) -> None:
        """One board snapshot, rendered for the screens and the facilitator (one render each,
        per room) and for the phones (only the needs whose figures they show; into `outbox`,
        (room, html) pairs for the caller to send, when given)."""
        started = time.perf_counter()
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            board = None
            if screens:
                board = board_service.snapshot(db, seance)
                self._screens(db, seance, board)
                self._localised(partial(facilitator_room, seance_id), facilitator_html, board)
            # Dots moved but hidden: phones have nothing new to show. Dots alone (votes): each
            # moved need's dots line, not the whole need (a few hundred bytes, not a few KB,
            # to a thousand phones on venue Wi-Fi each PHONE_SECONDS).
            dots = set(dots) - set(needs) if seance.tallies_visible and not every_need else set()
            if needs or dots or every_need:
                board = board or board_service.snapshot(db, seance)
                views = [v for v in board.needs if every_need or v.need.id in needs]
                moved = [v for v in board.needs if v.need.id in dots]
                if views or moved:
                    self._localised(partial(phones_room, seance_id), partial(
                        _phone_counts, views, moved, seance), outbox=outbox)
        log.debug("flush séance %s: %.1f ms", seance_id, (time.perf_counter() - started) * 1000)

    def plan(self, seance_id: int, draft=None) -> None:
        """The facilitator changed the draft: screens and plan pages re-flow at once, from the
        draft the service built (`draft`), else from a fresh one."""
        with self._rendering(), session_scope() as db:
            if draft is not None:
                self._screens(db, draft.board.seance, draft.board, draft)
            else:
                seance = db.get(Seance, seance_id)
                self._screens(db, seance, board_service.snapshot(db, seance))

    def _screens(self, db, seance: Seance, board, draft=None) -> None:
        """The screen's board (the plan grid in the plan phase) and the open plan pages."""
        watching = connections.watching_plan(seance.id)
        if draft is None and (seance.phase == "plan" or watching):
            draft = plan_service.draft(db, seance, board)
        self._localised(partial(screen_room, seance.id), screen_html, db, seance, board, draft)
        if watching:
            self._localised(partial(plan_room, seance.id), plan_html, seance, draft)

    # --- at once ----------------------------------------------------------------

    def need_added(self, seance_id: int, need_id: int, board=None) -> None:
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            view = _view(board or board_service.snapshot(db, seance), need_id)
            self._localised(partial(phones_room, seance_id), partial(
                render_template, "live/_need_card.html", view=view, seance=seance,
                audience="phone", mine=None, oob="beforeend:#needs"))
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

    def merged(self, seance_id: int, source_id: int, target_id: int, board=None) -> None:
        """`board`: the snapshot the merge took after its commit, shared by its messages."""
        self.need_removed(seance_id, source_id)
        self.personal(seance_id, target_id, board)
        self.counts(seance_id, target_id)

    def unmerged(self, seance_id: int, source_id: int, target_id: int, result=None) -> None:
        """A merge undone: the duplicate's card comes back for all, each concerned phone gets
        its own figures on both (also those whose figures on the kept need went down to 0).
        `result`: the service's `UnmergeResult` (its board taken after the commit)."""
        board = result.board if result is not None else None
        self.need_added(seance_id, source_id, board)
        self.personal(seance_id, source_id, board, with_budget=True)
        self.personal(seance_id, target_id, board,
                      also=result.participants if result is not None else (),
                      also_collectivites=result.collectivites if result is not None else (),
                      with_budget=True)
        self.counts(seance_id, source_id, target_id)

    def returned(self, seance_id: int, returned) -> None:
        """Dots that no longer fit (`services.board.fitting.Returned`): each of those
        participants' phones says what became of them and why (given back to the budget, or
        not put back on a need that came back), with their budget and dots on the needs that
        changed (`phone/_returned.html`)."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            people = list(db.exec(select(Participant).where(
                Participant.id.in_(sorted(returned.by_participant)))))
            mines = board_service.mine_many(db, seance, people)
            for participant in people:
                given = returned.by_participant[participant.id]
                self._localised(partial(participant_room, participant.id), partial(
                    render_template, "phone/_returned.html", seance=seance, returned=returned,
                    n=returned.count(participant.id), given=given,
                    mine=mines[participant.id], needs=sorted(given), oob=True))
        self.counts(seance_id, *returned.touched, dots_only=True)

    def personal(self, seance_id: int, need_id: int, board=None, also=(),
                 also_collectivites=(), with_budget: bool = False) -> None:
        """Each phone's own dots and its collectivité's agents on one need, to whom they
        concern: everyone's figures read at once, not phone by phone. `also`: participants
        (`also_collectivites`: collectivités) told even if they have nothing left on it;
        `with_budget`: their dots left too (the un-merge gives the duplicate its dots back)."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            view = _view(board or board_service.snapshot(db, seance), need_id)
            concerned = board_service.concerned(db, need_id)
            known = {p.id for p in concerned}
            missing = sorted(set(also) - known)
            if missing:
                concerned += list(db.exec(select(Participant).where(
                    Participant.id.in_(missing))))
            mines = board_service.mine_many(db, seance, concerned)
            sent: set[int] = set()
            for participant in concerned:
                self._localised(partial(participant_room, participant.id), partial(
                    _personal_html, view=view, seance=seance, mine=mines[participant.id],
                    with_budget=with_budget))
                sent.add(participant.collectivite_id)
            others = (board_service.declaring(db, need_id) | set(also_collectivites)) - sent
            if others:
                ours = board_service.ours_of(db, need_id, others)
                for collectivite_id in sorted(others):
                    self._localised(partial(collectivite_room, seance_id, collectivite_id),
                                    partial(render_template, "phone/_need_ours.html", view=view,
                                            seance=seance, ours=ours.get(collectivite_id, {}),
                                            oob=True))

    def ours(self, seance_id: int, collectivite_id: int, need_id: int) -> None:
        """A collectivité's figure changed: every phone of that collectivité shows it.

        Only that need's figures are read (no board rebuilt per declaration); the
        totals follow with the coalesced refresh.
        """
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            need = db.get(Need, need_id)
            figures = board_service.ours_for(db, need_id, collectivite_id)
            self._localised(partial(collectivite_room, seance_id, collectivite_id), partial(
                render_template, "phone/_need_ours.html", view=SimpleNamespace(need=need),
                seance=seance, ours=figures, oob=True))
        self.counts(seance_id, need_id)

    def phase(self, seance_id: int) -> None:
        """Phase, timer, tallies shown or not, budget: the phones' banner, the facilitators'
        controls and every count."""
        with self._rendering(), session_scope() as db:
            seance = db.get(Seance, seance_id)
            self._localised(partial(phones_room, seance_id), partial(
                render_template, "phone/_phase.html", seance=seance, oob=True))
            self._localised(partial(screen_room, seance_id), screen_header_html, db, seance)
            # Every facilitator page of the séance follows phase, timer and settings.
            self._localised(partial(facilitator_room, seance_id), partial(
                render_template, "pilotage/_controls.html", seance=seance, oob=True))
            # Everyone's dots left, from one query (a phase change must not stall the room).
            spent = board_service.spent(db, seance_id)
            budgets: dict[tuple[str, int], str] = {}  # a few fragments for a thousand phones
            people = db.exec(select(Participant.id).where(Participant.seance_id == seance_id))
            for i, participant_id in enumerate(people.all(), start=1):
                if i % EMIT_SLICE == 0:  # a thousand phones' budgets: the loop serves between
                    give_way()
                left = rules.dots_left(seance.dot_budget, spent.get(participant_id, 0))
                for locale in LANGUAGES:
                    if not self._heard(participant_room(participant_id, locale)):
                        continue
                    if (locale, left) not in budgets:
                        with force_locale(locale):
                            budgets[locale, left] = render_template(
                                "phone/_budget.html", seance=seance,
                                mine=board_service.Mine({}, {}, left), oob=True)
                    self._emit(participant_room(participant_id, locale), budgets[locale, left])
        self.counts(seance_id, every_need=True)

    def people(self, seance_id: int) -> None:
        """Someone joined or (dis)connected: the screen's and facilitator's counts."""
        self.counts(seance_id)

    def _heard(self, room: str) -> bool:
        """Whether a room has anyone to reach. With several processes (Redis) the others'
        sockets are not known here: always."""
        if self.app.config.get("REDIS_URL"):
            return True
        return internals.has_members(socketio, room)

    def _localised(self, room: Callable[[str], str], render: Callable[..., str], *args,
                   outbox: list | None = None) -> None:
        """A fragment rendered (`render(*args)`) in each language someone reads it in, to
        that language's room (or, given `outbox`, appended to it as (room, html) to send)."""
        for locale in LANGUAGES:
            if not self._heard(room(locale)):
                continue
            with force_locale(locale):
                html = render(*args)
            if outbox is not None:
                outbox.append((room(locale), html))
            else:
                self._emit(room(locale), html)

    def _emit(self, room: str, html: str) -> None:
        """To everyone in `room`. A big room (a thousand phones) is sent to EMIT_SLICE sockets
        at a time, giving the loop back between two slices: sending one push to a thousand
        sockets is some 40 ms of the loop, during which no vote was stored or acknowledged.
        With several processes (Redis) the room is one message to all of them."""
        if self.app.config.get("REDIS_URL"):
            socketio.emit(EVENT, html, to=room)
            return
        sids = internals.members(socketio, room)
        if len(sids) <= EMIT_SLICE:
            socketio.emit(EVENT, html, to=room)
            return
        for start in range(0, len(sids), EMIT_SLICE):
            socketio.emit(EVENT, html, to=sids[start:start + EMIT_SLICE])
            give_way()


def _phone_counts(views, moved, seance) -> str:
    """What phones are pushed when counts change: whole needs whose agents changed (`views`),
    and only the dots line of those where dots alone moved (`moved`)."""
    html = render("live/_infos.html", views=views, seance=seance) if views else ""
    if moved:
        html += render("live/_votes.html", views=moved, seance=seance)
    return html


def _personal_html(view, seance, mine, with_budget: bool) -> str:
    html = render_template("phone/_personal.html", view=view, seance=seance, mine=mine, oob=True)
    if with_budget:
        html += render_template("phone/_budget.html", seance=seance, mine=mine, oob=True)
    return html


def _view(board, need_id: int) -> board_service.NeedView:
    for view in board.needs + board.hidden:
        if view.need.id == need_id:
            return view
    raise LookupError(need_id)


broadcaster = Broadcaster()
