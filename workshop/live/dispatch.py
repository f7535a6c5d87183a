"""The one dispatcher: what changed (`services.changes`) becomes renders and emits.

Services commit and publish a `Change`; this module, subscribed when the app
starts, decides who must hear it and asks the broadcaster for it. No view and
no socket handler calls the broadcaster: a new change kind is one line of
`ROUTES`. Kinds without a route (a participant joined: the screen counts them
when their socket connects) reach nobody.
"""

import logging

from flask import current_app, has_app_context

from workshop.live.broadcast import broadcaster
from workshop.services import changes
from workshop.services.changes import Change

log = logging.getLogger(__name__)


def _phase(change: Change) -> None:
    broadcaster.phase(change.seance_id)


def _plan(change: Change) -> None:
    broadcaster.plan(change.seance_id, change.built)


def _people(change: Change) -> None:
    broadcaster.people(change.seance_id)


ROUTES = {
    "need.added": lambda c: broadcaster.need_added(c.seance_id, c.need_ids[0]),
    "need.edited": lambda c: broadcaster.need_changed(c.seance_id, c.need_ids[0]),
    "need.hidden": lambda c: broadcaster.need_removed(c.seance_id, c.need_ids[0]),
    "need.shown": lambda c: broadcaster.need_restored(c.seance_id, c.need_ids[0]),
    "need.merged": lambda c: broadcaster.merged(c.seance_id, *c.need_ids, board=c.built),
    "need.unmerged": lambda c: broadcaster.unmerged(c.seance_id, *c.need_ids, result=c.built),
    "vote.returned": lambda c: broadcaster.returned(c.seance_id, c.built),
    "demand.declared": lambda c: broadcaster.ours(c.seance_id, c.collectivite_id, c.need_ids[0]),
    "vote.set": lambda c: broadcaster.counts(c.seance_id, *c.need_ids, dots_only=True),
    "seance.phase": _phase, "seance.settings": _phase, "seance.timer": _phase,
    "seance.closed": _phase, "seance.reopened": _phase,
    "participant.proxy_created": _people, "participant.changed": _people, "presence": _people,
    "plan.pinned": _plan, "plan.unpinned": _plan, "plan.host": _plan, "plan.split": _plan,
    "plan.joined": _plan, "plan.capacity": _plan, "plan.horizon": _plan,
    "plan.pooled": _plan, "plan.unpooled": _plan,
}


def dispatch(change: Change) -> None:
    """Route one change. Only for the app the live layer serves: a service called from a
    script or a test without that app publishes to nobody."""
    if not has_app_context() or current_app._get_current_object() is not broadcaster.app:
        return
    route = ROUTES.get(change.kind)
    if route is not None:
        route(change)


def init_app(app) -> None:
    changes.subscribe(dispatch)


def presence_changed(seance_id: int) -> None:
    """A socket of the séance came or went: its counts follow (nothing is stored)."""
    changes.publish(Change("presence", seance_id))
