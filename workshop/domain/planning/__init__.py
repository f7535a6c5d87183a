"""The multi-year plan engine: needs, agents and votes in, a plan draft out.

Plain Python and deterministic: the same input gives the same plan in the
same order. The rules are DOMAIN.md's, with the choices written down in
docs/planning.md. Entry point: `build_plan(PlanInput) -> Plan`.
"""

from workshop.domain.planning.engine import build_plan
from workshop.domain.planning.model import (
    Line,
    NeedDemand,
    Plan,
    PlanInput,
    ThemeRule,
)

__all__ = ["build_plan", "Line", "NeedDemand", "Plan", "PlanInput", "ThemeRule"]
