"""The engine's data: what goes in, what comes out."""

from dataclasses import dataclass, field

from workshop.domain.messages import Text


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
    poolable: bool = True  # demand below threshold may wait for the next year


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


@dataclass(frozen=True)
class PlanInput:
    years: tuple[int, ...]  # the horizon, in order
    needs: tuple[NeedDemand, ...]
    capacity: dict[int, int]  # training days the perimeter can host per year
    coordinator_id: int | None = None
    pins: dict[str, int] = field(default_factory=dict)  # line key -> year
    hosts: dict[str, int] = field(default_factory=dict)  # line key -> collectivité
    splits: frozenset[str] = frozenset()  # line keys split into one line per group
    names: dict[int, str] = field(default_factory=dict)  # collectivité names, for sentences


@dataclass
class Line:
    """One action of the plan: a need's trainees for one year, in one or more groups."""

    key: str  # stable across re-flows: "<need>:<first year>[:r<n>][:g<i>]"
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
    year: int | None = None  # placed year; None when not territorialised or no room
    host_id: int | None = None
    host_chosen: bool = False  # the facilitator chose the host
    pinned: bool = False
    renewal: int = 0  # 0 for the first session, n for the n-th renewal
    missing: int = 0  # trainees missing to reach the threshold
    carried: dict[int, int] = field(default_factory=dict)  # trainees moved to a later line
    pooled_from: tuple[int, ...] = ()  # earlier years whose demand waited for this one
    over_capacity: bool = False  # a pin forced it into a full year
    why: Text = ""  # why it is where it is (filled by the explainer), translatable

    @property
    def reason(self) -> str:
        """Why, in French (the CSV and XLSX exports, the tests)."""
        return str(self.why)

    @property
    def total(self) -> int:
        return sum(self.trainees.values())

    @property
    def days(self) -> int:
        return len(self.groups) * self.theme.days

    @property
    def financing(self) -> str:
        return self.theme.financing


@dataclass
class Plan:
    years: tuple[int, ...]
    lines: list[Line]  # territorialised lines, by year then priority
    below: list[Line]  # not territorialised: shortfall and options
    unplaced: list[Line]  # territorialised but no year had room
    used: dict[int, int]  # days used per year
    capacity: dict[int, int]

    def in_year(self, year: int) -> list[Line]:
        return [line for line in self.lines if line.year == year]

    @property
    def all_lines(self) -> list[Line]:
        return self.lines + self.unplaced + self.below
