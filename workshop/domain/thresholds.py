"""A need's declared agents against its theme's threshold: one function says it everywhere."""

from dataclasses import dataclass


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

    def sentence(self) -> str:
        if self.total == 0:
            return f"Aucun agent déclaré (seuil : {self.threshold})"
        if self.reached:
            return f"Seuil de {self.threshold} atteint en {self.best_year}"
        return missing_text(self.missing, self.threshold)


def missing_text(missing: int, threshold: int) -> str:
    """'1 stagiaire manquant pour atteindre 15': the board, the plan and the exports say it so."""
    s = "s" if missing > 1 else ""
    return f"{missing} stagiaire{s} manquant{s} pour atteindre {threshold}"


def trainees(n: int) -> str:
    return f"{n} stagiaire{'s' if n > 1 else ''}"


def status(agents_by_year: dict[int, int], threshold: int) -> Status:
    best_year, best = None, 0
    for year in sorted(agents_by_year):
        if agents_by_year[year] > best:
            best_year, best = year, agents_by_year[year]
    return Status(sum(agents_by_year.values()), best_year, best, threshold)
