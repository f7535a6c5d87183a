"""The plan de formation mutualisé (PFM): the document the coordinator sends to every collectivité.

One structure, two renderings: `document(summary)` builds the sections, paragraphs
and tables once; `exports/pfm_docx.py` writes them as an editable Word file and
`templates/exports/pfm.html` lays the same structure out as a PDF. The document
is a French administrative text (like the CSV and XLSX exports), so its words are
French whatever the facilitator's language.

Its outline follows published plans de formation mutualisés: cover; preamble with
the legal frame (loi n° 84-594 du 12 juillet 1984, art. 7; loi n° 2007-209 du
19 février 2007); the perimeter and its collectivités; the method (the séance, who
took part); one table per axis (the catalogue's domains); the lines below the
threshold with their options; the actions to open in IEL.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from babel.dates import format_date
from babel.numbers import format_decimal

from workshop.domain import clock
from workshop.domain.planning import KIND_LABELS
from workshop.domain.territories import KINDS, ROLES
from workshop.services.summary import Summary

LOCALE = "fr_FR"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths (they add up to about 100)
    total: list[str] | None = None  # a last row in bold, when the table adds up


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)  # (caption, table)
    items: list[str] = field(default_factory=list)  # a bulleted list after the paragraphs


@dataclass
class Document:
    title: str
    subtitle: str
    cover: list[str]  # the cover's lines under the title
    sections: list[Section]
    footer: str


def number(n: int | float) -> str:
    """1234 -> '1 234' (French grouping, narrow no-break space as Babel gives it)."""
    return format_decimal(n, locale=LOCALE)


def plural(n: int, one: str, many: str) -> str:
    """French: 0 and 1 take the singular."""
    return f"{number(n)} {one if n <= 1 else many}"


def long_date(d) -> str:
    """'1er décembre 2026', '2 décembre 2026' (French writes the first of the month 1er)."""
    text = format_date(d, "d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if d.day == 1 else text


def _kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def _years(s: Summary) -> str:
    return f"{s.years[0]}–{s.years[-1]}" if len(s.years) > 1 else str(s.years[0])


def _per_collectivite(s: Summary, trainees: dict[int, int]) -> str:
    ordered = sorted(trainees.items(), key=lambda kv: (-kv[1], s.names.get(kv[0], "")))
    return " ; ".join(f"{s.names.get(c, '?')} : {number(n)}" for c, n in ordered if n)


def _financing(line) -> str:
    return "payant" if line.theme.financing == "payant" else "cotisation"


def _preamble() -> Section:
    return Section("Préambule", [
        "La formation professionnelle des agents territoriaux est un droit, tout au long de "
        "leur carrière. L'article 7 de la loi n° 84-594 du 12 juillet 1984 relative à la "
        "formation des agents de la fonction publique territoriale fait obligation à chaque "
        "collectivité d'établir un plan de formation, qui détermine le programme des actions "
        "de formation prévues pour ses agents.",
        "La loi n° 2007-209 du 19 février 2007 relative à la fonction publique territoriale a "
        "fixé le contenu de ce plan : formations d'intégration et de professionnalisation, "
        "formations de perfectionnement, préparation aux concours et examens professionnels. "
        "Ces dispositions sont aujourd'hui reprises au code général de la fonction publique.",
        "Le plan de formation mutualisé (PFM) fait la synthèse des plans des collectivités d'un "
        "même périmètre. Ses actions sont organisées par le CNFPT sur le territoire, dès lors "
        "qu'elles réunissent le nombre de stagiaires requis (15, ou 12 à 13 selon les "
        "thématiques) ; elles sont financées par la cotisation des collectivités, à "
        "l'exception des formations payantes (CACES, formations des membres du CHSCT / F3SCT, "
        "armement des policiers municipaux, FIMO et FCO). Toutes sont ouvertes aux "
        "inscriptions sur le dispositif d'inscription en ligne (IEL).",
        "Ce document est un projet : il est issu d'une séance de co-conception et peut être "
        "ajusté par chaque collectivité avant sa présentation au comité social territorial.",
    ])


def _perimetre(s: Summary) -> Section:
    coordinator = s.coordinator.name if s.coordinator else "non désignée"
    rows = [[m.name, _kind_label(m.kind), number(m.population) if m.population else ""]
            for m in sorted(s.members, key=lambda m: m.name)]
    return Section("Le périmètre", [
        f"Le périmètre « {s.perimetre.name} » réunit "
        f"{plural(len(s.members), 'collectivité', 'collectivités')}. "
        f"Collectivité coordinatrice : {coordinator}.",
    ], [("Collectivités du périmètre", Table(["Collectivité", "Type", "Population"], rows,
                                             [60, 25, 15]))])


def _method(s: Summary) -> Section:
    people = sum(p.total for p in s.participation)
    seance = s.seance
    paragraphs = [
        f"Les besoins ont été recueillis et hiérarchisés lors de la séance de co-conception "
        f"« {seance.title} » du {long_date(seance.held_on)} : "
        f"{plural(people, 'participant', 'participants')}, "
        f"{plural(len(s.participation), 'collectivité représentée', 'collectivités représentées')}.",
        f"Chaque collectivité a déclaré le nombre de ses agents concernés par chaque besoin et "
        f"l'année souhaitée ; les participants ont voté avec "
        f"{plural(seance.dot_budget, 'gommette', 'gommettes')} "
        f"chacun ({plural(seance.max_dots_per_need, 'gommette', 'gommettes')} au plus par besoin), "
        f"pondération {'par collectivité' if seance.weighting == 'collectivite' else 'par participant'}.",
        f"Horizon du plan : {_years(s)}.",
    ]
    rows = []
    for p in s.participation:
        roles = ", ".join(f"{ROLES.get(role, role)} ({n})" for role, n in p.roles.most_common())
        rows.append([p.name, number(p.total), roles, number(p.proxies) if p.proxies else ""])
    tables = [("Participation par collectivité",
               Table(["Collectivité", "Participants", "Fonctions", "Saisies par l'animateur"], rows,
                     [35, 12, 38, 15]))] if rows else []
    return Section("La méthode", paragraphs, tables)


def _domains(s: Summary) -> dict[int, str]:
    return {v.need.id: v.theme.domain for v in s.board.needs + s.board.hidden}


def euros(n: int) -> str:
    """6480 -> '6 480 €' (French grouping); 0 -> '' (nothing to pay)."""
    return f"{number(n)} €" if n else ""


def _public(line) -> str:
    return ", ".join(line.categories) if line.categories else "toutes catégories"


AXIS_HEADERS = ["Action", "Type", "Public et catégorie", "Agents par collectivité", "Total", "Année",
                "Durée", "Lieu (accueil)", "Financement", "Coût estimé"]


def _pooled(line, s: Summary) -> str:
    """A pooled line's agreement with the other perimeter (issue 17, item 9), after its title."""
    if line.pooling is None:
        return ""
    return (f" — action mutualisée avec {line.pooling.partner} : {number(line.total)} + "
            f"{number(line.pooling.their_total)} = {number(line.pooled_total)} stagiaires, "
            f"accueil à {line.host_name(s.names)}")


def _axes(s: Summary) -> list[Section]:
    domain_of = _domains(s)
    by_domain: dict[str, list] = defaultdict(list)
    for line in s.plan.lines + s.plan.unplaced:
        by_domain[domain_of.get(line.need_id, line.theme.name)].append(line)
    sections = []
    for number_, domain in enumerate(sorted(by_domain), 1):
        lines = sorted(by_domain[domain], key=lambda ln: (ln.year or 9999, ln.priority))
        rows = [[line.title + (" (renouvellement)" if line.renewal else "") + _pooled(line, s),
                 KIND_LABELS.get(line.kind, line.kind), _public(line),
                 _per_collectivite(s, line.trainees), number(line.total),
                 str(line.year) if line.year else "à programmer",
                 f"{plural(len(line.groups), 'groupe', 'groupes')}, {plural(line.days, 'jour', 'jours')}",
                 line.host_name(s.names), _financing(line), euros(line.cost)]
                for line in lines]
        total = ["Total", "", "", "", number(sum(ln.total for ln in lines)), "",
                 plural(sum(ln.days for ln in lines), "jour", "jours"), "", "",
                 euros(sum(ln.cost for ln in lines))]
        sections.append(Section(f"Axe {number_} : {domain}", [], [("", Table(
            AXIS_HEADERS, rows, [12, 13, 9, 17, 6, 6, 9, 10, 11, 7], total))]))
    return sections


def _costs(s: Summary) -> Section:
    section = Section("Coût estimé des actions payantes")
    costs = s.plan.costs()
    if not costs.total:
        section.paragraphs.append("Aucune action payante dans ce plan : toutes sont financées par la "
                                  "cotisation versée au CNFPT.")
        return section
    section.paragraphs.append(
        "Les formations payantes (CACES, CHSCT / F3SCT, armement des policiers municipaux, FIMO et "
        "FCO) sont facturées à la collectivité. Estimation : coût par stagiaire et par jour du "
        "catalogue, ou celui fixé pour la séance, multiplié par les jours et les stagiaires de "
        "chaque collectivité.")
    rows = []
    for collectivite_id, total in sorted(costs.by_collectivite.items(),
                                         key=lambda kv: s.names.get(kv[0], "")):
        per_year = s.for_collectivite(collectivite_id).costs()
        rows.append([s.names.get(collectivite_id, "?"), *[euros(per_year[y]) for y in s.years],
                     euros(total)])
    width = 60 / (len(s.years) + 1)
    section.tables.append(("", Table(["Collectivité", *[str(y) for y in s.years], "Total"], rows,
                                     [40, *[width] * (len(s.years) + 1)],
                                     ["Total", *[euros(costs.by_year[y]) for y in s.years],
                                      euros(costs.total)])))
    return section


def _statutory(s: Summary) -> Section:
    section = Section("Formations statutaires", [
        "Les formations d'intégration et de professionnalisation sont statutaires : le CNFPT les "
        "organise pour chaque agent concerné. Elles ne sont pas territorialisées et ne comptent "
        "pas dans la capacité du périmètre ; elles sont listées ici pour mémoire."])
    if not s.plan.statutory:
        section.paragraphs.append("Aucun agent n'a été déclaré pour ces formations.")
        return section
    rows = [[line.title, KIND_LABELS.get(line.kind, line.kind), _public(line),
             _per_collectivite(s, line.trainees), number(line.total), str(line.shown_year)]
            for line in s.plan.statutory]
    section.tables.append(("", Table(["Formation", "Type", "Public et catégorie",
                                      "Agents par collectivité", "Total", "Année"], rows,
                                     [26, 16, 12, 30, 7, 9])))
    return section


def _below(s: Summary) -> Section:
    section = Section("Besoins sous le seuil de territorialisation")
    if not s.plan.below:
        section.paragraphs.append("Tous les besoins exprimés atteignent le seuil de territorialisation.")
        return section
    section.paragraphs.append(
        "Ces besoins ne réunissent pas, pour leur année, le nombre de stagiaires requis. "
        "Options : mutualiser avec un périmètre voisin, ou inscrire individuellement les agents "
        "aux stages du catalogue du CNFPT (IEL).")
    rows = [[line.title, _per_collectivite(s, line.trainees), number(line.total),
             str(line.shown_year), number(line.missing), str(line.why)]
            for line in s.plan.below]
    section.tables.append(("", Table(["Besoin", "Agents par collectivité", "Total", "Année",
                                      "Manquants", "Pourquoi, et que faire"], rows,
                                     [20, 24, 7, 7, 9, 33])))
    return section


def _iel(s: Summary) -> Section:
    section = Section("Actions à ouvrir dans IEL")
    lines = [ln for ln in s.plan.lines if ln.year]
    if not lines:
        section.paragraphs.append("Aucune action territorialisée pour l'instant.")
        return section
    section.paragraphs.append("Liste des actions que le CNFPT ouvre aux inscriptions en ligne pour "
                              "le périmètre, par année.")
    rows = [[str(ln.year), ln.theme.code, ln.title, number(len(ln.groups)), number(ln.days),
             ln.host_name(s.names), number(ln.total)]
            for ln in sorted(lines, key=lambda ln: (ln.year, ln.priority))]
    section.tables.append(("", Table(["Année", "Code", "Action", "Groupes", "Jours", "Accueil",
                                      "Stagiaires"], rows, [8, 16, 36, 9, 8, 14, 9])))
    return section


def document(s: Summary) -> Document:
    """The whole PFM of a séance's perimeter, ready to be written as DOCX or PDF."""
    coordinator = s.coordinator.name if s.coordinator else "non désignée"
    cover = [
        f"Collectivité coordinatrice : {coordinator}",
        f"Projet issu de la séance de co-conception du {long_date(s.seance.held_on)}",
        f"Document de travail, version du {long_date(clock.local_date(s.generated_at))}",
    ]
    sections = [_preamble(), _perimetre(s), _method(s), *_axes(s), _costs(s), _statutory(s),
                _below(s), _iel(s)]
    return Document(
        title="Plan de formation mutualisé",
        subtitle=f"{s.perimetre.name} · {_years(s)}",
        cover=cover, sections=sections,
        footer=f"PFM {s.perimetre.name} {_years(s)} · projet")
