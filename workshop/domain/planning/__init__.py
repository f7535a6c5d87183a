"""The multi-year plan engine: needs, agents and votes in, a plan draft out.

Plain Python and deterministic: the same input gives the same plan in the
same order. The rules are DOMAIN.md's, with the choices written down in
docs/planning.md. Entry points: `build_plan(PlanInput) -> Plan`, and
`need_status(NeedDemand, years) -> NeedStatus`, each need's status per year
by the same cut the plan uses (the board, the phones and the exports show it).
"""

from workshop.domain.planning.engine import build_plan
from workshop.domain.planning.model import (
    CATEGORIES,
    KIND_LABELS,
    KINDS,
    STATUTORY,
    LapsedPooling,
    Line,
    LineKey,
    NeedDemand,
    Plan,
    PlanInput,
    Pooling,
    StalePin,
    ThemeRule,
    theme_problems,
)
from workshop.domain.planning.status import NeedStatus, YearStatus, need_status

__all__ = ["build_plan", "need_status", "CATEGORIES", "KIND_LABELS", "KINDS", "STATUTORY",
           "LapsedPooling", "Line", "LineKey", "NeedDemand", "NeedStatus", "Plan", "PlanInput",
           "Pooling", "StalePin", "ThemeRule", "YearStatus", "theme_problems"]
