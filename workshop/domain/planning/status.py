"""Each need's status per year: the one truth the screen, the phones, the facilitator, the
plan and the exports show (DOMAIN.md, "one truth per year").

The threshold applies to one year's demand after pooling with the next year
(when the need allows it), never to agents summed over years. The status is
read from the plan engine's own cut (`engine.cut`), so a board that says
"territorialisable en 2028" and a plan that opens the line in 2028 cannot
disagree.
"""

from dataclasses import dataclass

from workshop.domain.messages import Text, msg, nmsg
from workshop.domain.planning.engine import cut
from workshop.domain.planning.model import NeedDemand
from workshop.domain.thresholds import missing_text


@dataclass(frozen=True)
class YearStatus:
    year: int
    asked: int  # agents asked for this year
    pool: int  # agents counted this year: asked, plus earlier ones waiting or carried here
    threshold: int
    state: str  # "open" (its agents are territorialised), "short", "statutory" or "none"
    at: int | None = None  # "open": the year its agents' line opens (this one or a later one)
    missing: int = 0  # "short": trainees missing in the largest pool its agents were tried in

    @property
    def opens_here(self) -> bool:
        return self.state == "open" and self.at == self.year

    @property
    def pooled_in(self) -> int:
        """Agents of earlier years counted in this year's line (0 unless a line opens here)."""
        return self.pool - self.asked if self.opens_here else 0

    def share(self, n: int) -> float:
        """n against the bar's scale (the threshold, or more when above), 0 to 1, for SVG."""
        scale = max(self.threshold, self.asked + self.pooled_in, 1)
        return n / scale

    @property
    def threshold_at(self) -> float:
        return self.share(self.threshold)

    def sentence(self) -> Text:
        """A short label of the year's bar: '2027 : 13, regroupés en 2028'."""
        if self.state == "statutory":
            return msg("%(year)s : %(n)s, statutaire", year=self.year, n=self.asked)
        if self.opens_here:
            return nmsg("%(year)s : %(n)s stagiaire, territorialisable",
                        "%(year)s : %(n)s stagiaires, territorialisable", self.pool, year=self.year)
        if self.state == "open":
            return msg("%(year)s : %(n)s, regroupés en %(at)s", year=self.year, n=self.asked,
                       at=self.at)
        if self.state == "short":
            return nmsg("%(year)s : %(asked)s, %(n)s manquant", "%(year)s : %(asked)s, %(n)s manquants",
                        self.missing, year=self.year, asked=self.asked)
        return msg("%(year)s : aucun", year=self.year)


@dataclass(frozen=True)
class NeedStatus:
    years: tuple[YearStatus, ...]  # one per horizon year, in order
    threshold: int
    statutory: bool = False
    after: int = 0  # agents asked after the horizon

    @property
    def total(self) -> int:
        """Agents declared over every year (a count, never compared with the threshold)."""
        return sum(y.asked for y in self.years) + self.after

    @property
    def open_years(self) -> tuple[int, ...]:
        return tuple(y.year for y in self.years if y.opens_here)

    @property
    def reached(self) -> bool:
        return bool(self.open_years)

    @property
    def closest(self) -> YearStatus | None:
        """The short year nearest to its threshold (earliest on a tie)."""
        short = [y for y in self.years if y.state == "short"]
        return min(short, key=lambda y: (y.missing, y.year)) if short else None

    @property
    def missing(self) -> int:
        """Trainees missing in the year nearest to the threshold; 0 once a year is reached."""
        if self.reached or self.statutory:
            return 0
        closest = self.closest
        return closest.missing if closest else self.threshold

    @property
    def missing_year(self) -> int | None:
        closest = None if self.reached else self.closest
        return closest.year if closest else None

    @property
    def ratio(self) -> float:
        """The best year's pool against the threshold, 0 to 1."""
        best = max((y.pool for y in self.years), default=0)
        return min(best / self.threshold, 1.0) if self.threshold else 1.0

    def sentence(self) -> Text:
        if self.statutory:
            return msg("Formation statutaire, organisée par le CNFPT pour chaque agent")
        if self.total == 0:
            return msg("Aucun agent déclaré (seuil : %(threshold)s)", threshold=self.threshold)
        if self.reached:
            return msg("Seuil de %(threshold)s atteint en %(year)s", threshold=self.threshold,
                       year=", ".join(str(y) for y in self.open_years))
        if self.missing_year is None:
            return msg("Demandée après l'horizon du plan")
        return missing_text(self.missing, self.threshold, self.missing_year)


def need_status(need: NeedDemand, years: tuple[int, ...]) -> NeedStatus:
    """One need's status for each year of the horizon, by the plan's own rules."""
    years = tuple(sorted(set(years)))
    if not years:
        return NeedStatus((), need.theme.threshold)
    made = cut(need, years)
    after = sum(n for (_, year), n in need.demand.items() if year > years[-1] and n > 0)
    return NeedStatus(tuple(YearStatus(f.year, f.asked, f.pool, need.theme.threshold, f.state, f.at,
                                       f.missing) for f in made.fates.values()),
                      need.theme.threshold, bool(made.statutory), after)
