"""The engine's data: what goes in, what comes out."""

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from workshop.domain.limits import RECURRENCE_YEARS_MAX, THEME_DAYS_MAX
from workshop.domain.messages import Text

# Kinds of training (law 2007-209 of 19 February 2007, DOMAIN.md "kind of training").
KINDS = ("integration", "professionnalisation", "perfectionnement", "concours", "sante_securite")
KIND_LABELS = {
    "integration": "Intégration",
    "professionnalisation": "Professionnalisation",
    "perfectionnement": "Perfectionnement",
    "concours": "Préparation aux concours et examens",
    "sante_securite": "Santé-sécurité réglementaire",
}
# Statutory: organised by the CNFPT for each agent, never territorialised against a threshold.
STATUTORY = frozenset({"integration", "professionnalisation"})
CATEGORIES = ("A", "B", "C")
FINANCINGS = ("cotisation", "payant")


def theme_problems(code: str, threshold, max_group, days, financing, recurrence_years=0,
                   kind="perfectionnement", cost_per_day=0, renewal_days=0) -> list[str]:
    """What makes a theme's figures impossible, one French sentence per field (empty: fine).

    The catalogue loader refuses such a theme and ThemeRule cannot be built with
    one, so the engine never divides by a zero threshold nor frees capacity with
    negative days.
    """
    problems = []

    def whole(value, low: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    if not whole(threshold, 1):
        problems.append(f"thème {code}, champ threshold : {threshold!r} (au moins 1 stagiaire)")
    if not whole(max_group, 1) or (whole(threshold, 1) and max_group < threshold):
        problems.append(f"thème {code}, champ max_group : {max_group!r} "
                        f"(au moins le seuil, {threshold!r})")
    if not whole(days, 1) or days > THEME_DAYS_MAX:
        problems.append(f"thème {code}, champ days : {days!r} (de 1 à {THEME_DAYS_MAX} jours)")
    if financing not in FINANCINGS:
        problems.append(f"thème {code}, champ financing : {financing!r} (cotisation ou payant)")
    if not whole(renewal_days, 0) or renewal_days > THEME_DAYS_MAX:
        problems.append(f"thème {code}, champ renewal_days : {renewal_days!r} "
                        f"(de 0 à {THEME_DAYS_MAX} jours)")
    if not whole(recurrence_years, 0) or recurrence_years > RECURRENCE_YEARS_MAX:
        problems.append(f"thème {code}, champ recurrence_years : {recurrence_years!r} "
                        f"(de 0 à {RECURRENCE_YEARS_MAX})")
    if kind not in KINDS:
        problems.append(f"thème {code}, champ kind : {kind!r} ({', '.join(KINDS)})")
    if isinstance(cost_per_day, bool) or not isinstance(cost_per_day, int | float) or cost_per_day < 0:
        problems.append(f"thème {code}, champ cost_per_day : {cost_per_day!r} (euros, 0 ou plus)")
    return problems


@dataclass(frozen=True)
class ThemeRule:
    code: str
    name: str
    threshold: int  # trainees needed to open a territorialised session
    max_group: int
    days: int  # per session
    financing: str  # "cotisation" or "payant"
    financing_reason: str
    recurrence_years: int = 0  # 0: one-off
    poolable: bool = True  # demand below threshold may be pooled with the next year
    kind: str = "perfectionnement"  # one of KINDS
    cost_per_day: float = 0  # euros per trainee and day, for payant themes
    renewal_days: int = 0  # days of a renewal session (MAC SST: 1); 0: as the first session

    def __post_init__(self):
        problems = theme_problems(self.code, self.threshold, self.max_group, self.days,
                                  self.financing, self.recurrence_years, self.kind, self.cost_per_day,
                                  self.renewal_days)
        if problems:
            raise ValueError("; ".join(problems))


_KEY = re.compile(r"^(\d+):(\d{4}|apres)((?::(?:reste|g\d+|r\d+))*)$")


class LineKey(NamedTuple):
    """A line's stable name: `<need>:<year>[:reste][:g<i>][:r<n>]`, or `<need>:apres`.

    It stays the same while the board moves, so pins, hosts and splits follow
    it; `str()` is what the database and the exports store, `parse()` the only
    reader of that text.
    """

    need_id: int
    year: int  # the year its agents asked for (0 for "apres": after the horizon)
    part: str = ""  # "", "reste" (beyond full groups) or "apres"
    group: int = 0  # i-th group of a split line
    renewal: int = 0  # n-th renewal

    def __str__(self) -> str:
        if self.part == "apres":
            return f"{self.need_id}:apres"
        text = f"{self.need_id}:{self.year}"
        if self.part:
            text += f":{self.part}"
        if self.group:
            text += f":g{self.group}"
        if self.renewal:
            text += f":r{self.renewal}"
        return text

    @classmethod
    def parse(cls, text) -> "LineKey | None":
        """The key a string names, or None when it names none (a form, a file, an old row)."""
        if isinstance(text, LineKey):
            return text
        if isinstance(text, tuple):
            return None
        found = _KEY.match(str(text).strip()) if text is not None else None
        if not found:
            return None
        need, year, rest = found.groups()
        key = cls(int(need), 0, "apres") if year == "apres" else cls(int(need), int(year))
        group = renewal = 0
        part = key.part
        for piece in filter(None, rest.split(":")):
            if piece == "reste":
                part = "reste"
            elif piece[0] == "g":
                group = int(piece[1:])
            else:
                renewal = int(piece[1:])
        return cls(key.need_id, key.year, part, group, renewal)

    @property
    def whole(self) -> "LineKey":
        """The key of the line before it was split into groups."""
        return LineKey(self.need_id, self.year, self.part, 0, self.renewal)

    def with_(self, group: int | None = None, renewal: int | None = None) -> "LineKey":
        return LineKey(self.need_id, self.year, self.part, self.group if group is None else group,
                       self.renewal if renewal is None else renewal)

    def replace_need(self, ref: str) -> str:
        """The same key with another name for its need (the JSON export's `n1`)."""
        return ref + str(self)[len(str(self.need_id)):]


@dataclass(frozen=True)
class NeedDemand:
    """One need of the board (merges already applied) with its declared agents."""

    need_id: int
    title: str
    theme: ThemeRule
    demand: dict[tuple[int, int], int]  # (collectivite_id, year) -> agents
    priority: int  # 1 = most wanted (from the vote, ties broken by demand, then sharing)
    dots: int = 0
    score: int | float = 0
    kind: str | None = None  # None: the theme's kind
    pool_years: int | None = None  # how long demand may wait; None: 1 if the theme is poolable
    categories: tuple[str, ...] = ()  # the agents' categories (A, B, C) when declared

    @property
    def window(self) -> int:
        if self.pool_years is not None:
            return max(self.pool_years, 0)
        return 1 if self.theme.poolable else 0

    @property
    def training_kind(self) -> str:
        return self.kind or self.theme.kind


@dataclass(frozen=True)
class Pooling:
    """An accepted pooling of one of our lines below threshold with another perimeter's line of
    the same theme and year (issue 17, item 9): the engine decides whether it still holds.

    `theirs`: the other line's trainees now, per collectivité name (empty: it has no such
    line any more). Both séances see the same pooling from their own side.
    """

    id: int  # the stored acceptance
    key: "LineKey"  # our line (below threshold on its own)
    partner: str  # the other perimeter's name
    seance_id: int  # the other séance
    seance_title: str
    their_key: "LineKey"
    theirs: tuple[tuple[str, int], ...] = ()  # (collectivité name, trainees), their line now
    their_ids: frozenset[int] = frozenset()  # the collectivités with agents on their line now

    @property
    def their_total(self) -> int:
        return sum(n for _, n in self.theirs)


@dataclass(frozen=True)
class LapsedPooling:
    """An accepted pooling that no longer holds (figures moved): shown, never dropped silently."""

    pooling: Pooling
    why: Text


@dataclass(frozen=True)
class PlanInput:
    years: tuple[int, ...]  # the horizon, in order
    needs: tuple[NeedDemand, ...]
    capacity: dict[int, int]  # training days the perimeter can host per year
    coordinator_id: int | None = None
    pins: dict[LineKey, int] = field(default_factory=dict)  # line key -> year
    hosts: dict[LineKey, int] = field(default_factory=dict)  # line key -> collectivité
    splits: frozenset[LineKey] = frozenset()  # line keys split into one line per group
    names: dict[int, str] = field(default_factory=dict)  # collectivité names, for sentences
    costs: dict[str, float] = field(default_factory=dict)  # theme code -> € per trainee-day (séance)
    poolings: dict[LineKey, Pooling] = field(default_factory=dict)  # our line key -> accepted pooling


@dataclass(slots=True)
class Line:
    """One action of the plan: a need's trainees for one year, in one or more groups."""

    key: LineKey
    need_id: int
    title: str
    theme: ThemeRule
    asked_year: int  # the earliest year it may take place
    trainees: dict[int, int]  # collectivité -> trainees on this line
    groups: list[int]  # group sizes; empty when not territorialised
    territorialised: bool
    priority: int
    dots: int = 0
    score: int | float = 0
    # Placed year; a line below threshold or statutory keeps the year its agents asked for;
    # None only when no year had room, or for demand after the horizon.
    year: int | None = None
    host_id: int | None = None
    host_chosen: bool = False  # the facilitator chose the host
    pinned: bool = False
    pin_from: LineKey | None = None  # the pin was set on this key and followed the need here
    renewal: int = 0  # 0 for the first session, n for the n-th renewal
    missing: int = 0  # trainees missing to reach the threshold (in the pool it was tried in)
    pool: int = 0  # trainees in the largest pool this line's agents were tried in
    carried: dict[int, int] = field(default_factory=dict)  # trainees moved to a later line
    carried_in: int = 0  # trainees carried in from an earlier line's full groups
    pooled_from: dict[int, int] = field(default_factory=dict)  # earlier year -> agents pooled here
    pooled_with: tuple[int, ...] = ()  # (below threshold) other years tried with, in vain
    tried_until: int | None = None  # (below threshold) the last year its agents could wait for
    window: int = 1  # years the need's demand may wait
    over_capacity: bool = False  # a pin forced it into a full year
    skipped: tuple[int, ...] = ()  # years before it that had no room
    # Why those years had no room: ("size" | "pins" | "better" | "equal", years), see engine.
    skipped_by: tuple[tuple[str, tuple[int, ...]], ...] = ()
    kind: str = "perfectionnement"
    categories: tuple[str, ...] = ()
    cost_per_day: float = 0  # € per trainee and day (the séance's figure, else the catalogue's)
    # Pooled with another perimeter's line (territorialised together, one group): the pooling,
    # and the host across both perimeters (its name; host_id is set when it is one of ours).
    pooling: Pooling | None = None
    pool_host: str = ""
    # The horizon and capacities the engine placed it with: its sentence is written from
    # them when first read (a re-flow pays for no sentence nobody reads).
    context: tuple = field(default=((), {}), repr=False, compare=False)
    _why: Text | None = field(default=None, repr=False, compare=False)

    @property
    def why(self) -> Text:
        """Why it is where it is, one short clause per reason (explain.py), translatable."""
        if self._why is None:
            from workshop.domain.planning.explain import explain

            self._why = explain(self, *self.context)
        return self._why

    @property
    def reason(self) -> str:
        """Why, in French (the CSV and XLSX exports, the tests)."""
        return str(self.why)

    @property
    def total(self) -> int:
        return sum(self.trainees.values())

    @property
    def session_days(self) -> int:
        """Days of one session: a renewal may be shorter (MAC SST: 1 day)."""
        return self.theme.renewal_days if self.renewal and self.theme.renewal_days else self.theme.days

    @property
    def days(self) -> int:
        return len(self.groups) * self.session_days

    @property
    def financing(self) -> str:
        return self.theme.financing

    @property
    def statutory(self) -> bool:
        return self.kind in STATUTORY

    @property
    def pooled_total(self) -> int:
        """Trainees in the session: ours, plus the other perimeter's when pooled."""
        return self.total + (self.pooling.their_total if self.pooling else 0)

    def host_name(self, names: dict[int, str]) -> str:
        """The host's name: one of ours, or the other perimeter's collectivité of a pooled line."""
        if self.pooling is not None and self.host_id is None:
            return self.pool_host
        return names.get(self.host_id, "") if self.host_id is not None else ""

    @property
    def shown_year(self) -> int:
        """The year a table shows: placed, else the year its agents asked for."""
        return self.year if self.year is not None else self.asked_year

    def cost_of(self, trainees: int) -> int:
        """Estimated cost in whole euros of `trainees` on this line (payant only, else 0)."""
        if self.theme.financing != "payant":
            return 0
        return round(trainees * self.session_days * self.cost_per_day)

    @property
    def cost(self) -> int:
        """Estimated cost in euros: the sum of each collectivité's share (so totals add up)."""
        return sum(self.cost_of(n) for n in self.trainees.values())


@dataclass(frozen=True)
class StalePin:
    """A pin the facilitator set that no line takes any more, shown so it is not lost silently."""

    key: LineKey
    year: int
    why: Text


@dataclass
class Plan:
    years: tuple[int, ...]
    lines: list[Line]  # territorialised lines, by year then priority
    below: list[Line]  # not territorialised: shortfall and options
    unplaced: list[Line]  # territorialised but no year had room
    used: dict[int, int]  # days used per year
    capacity: dict[int, int]
    statutory: list[Line] = field(default_factory=list)  # intégration, professionnalisation
    stale_pins: list[StalePin] = field(default_factory=list)
    lapsed_poolings: list[LapsedPooling] = field(default_factory=list)

    def in_year(self, year: int) -> list[Line]:
        return [line for line in self.lines if line.year == year]

    @property
    def all_lines(self) -> list[Line]:
        return self.lines + self.unplaced + self.below + self.statutory

    def line(self, key) -> Line | None:
        key = LineKey.parse(key)
        return next((line for line in self.all_lines if line.key == key), None)

    def costs(self) -> "Costs":
        """Estimated cost of the placed payant lines, per collectivité and per year (euros)."""
        by_collectivite: dict[int, int] = {}
        by_year = {y: 0 for y in self.years}
        for line in self.lines:
            if line.theme.financing != "payant":
                continue
            for collectivite, n in line.trainees.items():
                by_collectivite[collectivite] = by_collectivite.get(collectivite, 0) + line.cost_of(n)
            by_year[line.year] += line.cost
        return Costs(by_collectivite, by_year)


@dataclass(frozen=True)
class Costs:
    by_collectivite: dict[int, int]  # collectivité -> euros over the horizon
    by_year: dict[int, int]  # year -> euros

    @property
    def total(self) -> int:
        return sum(self.by_year.values())
