"""The board of a séance: needs, declared agents and dots.

Four modules, one import: `writes` (needs and declarations, one transaction
each), `ballots` (the one place a vote is applied: the group-committed fast
path), `reads` (the snapshot and each phone's figures), `fitting` (dots that
no longer fit go back to their owners). `checks` holds what both write
paths check, over the same attribute names. Every write commits with its
event-log row, then publishes what changed (`services.changes`).
"""

from workshop.domain.rules import Refusal
from workshop.services.board.ballots import Ballot, VoteResult, cast_many, vote
from workshop.services.board.reads import (
    Board,
    Mine,
    NeedView,
    People,
    authors,
    concerned,
    declaring,
    demand_of,
    horizon,
    mine,
    mine_many,
    ours,
    ours_for,
    ours_of,
    snapshot,
    spent,
    theme_rule,
    themes,
)
from workshop.services.board.writes import (
    BAD_CATEGORY,
    DETAILS_MAX,
    TITLE_MAX,
    MergeResult,
    UnmergeResult,
    add_need,
    declare,
    edit,
    merge,
    merge_many,
    open_need,
    set_hidden,
    unmerge,
)

__all__ = [
    "BAD_CATEGORY", "DETAILS_MAX", "TITLE_MAX", "Ballot", "Board", "MergeResult", "Mine", "NeedView",
    "People", "authors",
    "Refusal", "VoteResult", "add_need", "cast_many", "concerned", "declare", "declaring", "demand_of",
    "edit", "horizon", "merge", "merge_many", "mine", "mine_many", "open_need", "ours", "ours_for", "ours_of",
    "set_hidden", "snapshot", "spent", "theme_rule", "themes", "UnmergeResult", "unmerge", "vote",
]
