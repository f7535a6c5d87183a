"""One sentence per line: why that year, why that status, why that financing."""

from workshop.domain.planning.model import Line, PlanInput
from workshop.domain.thresholds import missing_text, trainees

SEP = "\u00a0; "  # French typography: a no-break space before the semicolon
OPTIONS = ("mutualiser avec un périmètre voisin",
           "inscrire les agents individuellement au catalogue du CNFPT (IEL)")


def _years(years: tuple[int, ...] | list[int]) -> str:
    return ", ".join(str(y) for y in years)


def financing(line: Line) -> str:
    kind = "payante" if line.theme.financing == "payant" else "financée par la cotisation"
    reason = line.theme.financing_reason.rstrip(".")
    return f"{kind} ({reason})" if reason else kind


def explain(line: Line, data: PlanInput, used: dict[int, int]) -> str:
    if not line.territorialised:
        return _below(line)
    parts = [_when(line, data, used)]
    groups = len(line.groups)
    parts.append(f"{trainees(line.total)} en {groups} groupe{'s' if groups > 1 else ''}, "
                 f"seuil de {line.theme.threshold} atteint")
    if line.pooled_from:
        parts.append(f"avec les demandes de {_years(line.pooled_from)} regroupées")
    carried = sum(line.carried.values())
    if carried:
        parts.append(f"{trainees(carried)} au-delà des groupes complets, "
                     f"reporté{'s' if carried > 1 else ''} à l'année suivante")
    parts.append(financing(line))
    return SEP.join(parts) + "."


def _when(line: Line, data: PlanInput, used: dict[int, int]) -> str:
    rank = f"priorité {line.priority}"
    if line.dots:
        rank += f" ({line.dots} gommette{'s' if line.dots > 1 else ''})"
    if line.year is None:
        return (f"Sans année : aucune année à partir de {line.asked_year} n'a encore "
                f"{line.days} jours de formation disponibles, {rank}")
    if line.pinned:
        when = f"{line.year} : épinglée par l'animateur"
        if line.over_capacity:
            when += f", au-delà de la capacité de {data.capacity.get(line.year, 0)} jours"
    elif line.renewal:
        every = line.theme.recurrence_years
        when = f"{line.year} : renouvellement, " + ("chaque année" if every == 1 else f"tous les {every} ans")
    elif line.year == line.asked_year:
        when = f"{line.year} : année demandée"
    elif line.days > data.capacity.get(line.asked_year, 0):
        when = (f"{line.year} : {line.asked_year} n'a que {data.capacity.get(line.asked_year, 0)} "
                f"jours de formation, l'action en demande {line.days}")
    else:
        when = (f"{line.year} : {line.asked_year} déjà complète "
                f"({data.capacity.get(line.asked_year, 0)} jours) pour les priorités plus hautes")
    return f"{when}, {rank}"


def _below(line: Line) -> str:
    total, threshold = line.total, line.theme.threshold
    if line.key.endswith(":apres"):
        return (f"Demandée pour {line.asked_year}, après l'horizon du plan : "
                f"{trainees(total)} à reprendre au prochain plan{SEP}{financing(line)}.")
    if line.key.endswith(":reste"):
        head = (f"{trainees(total)} au-delà des groupes complets de {line.asked_year}, "
                f"sans année suivante dans l'horizon")
    else:
        head = f"Non territorialisée : {trainees(total)} pour un seuil de {threshold}"
        if line.pooled_from:
            head += f", même en regroupant les demandes de {_years(line.pooled_from)}"
        elif not line.theme.poolable:
            head += " (formation qui ne peut pas attendre l'année suivante)"
    missing = f"{SEP}{missing_text(line.missing, threshold)}" if line.missing else ""
    return f"{head}{missing}{SEP}proposer de {OPTIONS[0]} ou d'{OPTIONS[1]}{SEP}{financing(line)}."
