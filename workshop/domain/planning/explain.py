"""One sentence per line: why that year, why that status, why that financing.

The sentence is a Text (workshop.domain.messages): French here, translated where shown.
"""

from workshop.domain.messages import Text, joined, msg, nmsg
from workshop.domain.planning.model import Line, PlanInput
from workshop.domain.thresholds import missing_text, trainees

# French typography: a no-break space before the semicolon (English has none).
SEP = msg("\u00a0; ")
OPTIONS = msg("proposer de mutualiser avec un périmètre voisin ou d'inscrire les agents "
              "individuellement au catalogue du CNFPT (IEL)")


def _years(years: tuple[int, ...] | list[int]) -> str:
    return ", ".join(str(y) for y in years)


def financing(line: Line) -> Text:
    # The reason is the catalogue's own text (seeds/): data, said as it is written.
    reason = line.theme.financing_reason.rstrip(".")
    if line.theme.financing == "payant":
        return msg("payante (%(reason)s)", reason=reason) if reason else msg("payante")
    return msg("financée par la cotisation (%(reason)s)", reason=reason) if reason \
        else msg("financée par la cotisation")


def _sentence(parts: list[Text]) -> Text:
    return joined([joined(parts, SEP), "."])


def explain(line: Line, data: PlanInput, used: dict[int, int]) -> Text:
    if not line.territorialised:
        return _below(line)
    parts = [_when(line, data, used)]
    parts.append(nmsg("%(trainees)s en %(n)s groupe, seuil de %(threshold)s atteint",
                      "%(trainees)s en %(n)s groupes, seuil de %(threshold)s atteint",
                      len(line.groups), trainees=trainees(line.total), threshold=line.theme.threshold))
    if line.pooled_from:
        parts.append(msg("avec les demandes de %(years)s regroupées", years=_years(line.pooled_from)))
    carried = sum(line.carried.values())
    if carried:
        parts.append(nmsg("%(trainees)s au-delà des groupes complets, reporté à l'année suivante",
                          "%(trainees)s au-delà des groupes complets, reportés à l'année suivante",
                          carried, trainees=trainees(carried)))
    parts.append(financing(line))
    return _sentence(parts)


def _when(line: Line, data: PlanInput, used: dict[int, int]) -> Text:
    if line.dots:
        rank = nmsg("priorité %(priority)s (%(n)s gommette)", "priorité %(priority)s (%(n)s gommettes)",
                    line.dots, priority=line.priority)
    else:
        rank = msg("priorité %(priority)s", priority=line.priority)
    asked, capacity = line.asked_year, data.capacity.get(line.asked_year, 0)
    if line.year is None:
        return msg("Sans année : aucune année à partir de %(year)s n'a encore %(days)s jours de "
                   "formation disponibles, %(rank)s", year=asked, days=line.days, rank=rank)
    if line.pinned and line.over_capacity:
        when = msg("%(year)s : épinglée par l'animateur, au-delà de la capacité de %(capacity)s jours",
                   year=line.year, capacity=data.capacity.get(line.year, 0))
    elif line.pinned:
        when = msg("%(year)s : épinglée par l'animateur", year=line.year)
    elif line.renewal and line.theme.recurrence_years == 1:
        when = msg("%(year)s : renouvellement, chaque année", year=line.year)
    elif line.renewal:
        when = msg("%(year)s : renouvellement, tous les %(every)s ans", year=line.year,
                   every=line.theme.recurrence_years)
    elif line.year == asked:
        when = msg("%(year)s : année demandée", year=line.year)
    elif line.days > capacity:
        when = msg("%(year)s : %(asked)s n'a que %(capacity)s jours de formation, l'action en "
                   "demande %(days)s", year=line.year, asked=asked, capacity=capacity, days=line.days)
    else:
        when = msg("%(year)s : %(asked)s déjà complète (%(capacity)s jours) pour les priorités "
                   "plus hautes", year=line.year, asked=asked, capacity=capacity)
    return joined([when, rank], ", ")


def _below(line: Line) -> Text:
    total, threshold = line.total, line.theme.threshold
    if line.key.endswith(":apres"):
        return _sentence([msg("Demandée pour %(year)s, après l'horizon du plan : %(trainees)s à "
                              "reprendre au prochain plan", year=line.asked_year,
                              trainees=trainees(total)),
                          financing(line)])
    if line.key.endswith(":reste"):
        head = msg("%(trainees)s au-delà des groupes complets de %(year)s, sans année suivante dans "
                   "l'horizon", trainees=trainees(total), year=line.asked_year)
    elif line.pooled_from:
        head = msg("Non territorialisée : %(trainees)s pour un seuil de %(threshold)s, même en "
                   "regroupant les demandes de %(years)s", trainees=trainees(total),
                   threshold=threshold, years=_years(line.pooled_from))
    elif not line.theme.poolable:
        head = msg("Non territorialisée : %(trainees)s pour un seuil de %(threshold)s (formation qui "
                   "ne peut pas attendre l'année suivante)", trainees=trainees(total),
                   threshold=threshold)
    else:
        head = msg("Non territorialisée : %(trainees)s pour un seuil de %(threshold)s",
                   trainees=trainees(total), threshold=threshold)
    missing = [missing_text(line.missing, threshold)] if line.missing else []
    return _sentence([head, *missing, OPTIONS, financing(line)])
