"""What a board write checks before it touches anything, said once for every path.

The ORM path passes model objects (`Need`, `Participant`, `Seance`); the vote's
fast path (`ballots`) passes the named rows it read in bulk, with the same
attribute names. Both end in the same domain rules (`rules.open_need`,
`phases.participant_may`).
"""

from datetime import datetime
from typing import NamedTuple

from workshop.domain import phases, rules
from workshop.domain.rules import Refusal


class NeedRow(NamedTuple):
    """A need as the vote reads it (the `need` table's columns of the same names)."""

    id: int
    seance_id: int
    hidden: bool
    merged_into_id: int | None


class VoterRow(NamedTuple):
    """A participant with their séance's vote settings, as the vote reads them."""

    id: int
    seance_id: int
    is_proxy: bool
    phase: str
    closed_at: datetime | str | None
    dot_budget: int
    max_dots_per_need: int


NOBODY = VoterRow(0, 0, False, "", None, 0, 0)  # an id that names no participant


def need_refusal(need, seance_id: int) -> Refusal | None:
    """None if `need` (a Need, a NeedRow or None) is on the board of séance `seance_id`."""
    in_seance = need is not None and need.seance_id == seance_id
    return rules.open_need(in_seance, in_seance and need.merged_into_id is not None,
                           in_seance and bool(need.hidden))


def participant_refusal(participant, seance_id: int, phase: str, closed_at,
                        action: str) -> Refusal | None:
    """None if `participant` (a Participant or a VoterRow) may `action` in séance
    `seance_id`, whose phase and closing time are given."""
    return phases.participant_may(participant.seance_id == seance_id, bool(participant.is_proxy),
                                  phase, action, closed_at is not None)
