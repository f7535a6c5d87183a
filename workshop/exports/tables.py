"""The tables every tabular export shares (XLSX sheets, CSV files): one place says what they hold."""

from dataclasses import dataclass
from datetime import date

from workshop.domain import clock, planning
from workshop.domain.territories import KINDS, ROLES
from workshop.services.summary import Summary

Cell = str | int | float | date | None


@dataclass
class Table:
    name: str  # file and sheet name
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    widths: list[int]  # characters, for spreadsheets


KIND_LABELS = {k: v.lower() for k, v in planning.KIND_LABELS.items()}
YEAR_STATES = {"open": "territorialisable", "short": "sous le seuil", "statutory": "statutaire",
               "none": ""}


def _status(line) -> str:
    if line.statutory:
        return "statutaire"
    if not line.territorialised:
        return "sous le seuil"
    if line.pooling is not None:
        return "territorialisée (mutualisée)"
    return "territorialisée" if line.year is not None else "sans année (capacité)"


def pooled_text(line, names: dict[int, str]) -> str:
    """A pooled line's agreement, as the plan page says it; '' for any other line."""
    if line.pooling is None:
        return ""
    return (f"Action mutualisée avec {line.pooling.partner} : {line.total} + "
            f"{line.pooling.their_total} = {line.pooled_total} stagiaires, territorialisée en "
            f"{line.year}, accueil à {line.host_name(names)}")


def _year_status(y) -> str:
    """One year of a need's status, as the board says it ('regroupés en 2028')."""
    if y.state == "open" and not y.opens_here:
        return f"regroupés en {y.at}"
    if y.state == "short":
        return f"{y.missing} manquant{'s' if y.missing > 1 else ''}"
    return YEAR_STATES[y.state]


def needs(s: Summary) -> Table:
    years = list(s.years)
    headers = ["Rang", "Thème", "Intitulé", "Précisions", "Origine",
               "Agents déclarés", *[f"Agents {y}" for y in years], *[f"Statut {y}" for y in years],
               "Seuil", "Seuil atteint", "Années territorialisables", "Stagiaires manquants",
               "Collectivités", "Gommettes", "Votants", "Score", "Financement",
               "Type de formation", "Catégories"]
    rows = []
    for v in s.board.ranked:
        status = v.status
        by_year = {y.year: y for y in status.years}
        rows.append([v.rank, v.theme.name, v.need.title, v.need.details, v.need.source,
                     status.total, *[v.by_year.get(y, 0) for y in years],
                     *[_year_status(by_year[y]) if y in by_year else "" for y in years],
                     v.theme.threshold, "oui" if status.reached else "non",
                     ", ".join(str(y) for y in status.open_years), status.missing, v.collectivites,
                     v.dots, v.voters, v.score, v.theme.financing,
                     KIND_LABELS[v.need.kind or v.theme.kind], ", ".join(s.categories.get(v.need.id, ()))])
    return Table("besoins", "Besoins classés", headers, rows,
                 [6, 34, 40, 30, 12, 10, *[9] * len(years), *[16] * len(years), 7, 8, 14, 10,
                  12, 10, 8, 8, 12, 18, 10])


def demand(s: Summary) -> Table:
    ranked = s.board.ranked
    declaring = sorted({c for per in s.demand.values() for c in per}, key=lambda c: s.names.get(c, ""))
    codes = {m.id: m.code for m in s.members}
    headers = ["Collectivité", "Code", *[v.need.title for v in ranked], "Total"]
    rows = []
    for c in declaring:
        figures = [sum(s.demand.get(v.need.id, {}).get(c, {}).values()) for v in ranked]
        rows.append([s.names.get(c, "?"), codes.get(c) or "", *figures, sum(figures)])
    return Table("demande", "Agents par collectivité et besoin", headers, rows,
                 [32, 11, *[14] * len(ranked), 8])


def votes(s: Summary) -> Table:
    """One row per participant and need: anonymous number, collectivité, role, need, dots."""
    return Table("votes", "Gommettes posées",
                 ["Participant", "Collectivité", "Fonction", "Besoin", "Gommettes"],
                 [[p, c, ROLES.get(r, r), n, d] for p, c, r, n, d in s.ballots], [11, 32, 24, 40, 10])


def plan(s: Summary) -> Table:
    """Every line, with its stable key; "Année" is never empty (a line below threshold keeps
    the year its agents asked for; one without room, the year asked)."""
    headers = ["Clé", "Année", "Priorité", "Intitulé", "Thème", "Type de formation", "Catégories",
               "Statut", "Groupes", "Jours", "Stagiaires", "Stagiaires manquants", "Accueil",
               "Financement", "Motif du financement", "Coût estimé (€)", "Renouvellement",
               "Épinglée", "Explication", "Mutualisation"]
    rows = []
    for line in s.plan.all_lines:
        rows.append([str(line.key), line.shown_year, line.priority, line.title, line.theme.name,
                     KIND_LABELS[line.kind], ", ".join(line.categories), _status(line),
                     len(line.groups), line.days, line.total, line.missing,
                     line.host_name(s.names) if line.territorialised else "",
                     line.theme.financing, line.theme.financing_reason, line.cost or None,
                     "oui" if line.renewal else "non", "oui" if line.pinned else "non", line.reason,
                     pooled_text(line, s.names)])
    for pin in s.plan.stale_pins:
        rows.append([str(pin.key), pin.year, None, "", "", "", "", "épinglage sans effet", None,
                     None, None, None, "", "", "", None, "", "oui", str(pin.why), ""])
    for lapsed in s.plan.lapsed_poolings:
        p = lapsed.pooling
        rows.append([str(p.key), p.key.year, None, "", "", "", "", "mutualisation qui ne tient plus",
                     None, None, None, None, "", "", "", None, "", "non", str(lapsed.why),
                     f"avec {p.partner} ({p.seance_title})"])
    return Table("plan", "Projet de plan pluriannuel", headers, rows,
                 [12, 7, 8, 40, 32, 18, 10, 20, 8, 7, 10, 10, 28, 12, 40, 12, 13, 9, 90, 60])


def costs(s: Summary) -> Table:
    """Estimated cost of the placed payant lines, per collectivité and per year (euros)."""
    years = list(s.years)
    per: dict[int, dict[int, int]] = {}
    for line in s.plan.lines:
        for collectivite, n in line.trainees.items():
            if line.cost_of(n):
                row = per.setdefault(collectivite, {})
                row[line.year] = row.get(line.year, 0) + line.cost_of(n)
    totals = s.plan.costs()
    rows = [[s.names.get(c, "?"), *[per[c].get(y, 0) for y in years], totals.by_collectivite[c]]
            for c in sorted(per, key=lambda c: s.names.get(c, ""))]
    rows.append(["Total", *[totals.by_year.get(y, 0) for y in years], totals.total])
    return Table("couts", "Coût estimé des actions payantes (€)",
                 ["Collectivité", *[str(y) for y in years], "Total"], rows, [32, *[10] * len(years), 10])


def participation(s: Summary) -> Table:
    roles = list(ROLES)
    headers = ["Collectivité", "Type", "Participants", *[ROLES[r] for r in roles],
               "Saisies par l'animateur"]
    rows = [[p.name, KINDS.get(p.kind, p.kind), p.total, *[p.roles.get(r, 0) for r in roles],
             p.proxies] for p in s.participation]
    return Table("participation", "Participation", headers, rows, [32, 20, 12, *[14] * len(roles), 14])


def iel(s: Summary) -> Table:
    """The actions to open in IEL: territorialised lines with a year."""
    headers = ["Année", "Clé", "Code thème", "Thème", "Type de formation", "Intitulé", "Groupes",
               "Jours par session", "Jours au total", "Collectivité d'accueil", "Stagiaires",
               "Stagiaires par collectivité", "Catégories", "Financement", "Coût estimé (€)",
               "Mutualisation"]
    rows = []
    for line in s.plan.lines:
        per = " ; ".join(f"{s.names.get(c, '?')} : {n}" for c, n in line.trainees.items())
        if line.pooling is not None:
            per += "".join(f" ; {name} : {n}" for name, n in line.pooling.theirs)
        rows.append([line.year, str(line.key), line.theme.code, line.theme.name,
                     KIND_LABELS[line.kind], line.title, len(line.groups), line.session_days,
                     line.days, line.host_name(s.names), line.pooled_total, per,
                     ", ".join(line.categories), line.theme.financing, line.cost or None,
                     pooled_text(line, s.names)])
    return Table("iel", "Actions à ouvrir dans IEL", headers, rows,
                 [7, 12, 24, 32, 18, 40, 8, 10, 10, 28, 10, 60, 10, 12, 12, 60])


def seance(s: Summary) -> Table:
    first, last = s.years[0], s.years[-1]
    rows = [["Séance", s.seance.title], ["Date", s.seance.held_on], ["Périmètre", s.perimetre.name],
            ["Collectivité coordinatrice", s.coordinator.name if s.coordinator else ""],
            ["Collectivités du périmètre", len(s.members)], ["Horizon du plan", f"{first}-{last}"],
            ["Gommettes par participant", s.seance.dot_budget],
            ["Gommettes au plus par besoin", s.seance.max_dots_per_need],
            ["Pondération", "par collectivité" if s.seance.weighting == "collectivite"
             else "par participant"],
            ["Participants", sum(p.total for p in s.participation)],
            ["Besoins au tableau", len(s.board.needs)],
            ["Export du", clock.local_date(s.generated_at)]]
    return Table("seance", "Séance", ["Rubrique", "Valeur"], rows, [30, 60])


def all_tables(s: Summary) -> list[Table]:
    return [seance(s), needs(s), demand(s), votes(s), plan(s), costs(s), participation(s), iel(s)]


BY_NAME = {"seance": seance, "besoins": needs, "demande": demand, "votes": votes, "plan": plan,
           "couts": costs, "participation": participation, "iel": iel}
