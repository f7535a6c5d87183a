"""Pooling across perimeters (issue 17, item 9): whether our line below threshold and another
perimeter's line of the same theme and year make one session. One rule for the proposals
(`services/pooling.offers`), the acceptance (`services/pooling.accept`) and the engine, which
re-checks every accepted pooling on each build (`engine._pool`, `Plan.lapsed_poolings`).

Agents of one collectivité are never counted twice: when a collectivité has agents on both
lines (a séance imported again as a copy, two perimeters sharing communes), the two lines
are not pooled, whatever the figures. Rule source: DOMAIN.md (one truth per number) and
docs/planning.md, "Pooling with another perimeter".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workshop.domain.messages import Text, msg
from workshop.domain.planning.model import Line

SHARED = "memes_collectivites"  # a collectivité has agents on both lines
UNDER = "sous_le_seuil"  # together below the theme's threshold
OVER = "groupe_depasse"  # together above the theme's maximum group


@dataclass(frozen=True)
class PoolingCheck:
    """The verdict on two lines: `code` None when they make one session, else SHARED, UNDER or
    OVER with `why` (a clause, French msgid); `total` trainees of both lines; `shared` the
    collectivité ids on both lines, sorted."""

    total: int
    code: str | None = None
    why: Text | None = None
    shared: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is None


def check(line: Line, their_collectivites: Iterable[int], their_total: int,
          names: Mapping[int, str]) -> PoolingCheck:
    """Whether `line` (ours, below threshold on its own) and the other perimeter's line (its
    collectivités with agents, by id, and its trainees) make one session.

    In this order: no collectivité on both lines (else SHARED, its names from `names`, ours);
    together at least the theme's threshold (else UNDER) and at most its maximum group (else
    OVER). The caller checks that both lines are of the same theme and year.
    """
    ours = {c for c, n in line.trainees.items() if n > 0}
    total, threshold, largest = line.total + their_total, line.theme.threshold, line.theme.max_group
    shared = tuple(sorted(ours & set(their_collectivites)))
    if shared:
        return PoolingCheck(total, SHARED, msg(
            "agents de %(names)s sur les deux lignes : ils seraient comptés deux fois",
            names=", ".join(sorted(names.get(c, "?") for c in shared))), shared)
    if total < threshold:
        return PoolingCheck(total, UNDER, msg("%(ours)s + %(theirs)s = %(total)s, sous le seuil de "
                                              "%(threshold)s", ours=line.total, theirs=their_total,
                                              total=total, threshold=threshold))
    if total > largest:
        return PoolingCheck(total, OVER, msg("%(total)s stagiaires dépassent le groupe maximal de %(max)s",
                                             total=total, max=largest))
    return PoolingCheck(total)
