"""A need's declared agents against its theme's threshold: one function says it everywhere."""

from dataclasses import dataclass

from workshop.domain.messages import Message, msg, nmsg


@dataclass(frozen=True)
class Status:
    total: int  # agents over all years
    best_year: int | None  # the year with the most agents
    best: int  # agents that year
    threshold: int

    @property
    def reached(self) -> bool:
        return self.best >= self.threshold

    @property
    def missing(self) -> int:
        return max(self.threshold - self.best, 0)

    @property
    def ratio(self) -> float:
        """How far the best year is towards the threshold, 0 to 1 (for a bar)."""
        return min(self.best / self.threshold, 1.0) if self.threshold else 1.0

    def sentence(self) -> Message:
        if self.total == 0:
            return msg("Aucun agent déclaré (seuil : %(threshold)s)", threshold=self.threshold)
        if self.reached:
            return msg("Seuil de %(threshold)s atteint en %(year)s", threshold=self.threshold,
                       year=self.best_year)
        return missing_text(self.missing, self.threshold)


def missing_text(missing: int, threshold: int) -> Message:
    """'1 stagiaire manquant pour atteindre 15': the board, the plan and the exports say it so."""
    return nmsg("%(n)s stagiaire manquant pour atteindre %(threshold)s",
                "%(n)s stagiaires manquants pour atteindre %(threshold)s", missing, threshold=threshold)


def trainees(n: int) -> Message:
    return nmsg("%(n)s stagiaire", "%(n)s stagiaires", n)


def status(agents_by_year: dict[int, int], threshold: int) -> Status:
    best_year, best = None, 0
    for year in sorted(agents_by_year):
        if agents_by_year[year] > best:
            best_year, best = year, agents_by_year[year]
    return Status(sum(agents_by_year.values()), best_year, best, threshold)
