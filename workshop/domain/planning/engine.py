"""Build the plan: cut each need into lines, then place the lines into years.

1. Lines (per need, year by year): a year whose demand, with what waited
   from earlier years, reaches the theme's threshold becomes a territorialised
   line of as many groups as keep each group between the threshold and the
   maximum; trainees beyond full groups are carried to the next year. Demand
   below the threshold waits for the next year when the theme allows pooling,
   else (or at the horizon's end) it becomes a line below threshold that says
   how many are missing.
2. Placement, by priority: pinned lines first in their year, then each line
   in the earliest year, not before the year it was asked for, that still
   has the training days it needs. A placed recurring line comes back when due.
3. Hosts and one sentence per line (explain.py).
"""

import heapq
from collections import defaultdict

from workshop.domain.planning.explain import explain
from workshop.domain.planning.model import Line, NeedDemand, Plan, PlanInput

# A pool entry: (year asked, collectivité, trainees). Earliest asked are seated first.
Entry = tuple[int, int, int]


def build_plan(data: PlanInput) -> Plan:
    years = tuple(sorted(set(data.years)))
    if not years:
        return Plan((), [], [], [], {}, {})
    territorial: list[Line] = []
    below: list[Line] = []
    for need in sorted(data.needs, key=lambda n: (n.priority, n.need_id)):
        made, short = _cut(need, years)
        for line in made:
            territorial.extend(_split(line) if line.key in data.splits else [line])
        below.extend(short)
    placed, unplaced, used = _place(territorial, years, data)
    for line in placed + unplaced + below:
        _host(line, data)
        line.why = explain(line, data, used)
    placed.sort(key=lambda ln: (ln.year, ln.priority, ln.key))
    return Plan(years, placed, below, unplaced, used, {y: data.capacity.get(y, 0) for y in years})


def _cut(need: NeedDemand, years: tuple[int, ...]) -> tuple[list[Line], list[Line]]:
    theme = need.theme
    by_year: dict[int, list[Entry]] = defaultdict(list)
    late: list[Entry] = []
    for (collectivite, year), agents in sorted(need.demand.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if agents <= 0:
            continue
        if year > years[-1]:
            late.append((year, collectivite, agents))
        else:
            # Asked before the horizon: the earliest the plan can offer is its first year.
            by_year[max(year, years[0])].append((year, collectivite, agents))

    lines: list[Line] = []
    short: list[Line] = []
    waiting: list[Entry] = []
    waited: list[int] = []  # years whose demand is waiting
    for year in years:
        pool = sorted(waiting + by_year.get(year, []))
        total = sum(n for _, _, n in pool)
        if not total:
            continue
        if total >= theme.threshold:
            groups_count = total // theme.threshold
            seated, carried = _seat(pool, min(total, groups_count * theme.max_group))
            lines.append(_line(need, f"{need.need_id}:{year}", year, seated,
                               _groups(sum(n for _, _, n in seated), groups_count),
                               carried=_per_collectivite(carried), pooled_from=tuple(waited)))
            waiting, waited = carried, ([year] if carried else [])
        elif theme.poolable and year != years[-1]:
            waiting, waited = pool, waited + ([year] if by_year.get(year) else [])
        else:
            short.append(_line(need, f"{need.need_id}:{year}", year, pool, [],
                               pooled_from=tuple(waited)))
            waiting, waited = [], []
    if waiting:  # carried beyond full groups in the last year
        short.append(_line(need, f"{need.need_id}:{years[-1]}:reste", years[-1], waiting, [],
                           pooled_from=tuple(waited)))
    if late:
        short.append(_line(need, f"{need.need_id}:apres", late[0][0], late, []))
    return lines, short


def _seat(pool: list[Entry], seats: int) -> tuple[list[Entry], list[Entry]]:
    """Seat trainees in order (earliest asked, then collectivité); the rest is carried."""
    seated, carried = [], []
    for year, collectivite, n in pool:
        take = max(min(n, seats), 0)
        seats -= take
        if take:
            seated.append((year, collectivite, take))
        if n - take:
            carried.append((year, collectivite, n - take))
    return seated, carried


def _groups(total: int, count: int) -> list[int]:
    """`count` groups as even as can be (sizes differ by one at most)."""
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def _per_collectivite(entries: list[Entry]) -> dict[int, int]:
    result: dict[int, int] = defaultdict(int)
    for _, collectivite, n in entries:
        result[collectivite] += n
    return dict(sorted(result.items()))


def _line(need: NeedDemand, key: str, year: int, entries: list[Entry], groups: list[int],
          carried: dict[int, int] | None = None, pooled_from: tuple[int, ...] = ()) -> Line:
    trainees = _per_collectivite(entries)
    total = sum(trainees.values())
    return Line(key=key, need_id=need.need_id, title=need.title, theme=need.theme,
                asked_year=year, trainees=trainees, groups=groups,
                territorialised=bool(groups), priority=need.priority, dots=need.dots,
                score=need.score, missing=0 if groups else max(need.theme.threshold - total, 0),
                carried=carried or {}, pooled_from=pooled_from)


def _split(line: Line) -> list[Line]:
    """One line per group, each with its own trainees, so each can be pinned on its own."""
    if len(line.groups) < 2:
        return [line]
    entries = [(line.asked_year, c, n) for c, n in line.trainees.items()]
    parts = []
    for index, size in enumerate(line.groups, start=1):
        seated, entries = _seat(entries, size)
        parts.append(Line(key=f"{line.key}:g{index}", need_id=line.need_id, title=line.title,
                          theme=line.theme, asked_year=line.asked_year,
                          trainees=_per_collectivite(seated), groups=[size], territorialised=True,
                          priority=line.priority, dots=line.dots, score=line.score,
                          carried=line.carried if index == len(line.groups) else {},
                          pooled_from=line.pooled_from))
    return parts


def _place(lines: list[Line], years: tuple[int, ...],
           data: PlanInput) -> tuple[list[Line], list[Line], dict[int, int]]:
    used = {y: 0 for y in years}
    placed: list[Line] = []
    unplaced: list[Line] = []
    queue: list[tuple] = []

    def valid_pin(line: Line) -> int | None:
        year = data.pins.get(line.key)
        return year if year in used and year >= line.asked_year else None

    def put(line: Line) -> None:
        pinned = valid_pin(line) is not None
        heapq.heappush(queue, (not pinned, line.priority, line.asked_year, line.renewal, line.key, line))

    for line in lines:
        put(line)
    while queue:
        line = heapq.heappop(queue)[-1]
        pin = valid_pin(line)
        if pin is not None:
            line.year, line.pinned = pin, True
            line.over_capacity = used[pin] + line.days > data.capacity.get(pin, 0)
        else:
            line.year = next((y for y in years if y >= line.asked_year
                              and used[y] + line.days <= data.capacity.get(y, 0)), None)
        if line.year is None:
            unplaced.append(line)
            continue
        used[line.year] += line.days
        placed.append(line)
        every = line.theme.recurrence_years
        if every and line.year + every <= years[-1]:
            put(_renewal(line, line.year + every))
    return placed, unplaced, used


def _renewal(line: Line, due: int) -> Line:
    base = line.key.split(":r")[0]
    number = line.renewal + 1
    return Line(key=f"{base}:r{number}", need_id=line.need_id, title=line.title, theme=line.theme,
                asked_year=due, trainees=dict(line.trainees), groups=list(line.groups),
                territorialised=True, priority=line.priority, dots=line.dots, score=line.score,
                renewal=number)


def _host(line: Line, data: PlanInput) -> None:
    chosen = data.hosts.get(line.key)
    if chosen is not None:
        line.host_id, line.host_chosen = chosen, True
        return
    if not line.trainees:
        line.host_id = data.coordinator_id
        return
    most = max(line.trainees.values())
    leaders = [c for c, n in line.trainees.items() if n == most]
    # Ties: the coordinator if it is among them, else the lowest id (stable).
    line.host_id = data.coordinator_id if data.coordinator_id in leaders else min(leaders)
