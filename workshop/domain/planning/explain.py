"""One sentence per line: one short clause per reason (why that year, why that status, why
that financing), each said only when the line's own figures support it.

The sentence is a Text (workshop.domain.messages): French here, translated where shown.
Each clause is one msgid whose params are the line's figures, so a test can check
every fact a sentence states against the line (tests/domain/planning/test_explain.py).
"""

from workshop.domain.messages import Count, Text, joined, msg, nmsg
from workshop.domain.planning.model import Line
from workshop.domain.thresholds import missing_text, trainees

# French typography: a no-break space before the semicolon (English has none).
SEP = msg("\u00a0; ")
OPTIONS = msg("à mutualiser avec un périmètre voisin, sinon inscription individuelle (IEL)")
GENERIC_COTISATION = "Financée par la cotisation versée au CNFPT"


def _years(years) -> str:
    return ", ".join(str(y) for y in years)


def financing(line: Line) -> Text:
    """Why this financing: the theme's, with the catalogue's reason for a payant one and its cost."""
    if line.theme.financing != "payant":
        return msg("financée par la cotisation")
    reason = line.theme.financing_reason.rstrip(".")
    if line.cost:
        return msg("payante (%(reason)s), coût estimé %(cost)s €", reason=reason,
                   cost=Count(line.cost)) if reason else \
            msg("payante, coût estimé %(cost)s €", cost=Count(line.cost))
    return msg("payante (%(reason)s)", reason=reason) if reason else msg("payante")


def _sentence(parts: list[Text]) -> Text:
    return joined([joined(parts, SEP), "."])


def explain(line: Line, years: tuple[int, ...], capacity: dict[int, int]) -> Text:
    if line.statutory:
        return _statutory(line)
    if not line.territorialised:
        return _below(line, years)
    if line.pooling is not None:
        return _pooled(line, capacity)
    return _sentence([_when(line, capacity), *_status(line, years), financing(line)])


def _when(line: Line, capacity: dict[int, int]) -> Text:
    """Why this year."""
    asked = line.asked_year
    if line.year is None:
        if line.renewal:
            return nmsg("Sans année : renouvellement dû en %(year)s, aucune année n'a %(n)s jour libre",
                        "Sans année : renouvellement dû en %(year)s, aucune année n'a %(n)s jours "
                        "libres", line.days, year=asked)
        return nmsg("Sans année : aucune année dès %(year)s n'a %(n)s jour libre",
                    "Sans année : aucune année dès %(year)s n'a %(n)s jours libres",
                    line.days, year=asked)
    if line.pinned:
        if line.renewal:
            parts = [msg("%(year)s : renouvellement épinglé par l'animateur", year=line.year)]
        else:
            parts = [msg("%(year)s : épinglée par l'animateur", year=line.year)]
        if line.over_capacity:
            over = capacity.get(line.year, 0)
            parts.append(nmsg("au-delà de la capacité de %(n)s jour",
                              "au-delà de la capacité de %(n)s jours", over))
        if line.pin_from is not None:
            parts.append(msg("épinglage repris de la demande de %(before)s", before=line.pin_from.year))
        return joined(parts, ", ")
    if line.renewal:
        if line.year > asked:
            return msg("%(year)s : renouvellement dû en %(due)s, sans place avant : certificat "
                       "échu entre-temps", year=line.year, due=asked)
        if line.theme.recurrence_years == 1:
            return msg("%(year)s : renouvellement annuel", year=line.year)
        return msg("%(year)s : renouvellement, tous les %(every)s ans", year=line.year,
                   every=line.theme.recurrence_years)
    if line.year == asked and line.pooled_from:
        return msg("%(year)s : première année où le seuil est atteint", year=line.year)
    if line.year == asked:
        return msg("%(year)s : année demandée", year=line.year)
    skipped = tuple(sorted(y for _, years in line.skipped_by for y in years))
    if len(line.skipped_by) > 2 or (len(line.skipped_by) == 2 and len(skipped) > 3):
        # Each year with its own reason would run past one short clause: say only that the
        # years before had no room for it (each of them really had none).
        return msg("%(year)s : %(skipped)s sans place pour cette action", year=line.year,
                   skipped=_years(skipped))
    return joined([msg("%(year)s :", year=line.year),
                   joined([_skipped(reason, years, line.days) for reason, years in line.skipped_by],
                          ", ")], " ")


def _skipped(reason: str, years: tuple[int, ...], days: int) -> Text:
    if reason == "size":
        return nmsg("capacité de %(skipped)s inférieure à %(n)s jour",
                    "capacité de %(skipped)s inférieure à %(n)s jours", days, skipped=_years(years))
    if reason == "pins":
        return msg("%(skipped)s pris par des lignes épinglées", skipped=_years(years))
    if reason == "better":
        return msg("%(skipped)s pris par des actions mieux classées", skipped=_years(years))
    return msg("%(skipped)s pris par des actions de rang égal ou meilleur",
               skipped=_years(years))


def _status(line: Line, years: tuple[int, ...]) -> list[Text]:
    """Why territorialised: trainees, groups, threshold; what was pooled, carried in or out."""
    parts: list[Text] = [nmsg(
        "%(trainees)s en %(n)s groupe, seuil de %(threshold)s atteint",
        "%(trainees)s en %(n)s groupes, seuil de %(threshold)s atteint",
        len(line.groups), trainees=trainees(line.total), threshold=line.theme.threshold)]
    pooled = sum(line.pooled_from.values())
    if pooled and min(line.pooled_from) < line.asked_year - 1:  # waited beyond the next year
        parts.append(nmsg("dont %(n)s demandé en %(years)s (attente de %(window)s ans permise "
                          "pour ce besoin)",
                          "dont %(n)s demandés en %(years)s (attente de %(window)s ans permise "
                          "pour ce besoin)", pooled, years=_years(sorted(line.pooled_from)),
                          window=line.window))
    elif pooled:
        parts.append(nmsg("dont %(n)s demandé en %(years)s", "dont %(n)s demandés en %(years)s",
                          pooled, years=_years(sorted(line.pooled_from))))
    if line.carried_in:
        parts.append(nmsg("dont %(n)s reporté de %(year)s", "dont %(n)s reportés de %(year)s",
                          line.carried_in, year=line.asked_year - 1))
    carried = sum(line.carried.values())
    if carried and line.asked_year + 1 in years:
        parts.append(nmsg("%(n)s en surnombre, reporté sur %(next)s",
                          "%(n)s en surnombre, reportés sur %(next)s",
                          carried, next=line.asked_year + 1))
    elif carried:
        parts.append(nmsg("%(n)s en surnombre, listé à part", "%(n)s en surnombre, listés à part",
                          carried))
    return parts


def _below(line: Line, years: tuple[int, ...]) -> Text:
    total = line.total
    if line.key.part == "apres":
        return _sentence([msg("Demandée pour %(year)s, après l'horizon : %(trainees)s à reprendre "
                              "au prochain plan", year=line.asked_year, trainees=trainees(total)),
                          financing(line)])
    if line.key.part == "reste":
        head = msg("%(year)s : %(trainees)s en surnombre des groupes", year=line.asked_year,
                   trainees=trainees(total))
        if line.asked_year + 1 in years:
            why = msg("pas de session en %(next)s pour eux", next=line.asked_year + 1)
        else:
            why = msg("pas d'année suivante dans l'horizon")
        return _sentence([head, why, OPTIONS, financing(line)])
    parts: list[Text] = [msg("%(year)s : %(trainees)s", year=line.asked_year,
                             trainees=trainees(total))]
    if line.pooled_with:
        parts.append(msg("même avec %(years)s, %(pool)s au total", years=_years(line.pooled_with),
                         pool=trainees(line.pool)))
    elif line.window == 0:
        parts.append(msg("formation non regroupable avec l'année suivante"))
    elif line.tried_until is not None and line.tried_until > line.asked_year:
        parts.append(msg("aucune demande en %(next)s pour compléter",
                         next=_years(range(line.asked_year + 1, line.tried_until + 1))))
    elif line.asked_year == years[-1]:
        parts.append(msg("dernière année de l'horizon"))
    if line.missing:
        parts.append(missing_text(line.missing, line.theme.threshold))
    return _sentence([*parts, OPTIONS, financing(line)])


def _pooled(line: Line, capacity: dict[int, int]) -> Text:
    """Why territorialised although below threshold here: pooled with another perimeter."""
    pooling = line.pooling
    parts: list[Text] = [msg("%(year)s : action mutualisée avec %(partner)s, %(ours)s + %(theirs)s = "
                             "%(total)s stagiaires", year=line.year, partner=pooling.partner,
                             ours=line.total, theirs=pooling.their_total, total=line.pooled_total),
                         msg("seuil de %(threshold)s atteint ensemble, accueil à %(host)s",
                             threshold=line.theme.threshold, host=line.pool_host)]
    if line.over_capacity:
        parts.append(nmsg("au-delà de la capacité de %(n)s jour", "au-delà de la capacité de %(n)s jours",
                          capacity.get(line.year, 0)))
    return _sentence([*parts, financing(line)])


def _statutory(line: Line) -> Text:
    if line.kind == "integration":
        head = msg("%(year)s : %(trainees)s en formation d'intégration, statutaire, organisée par "
                   "le CNFPT pour chaque agent", year=line.shown_year, trainees=trainees(line.total))
    else:
        head = msg("%(year)s : %(trainees)s en professionnalisation, statutaire, organisée par le "
                   "CNFPT pour chaque agent", year=line.shown_year, trainees=trainees(line.total))
    return _sentence([head, financing(line)])


def brief(line: Line) -> Text:
    """Why a line below threshold is not territorialised, in a few words for the projected
    screen (the full sentence is `explain`): "6 stagiaires, 9 stagiaires manquants pour
    atteindre 15", "4 stagiaires en surnombre des groupes", "4 stagiaires, après l'horizon"."""
    total = trainees(line.total)
    if line.key.part == "apres":
        return msg("%(trainees)s, après l'horizon", trainees=total)
    if line.key.part == "reste":
        return msg("%(trainees)s en surnombre des groupes", trainees=total)
    if line.missing:
        return joined([total, missing_text(line.missing, line.theme.threshold)], ", ")
    return msg("%(trainees)s, sous le seuil de %(threshold)s", trainees=total,
               threshold=line.theme.threshold)
