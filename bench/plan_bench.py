"""Benchmark of the plan engine on a large synthetic perimeter (prints figures, asserts nothing).

    python bench/plan_bench.py [--collectivites 650] [--needs 2000] [--years 5] [--runs 5]

A department-wide day: 650 collectivités, 2,000 needs over 5 years, themes
from seeds/themes.toml, demand drawn with a fixed seed (same input every run).
"""

import argparse
import random
import statistics
import time
import tomllib
from pathlib import Path

from workshop.domain.planning import LineKey, NeedDemand, PlanInput, ThemeRule, build_plan

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "themes.toml"


def synthetic(collectivites: int, needs: int, years: int, seed: int = 59) -> PlanInput:
    rng = random.Random(seed)
    themes = [ThemeRule(t["code"], t["name"], t["threshold"], t["max_group"], t["days"],
                        t["financing"], t["financing_reason"], t["recurrence_years"], t["poolable"],
                        t.get("kind", "perfectionnement"), t.get("cost_per_day", 0))
              for t in tomllib.loads(SEEDS.read_text(encoding="utf-8"))["theme"]]
    horizon = tuple(range(2027, 2027 + years))
    items = []
    for need_id in range(1, needs + 1):
        demand = {}
        for _ in range(rng.randint(1, 25)):
            demand[(rng.randint(1, collectivites), rng.choice(horizon))] = rng.randint(1, 6)
        items.append(NeedDemand(need_id, f"Besoin {need_id}", rng.choice(themes), demand,
                                need_id, rng.randint(0, 40)))
    # About what the demand needs, so that capacity binds and lines move between years.
    return PlanInput(horizon, tuple(items), {y: 1500 for y in horizon}, coordinator_id=1,
                     pins={LineKey(n, 2027): 2029 for n in range(1, 200, 7)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collectivites", type=int, default=650)
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    data = synthetic(args.collectivites, args.needs, args.years)
    demand = sum(sum(n.demand.values()) for n in data.needs)
    timings, cpu, worded = [], [], []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        plan = build_plan(data)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        # Sentences are written when first read: what a page showing every line pays on top.
        started = time.perf_counter()
        for line in plan.all_lines:
            line.reason  # noqa: B018 - reading it writes it
        worded.append(time.perf_counter() - started)
    print(f"input: {args.collectivites} collectivités, {args.needs} needs, {args.years} years, "
          f"{demand} trainees declared, {len(data.pins)} pins")
    print(f"plan: {len(plan.lines)} placed lines, {len(plan.unplaced)} without room, "
          f"{len(plan.below)} below threshold; days used {plan.used}")
    print(f"build_plan over {args.runs} runs: median {statistics.median(timings) * 1000:.0f} ms, "
          f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
          f"(CPU median {statistics.median(cpu) * 1000:.0f} ms)")
    print(f"every sentence of the {len(plan.all_lines)} lines, once: median "
          f"{statistics.median(worded) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
