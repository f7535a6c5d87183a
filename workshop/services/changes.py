"""What changed, said once after each commit: the one way out of every change.

A service stores a change and its event-log row in one transaction, commits,
then calls `publish(Change(kind, ...))` with the kind it recorded
(`"need.merged"`, `"vote.set"`, ...). It does not know who listens: the live
layer subscribes its one dispatcher when the app starts
(`workshop/live/dispatch.py`), which turns changes into renders and emits.
This keeps the arrows pointing down (entry points -> services -> domain)
while the news still goes up, as Claper's contexts broadcast after a write.

A listener runs in the publisher's greenlet, after the commit; one that fails
is logged and never undoes or hides the stored change.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One committed change of a séance.

    kind: the event kind recorded with it (see docs/protocol.md), or `"presence"` for a
    socket that came or went (nothing stored). need_ids: the needs whose figures moved
    (for a merge: source, then target). collectivite_id: whose declaration it was.
    built: what the service already built for its caller and the live layer would
    otherwise rebuild (a re-flowed plan, a board snapshot), passed along as is.
    """

    kind: str
    seance_id: int
    need_ids: tuple[int, ...] = ()
    collectivite_id: int | None = None
    built: Any = None


Listener = Callable[[Change], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Add a listener (once: subscribing it again changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


def publish(change: Change) -> None:
    """Tell every listener, in order. Call it only after the commit that stored the change."""
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:  # the change is stored: a failed broadcast must not turn it into an error
            log.exception("listener failed on %s for séance %s", change.kind, change.seance_id)
