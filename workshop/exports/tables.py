"""The tables every tabular export shares (XLSX sheets, CSV files): one place says what they hold."""

from dataclasses import dataclass
from datetime import date

from workshop.domain import clock
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


def _status(line) -> str:
    if not line.territorialised:
        return "sous le seuil"
    return "territorialisée" if line.year is not None else "sans année (capacité)"


def needs(s: Summary) -> Table:
    years = list(s.years)
    headers = ["Rang", "Thème", "Intitulé", "Précisions", "Origine", "Agents déclarés",
               *[f"Agents {y}" for y in years], "Seuil", "Seuil atteint", "Stagiaires manquants",
               "Collectivités", "Gommettes", "Votants", "Score", "Financement"]
    rows = []
    for v in s.board.ranked:
        rows.append([v.rank, v.theme.name, v.need.title, v.need.details, v.need.source,
                     v.status.total, *[v.by_year.get(y, 0) for y in years], v.theme.threshold,
                     "oui" if v.status.reached else "non", v.status.missing, v.collectivites,
                     v.dots, v.voters, v.score, v.theme.financing])
    return Table("besoins", "Besoins classés", headers, rows,
                 [6, 34, 40, 30, 12, 10, *[9] * len(years), 7, 8, 10, 12, 10, 8, 8, 12])


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
    headers = ["Année", "Priorité", "Intitulé", "Thème", "Statut", "Groupes", "Jours", "Stagiaires",
               "Stagiaires manquants", "Accueil", "Financement", "Motif du financement",
               "Renouvellement", "Épinglée", "Explication"]
    rows = []
    for line in s.plan.all_lines:
        rows.append([line.year, line.priority, line.title, line.theme.name, _status(line),
                     len(line.groups), line.days, line.total, line.missing,
                     s.names.get(line.host_id, "") if line.territorialised else "",
                     line.theme.financing, line.theme.financing_reason,
                     "oui" if line.renewal else "non", "oui" if line.pinned else "non", line.reason])
    return Table("plan", "Projet de plan pluriannuel", headers, rows,
                 [7, 8, 40, 32, 20, 8, 7, 10, 10, 28, 12, 40, 13, 9, 90])


def participation(s: Summary) -> Table:
    roles = list(ROLES)
    headers = ["Collectivité", "Type", "Participants", *[ROLES[r] for r in roles],
               "Saisies par l'animateur"]
    rows = [[p.name, KINDS.get(p.kind, p.kind), p.total, *[p.roles.get(r, 0) for r in roles],
             p.proxies] for p in s.participation]
    return Table("participation", "Participation", headers, rows, [32, 20, 12, *[14] * len(roles), 14])


def iel(s: Summary) -> Table:
    """The actions to open in IEL: territorialised lines with a year."""
    headers = ["Année", "Code thème", "Thème", "Intitulé", "Groupes", "Jours par session",
               "Jours au total", "Collectivité d'accueil", "Stagiaires", "Stagiaires par collectivité",
               "Financement"]
    rows = []
    for line in s.plan.lines:
        per = " ; ".join(f"{s.names.get(c, '?')} : {n}" for c, n in line.trainees.items())
        rows.append([line.year, line.theme.code, line.theme.name, line.title, len(line.groups),
                     line.theme.days, line.days, s.names.get(line.host_id, ""), line.total, per,
                     line.theme.financing])
    return Table("iel", "Actions à ouvrir dans IEL", headers, rows,
                 [7, 24, 32, 40, 8, 10, 10, 28, 10, 60, 12])


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
    return [seance(s), needs(s), demand(s), votes(s), plan(s), participation(s), iel(s)]


BY_NAME = {"seance": seance, "besoins": needs, "demande": demand, "votes": votes, "plan": plan,
           "participation": participation, "iel": iel}
