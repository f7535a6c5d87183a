"""Build the plan: cut each need into lines, then place the lines into years.

1. Lines (per need, year by year; `cut`): a year whose demand, with what
   waits from earlier years, reaches the theme's threshold becomes a
   territorialised line of as many groups as keep each group between the
   threshold and the maximum; trainees beyond full groups are carried to the
   next year. Demand below the threshold waits for the next year only when the
   need allows it (`NeedDemand.window`: 1 year for a poolable theme, 0 else; a
   need may widen it); demand that can wait no longer becomes a line below
   threshold, in the year its agents asked for, that says how many are
   missing. Statutory kinds (intégration, professionnalisation) are listed
   apart, never held to the threshold.
2. Placement, by priority: pinned lines first in their year (a pin follows its
   need when the demand moved year; one that applies to nothing is reported),
   then each line in the earliest year, not before the year it was asked
   for, that still has the training days it needs. A placed recurring line
   comes back when due.
3. Hosts and one sentence per line (explain.py).
"""

import heapq
from dataclasses import dataclass, field

from workshop.domain.messages import msg
from workshop.domain.planning.model import (
    STATUTORY,
    LapsedPooling,
    Line,
    LineKey,
    NeedDemand,
    Plan,
    PlanInput,
    StalePin,
)
from workshop.domain.planning.pooling import check as pooling_check

# A pool entry: (year asked, collectivité, trainees, year of the line it was carried from or 0).
Entry = tuple[int, int, int, int]


@dataclass
class YearFate:
    """What became of one year's demand for one need (the board's per-year status)."""

    year: int
    asked: int = 0  # agents asked for this year
    pool: int = 0  # agents counted this year: asked plus what waited or was carried here
    state: str = "none"  # "open", "short", "statutory" or "none"
    at: int | None = None  # "open": the year the line opens (this year, or the next when pooled)
    missing: int = 0  # "short": trainees missing in the largest pool its agents were tried in


@dataclass
class Cut:
    lines: list[Line] = field(default_factory=list)  # territorialised, unplaced yet
    short: list[Line] = field(default_factory=list)  # below threshold, after the horizon
    statutory: list[Line] = field(default_factory=list)
    fates: dict[int, YearFate] = field(default_factory=dict)  # horizon year -> fate


def build_plan(data: PlanInput) -> Plan:
    years = tuple(sorted(set(data.years)))
    if not years:
        return Plan((), [], [], [], {}, {})
    territorial: list[Line] = []
    below: list[Line] = []
    statutory: list[Line] = []
    for need in sorted(data.needs, key=lambda n: (n.priority, n.need_id)):
        made = cut(need, years, data.costs, fates=False)
        for line in made.lines:
            territorial.extend(_split(line) if line.key in data.splits else (line,))
        below.extend(made.short)
        statutory.extend(made.statutory)
    pooled, lapsed = _pool(below, territorial, data)
    if pooled:
        below = [line for line in below if line.pooling is None]
    placed, unplaced, used, stale = _place(territorial, years, data, pooled)
    context = (years, dict(data.capacity))
    for line in placed + unplaced + below + statutory:
        if line.pooling is None:
            _host(line, data)
        line.context = context
    placed.sort(key=lambda ln: (ln.year, ln.priority, ln.key))
    return Plan(years, placed, below, unplaced, used, {y: data.capacity.get(y, 0) for y in years},
                statutory, stale, lapsed)


def _pool(below: list[Line], territorial: list[Line],
          data: PlanInput) -> tuple[list[Line], list[LapsedPooling]]:
    """Accepted poolings with other perimeters (issue 17, item 9): each turns our line below
    threshold into one territorialised session with the other line, in the year both asked,
    when both together still reach the threshold and fit one group. Our agents stay on our
    line (`trainees`), theirs are counted in their own plan; the session's days count in the
    capacity of the perimeter that hosts it. A pooling that no longer holds is reported.
    """
    if not data.poolings:
        return [], []
    shorts = {line.key: line for line in below if line.key.part == ""}
    reached = {line.key.whole for line in territorial}
    pooled: list[Line] = []
    lapsed: list[LapsedPooling] = []
    for key, pooling in sorted(data.poolings.items()):
        line = shorts.get(key)
        if line is None:
            why = msg("cette ligne atteint désormais le seuil seule") if key in reached \
                else msg("plus aucune demande sous le seuil ici pour ce thème et cette année")
            lapsed.append(LapsedPooling(pooling, why))
            continue
        theirs = pooling.their_total
        verdict = pooling_check(line, pooling.their_ids, theirs, data.names)
        if not theirs:
            why = msg("%(partner)s n'a plus de demande sous le seuil pour ce thème et cette année",
                      partner=pooling.partner)
        else:
            why = verdict.why  # a collectivité on both lines, below the threshold, above a group
        if why is not None:
            lapsed.append(LapsedPooling(pooling, why))
            continue
        total = verdict.total
        line.territorialised, line.groups, line.pooling = True, [total], pooling
        line.missing, line.pooled_with, line.tried_until = 0, (), None
        _pool_host(line, pooling, data)
        pooled.append(line)
    return pooled, lapsed


def _pool_host(line: Line, pooling, data: PlanInput) -> None:
    """The collectivité with the most trainees over both lines (ties: the name, then ours):
    the same rule from either side, so both plans name the same host."""
    candidates = [(-n, data.names.get(c, "?"), 0, c) for c, n in line.trainees.items()]
    candidates += [(-n, name, 1, None) for name, n in pooling.theirs]
    _, name, _, ours = min(candidates)
    line.host_id, line.pool_host = ours, name


def cut(need: NeedDemand, years: tuple[int, ...], costs: dict[str, float] | None = None,
        fates: bool = True) -> Cut:
    """One need's lines, and what became of each year's demand (same rule, one place).

    `fates=False` skips the per-year account (the plan does not read it).
    """
    theme, threshold, window = need.theme, need.theme.threshold, need.window
    first, last = years[0], years[-1]
    fate = {y: YearFate(y) for y in years} if fates else None
    result = Cut(fates=fate or {})
    by_year: dict[int, list[Entry]] = {}
    late: list[Entry] = []
    for (collectivite, year), agents in need.demand.items():
        if agents <= 0:
            continue
        if year > last:
            late.append((year, collectivite, agents, 0))
            continue
        if year < first:  # asked before the horizon: the earliest the plan can offer is its first year
            year = first
        entries = by_year.get(year)
        if entries is None:
            by_year[year] = [(year, collectivite, agents, 0)]
        else:
            entries.append((year, collectivite, agents, 0))
    asked_total = {}
    for year, entries in by_year.items():
        entries.sort()
        asked_total[year] = sum(e[2] for e in entries)
        if fate:
            fate[year].asked = asked_total[year]
    cost = (costs or {}).get(theme.code, theme.cost_per_day)
    need_id = need.need_id
    if need.training_kind in STATUTORY:
        for year in sorted(by_year):
            result.statutory.append(_line(need, cost, LineKey(need_id, year), year, by_year[year],
                                          placed=year))
            if fate:
                fate[year].state = "statutory"
        if late:
            result.short.append(_line(need, cost, LineKey(need_id, 0, "apres"),
                                      min(e[0] for e in late), sorted(late)))
        return result

    pending: list[Entry] = []
    pending_total = 0
    for year in years:
        own = by_year.get(year)
        if pending:
            pool = sorted(pending + own) if own else pending
        elif own:
            pool = own
        else:
            continue
        total = pending_total + (asked_total[year] if own else 0)
        if fate:
            fate[year].pool = total
        if total >= threshold:
            groups_count = total // threshold
            seats = min(total, groups_count * theme.max_group)
            seated, over = _seat(pool, seats) if seats < total else (pool, [])
            pooled: dict[int, int] = {}
            carried_in = 0
            for asked, _, n, carried_from in seated:
                if carried_from:
                    carried_in += n
                elif asked < year:
                    pooled[asked] = pooled.get(asked, 0) + n
                if fate and fate[asked].state == "none":
                    fate[asked].state, fate[asked].at = "open", year
            if fate and fate[year].state == "none":  # only earlier agents open it
                fate[year].state, fate[year].at = "open", year
            line = _line(need, cost, LineKey(need_id, year), year, seated,
                         _groups(seats, groups_count), pool=total)
            line.carried_in, line.pooled_from = carried_in, pooled
            if over:
                line.carried = _per_collectivite(over)
                pending = [(asked, c, n, year) for asked, c, n, _ in over]
                pending_total = total - seats
            else:
                pending, pending_total = [], 0
            result.lines.append(line)
            continue
        if year == last:
            keep, drop = [], pool
        else:
            keep, drop = [], []
            for entry in pool:
                deadline = entry[3] + 1 if entry[3] else entry[0] + window
                (drop if deadline <= year else keep).append(entry)
        pending = keep
        pending_total = sum(e[2] for e in keep) if keep else 0
        if drop:
            _drop(result, need, cost, drop, pool, total, threshold, year)
    if pending:  # carried beyond full groups in the last year
        _drop(result, need, cost, pending, pending, pending_total, threshold, last)
    if late:
        result.short.append(_line(need, cost, LineKey(need_id, 0, "apres"),
                                  min(e[0] for e in late), sorted(late)))
    return result


def _drop(result: Cut, need: NeedDemand, cost: float, drop: list[Entry], pool: list[Entry],
          total: int, threshold: int, year: int) -> None:
    """Demand that can wait no longer: one line below threshold per year asked (or per carry)."""
    missing = max(threshold - total, 0)
    groups: dict[tuple[int, str], list[Entry]] = {}
    for entry in drop:
        groups.setdefault((entry[3], "reste") if entry[3] else (entry[0], ""), []).append(entry)
    pool_years = None
    for (asked, part), entries in sorted(groups.items()) if len(groups) > 1 else groups.items():
        line = _line(need, cost, LineKey(need.need_id, asked, part), asked, entries, placed=asked,
                     pool=total)
        line.missing = missing
        if not part:
            if pool_years is None:
                pool_years = {e[0] for e in pool if not e[3]}
            line.pooled_with = tuple(sorted(pool_years - {asked})) if len(pool_years) > 1 else ()
        line.tried_until = year
        result.short.append(line)
        fate = result.fates.get(asked)
        if not part and fate is not None and fate.state == "none":
            fate.state, fate.missing = "short", missing


def _seat(pool: list[Entry], seats: int) -> tuple[list[Entry], list[Entry]]:
    """Seat trainees in order (earliest asked, then collectivité); the rest is carried."""
    seated, over = [], []
    for entry in pool:
        n = entry[2]
        take = n if n <= seats else max(seats, 0)
        seats -= take
        if take:
            seated.append(entry if take == n else (entry[0], entry[1], take, entry[3]))
        if n - take:
            over.append((entry[0], entry[1], n - take, entry[3]))
    return seated, over


def _groups(total: int, count: int) -> list[int]:
    """`count` groups as even as can be (sizes differ by one at most)."""
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def _per_collectivite(entries) -> dict[int, int]:
    if len(entries) == 1:
        return {entries[0][1]: entries[0][2]}
    result: dict[int, int] = {}
    for _, collectivite, n, _ in entries:
        result[collectivite] = result.get(collectivite, 0) + n
    return dict(sorted(result.items()))


def _line(need: NeedDemand, cost: float, key: LineKey, year: int, entries: list[Entry],
          groups: list[int] | None = None, placed: int | None = None, pool: int = 0) -> Line:
    trainees = _per_collectivite(entries)
    return Line(key, need.need_id, need.title, need.theme, year, trainees, groups or [],
                bool(groups), need.priority, need.dots, need.score, placed,
                pool=pool or sum(trainees.values()), window=need.window,
                kind=need.kind or need.theme.kind, categories=need.categories, cost_per_day=cost)


def _split(line: Line) -> list[Line]:
    """One line per group, each with its own trainees, so each can be pinned on its own."""
    if len(line.groups) < 2:
        return [line]
    entries = [(line.asked_year, c, n, 0) for c, n in line.trainees.items()]
    parts = []
    for index, size in enumerate(line.groups, start=1):
        seated, entries = _seat(entries, size)
        part = _clone(line, line.key.with_(group=index), line.asked_year,
                      _per_collectivite(seated), [size])
        part.carried = line.carried if index == len(line.groups) else {}
        part.carried_in, part.pooled_from, part.pool = line.carried_in, line.pooled_from, line.pool
        parts.append(part)
    return parts


def _clone(line: Line, key: LineKey, asked: int, trainees: dict[int, int], groups: list[int],
           renewal: int = 0) -> Line:
    return Line(key=key, need_id=line.need_id, title=line.title, theme=line.theme,
                asked_year=asked, trainees=trainees, groups=groups, territorialised=True,
                priority=line.priority, dots=line.dots, score=line.score, renewal=renewal,
                pool=sum(trainees.values()), window=line.window, kind=line.kind,
                categories=line.categories, cost_per_day=line.cost_per_day)


def _match_pins(lines: list[Line], data: PlanInput,
                years: tuple[int, ...]) -> tuple[dict[LineKey, int], dict[LineKey, int], list[StalePin]]:
    """Which line each pin applies to: its own key, else the nearest line of the same need.

    A pin follows its need when the demand moved year (a commune moved its
    agents from 2027 to 2028: the pin set on `n:2027` now holds `n:2028`).
    Returns (pin per line key, pins on renewals to check when they are made,
    pins that apply to nothing).
    """
    by_key = {line.key: line for line in lines}
    applied: dict[LineKey, int] = {}
    renewals: dict[LineKey, int] = {}
    stale: list[StalePin] = []
    orphans = []
    for key, year in sorted(data.pins.items()):
        if key in by_key:
            applied[key] = year
        elif key.renewal:
            renewals[key] = year
        else:
            orphans.append((key, year))
    if orphans:
        free: dict[tuple, list[Line]] = {}
        for line in lines:
            if line.key not in applied:
                free.setdefault((line.need_id, line.key.part, line.key.group), []).append(line)
        for key, year in orphans:
            candidates = free.get((key.need_id, key.part, key.group), [])
            if not candidates:
                stale.append(StalePin(key, year, msg("ce besoin n'a plus de ligne territorialisée")))
                continue
            line = min(candidates, key=lambda ln: (abs(ln.key.year - key.year), ln.key.year))
            candidates.remove(line)
            applied[line.key] = year
            line.pin_from = key
    for key, year in list(applied.items()):
        line = by_key[key]
        problem = _pin_problem(year, line.asked_year, years)
        if problem is not None:
            del applied[key]
            stale.append(StalePin(line.pin_from or key, year, problem))
            line.pin_from = None
    return applied, renewals, stale


def _pin_problem(year: int, asked: int, years: tuple[int, ...]):
    if year not in years:
        return msg("%(year)s est hors de l'horizon du plan", year=year)
    if year < asked:
        return msg("la demande est désormais pour %(asked)s, après %(year)s", asked=asked, year=year)
    return None


def _place(lines: list[Line], years: tuple[int, ...], data: PlanInput,
           pooled: list[Line] = ()) -> tuple[list[Line], list[Line], dict[int, int], list[StalePin]]:
    used = {y: 0 for y in years}
    pinned_days = {y: 0 for y in years}
    worst = {y: 0 for y in years}  # the lowest priority (largest number) placed unpinned in a year
    capacity = {y: data.capacity.get(y, 0) for y in years}
    placed: list[Line] = []
    for line in pooled:  # agreed with the other perimeter for the year both asked: fixed like a pin
        line.year = line.asked_year
        if line.host_id is not None:  # hosted here: the session takes our training days
            line.over_capacity = used[line.year] + line.days > capacity[line.year]
            used[line.year] += line.days
            worst[line.year] = max(worst[line.year], line.priority)
        placed.append(line)
    unplaced: list[Line] = []
    queue: list[tuple] = []
    pins, renewal_pins, stale = _match_pins(lines, data, years)
    last = years[-1]

    def put(line: Line) -> None:
        heapq.heappush(queue, (line.key not in pins, line.priority, line.asked_year, line.renewal,
                               line.key, line))

    for line in lines:
        put(line)
    while queue:
        line = heapq.heappop(queue)[-1]
        days = line.days
        pin = pins.get(line.key)
        if pin is not None:
            line.year, line.pinned = pin, True
            line.over_capacity = used[pin] + days > capacity[pin]
            pinned_days[pin] += days
        else:
            line.year = next((y for y in years if y >= line.asked_year
                              and used[y] + days <= capacity[y]), None)
            end = last + 1 if line.year is None else line.year
            line.skipped = tuple(y for y in years if line.asked_year <= y < end)
            if line.skipped:
                line.skipped_by = _blocked_by(line, days, used, pinned_days, capacity, worst)
        if line.year is None:
            unplaced.append(line)
            continue
        used[line.year] += days
        if not line.pinned:
            worst[line.year] = max(worst[line.year], line.priority)
        placed.append(line)
        every = line.theme.recurrence_years
        if every and line.year + every <= last:
            renewal = _renewal(line, line.year + every)
            year = renewal_pins.pop(renewal.key, None)
            if year is not None:
                problem = _pin_problem(year, renewal.asked_year, years)
                if problem is None:
                    pins[renewal.key] = year
                else:
                    stale.append(StalePin(renewal.key, year, problem))
            put(renewal)
    stale.extend(StalePin(key, year, msg("ce renouvellement n'est plus dans l'horizon"))
                 for key, year in sorted(renewal_pins.items()))
    return placed, unplaced, used, stale


def _blocked_by(line: Line, days: int, used: dict[int, int], pinned_days: dict[int, int],
                capacity: dict[int, int], worst: dict[int, int]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Why each skipped year had no room, grouped: ("size"|"pins"|"better"|"equal", years).

    "size": the year's whole capacity is less than the line's days; "pins": pinned
    lines took what it needed; else lines placed before it ("better": all of a
    higher priority, "equal": some of the same priority, a renewal or a group).
    """
    reasons: dict[str, list[int]] = {}
    for year in line.skipped:
        if days > capacity[year]:
            reason = "size"
        elif pinned_days[year] and used[year] - pinned_days[year] + days <= capacity[year]:
            reason = "pins"
        else:
            reason = "better" if worst[year] < line.priority else "equal"
        reasons.setdefault(reason, []).append(year)
    return tuple((reason, tuple(years)) for reason, years in reasons.items())


def _renewal(line: Line, due: int) -> Line:
    return _clone(line, line.key.with_(renewal=line.renewal + 1), due, dict(line.trainees),
                  list(line.groups), renewal=line.renewal + 1)


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
