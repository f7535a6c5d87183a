"""How the board, the plan and the exports say a shortfall: one function says it everywhere.

A need's status per year is `workshop.domain.planning.need_status` (the plan's own rule).
"""

from workshop.domain.messages import Message, nmsg


def missing_text(missing: int, threshold: int, year: int | None = None) -> Message:
    """'1 stagiaire manquant pour atteindre 15' (en 2027): the board, the plan and the exports say it so."""
    if year is not None:
        return nmsg("%(n)s stagiaire manquant pour atteindre %(threshold)s en %(year)s",
                    "%(n)s stagiaires manquants pour atteindre %(threshold)s en %(year)s", missing,
                    threshold=threshold, year=year)
    return nmsg("%(n)s stagiaire manquant pour atteindre %(threshold)s",
                "%(n)s stagiaires manquants pour atteindre %(threshold)s", missing, threshold=threshold)


def trainees(n: int) -> Message:
    return nmsg("%(n)s stagiaire", "%(n)s stagiaires", n)


def status(agents_by_year: dict[int, int], threshold: int, poolable: bool = True):
    """The per-year status of demand known only per year (an imported plan's preview).

    Same rule as the board: `planning.need_status` on that demand, over the years it spans.
    """
    from workshop.domain.planning import NeedDemand, ThemeRule, need_status

    rule = ThemeRule("", "", threshold, threshold, 1, "cotisation", "", poolable=poolable)
    years = tuple(range(min(agents_by_year), max(agents_by_year) + 1)) if agents_by_year else ()
    need = NeedDemand(0, "", rule, {(0, y): n for y, n in agents_by_year.items()}, 0)
    return need_status(need, years)
