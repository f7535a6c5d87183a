"""The plan de formation mutualisé (PFM) as an editable Word document (DOCX, python-docx).

What the coordinator sends to every collectivité, laid out like published PFMs:
cover; preamble (legal frame); the perimeter and its collectivités; the method
(the séance, who took part); one table per axis (the themes' domains) with
action, kind, public and category, agents per collectivité and total, year,
days, place, financing and estimated cost; then the statutory trainings, the
lines below threshold with their options, and the actions to open in IEL.
French only, as the other exports (docs/export-format.md).
"""

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from workshop.domain.planning import KIND_LABELS
from workshop.services.summary import Summary

PREAMBLE = (
    "La loi n° 84-594 du 12 juillet 1984 relative à la formation des agents de la fonction "
    "publique territoriale (article 7) fait obligation à chaque collectivité d'établir un plan de "
    "formation ; la loi n° 2007-209 du 19 février 2007 relative à la fonction publique "
    "territoriale en précise le contenu : formations d'intégration et de professionnalisation, "
    "de perfectionnement, de préparation aux concours et examens professionnels. Ce plan de "
    "formation mutualisé rassemble les besoins des collectivités du périmètre ; ses actions "
    "territorialisées sont organisées avec le CNFPT sur le territoire et ouvertes à "
    "l'inscription en ligne (IEL).")
HEADERS = ["Action", "Type", "Public et catégorie", "Agents par collectivité", "Total", "Année",
           "Jours", "Lieu", "Financement", "Coût estimé"]


def _euros(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f") + " €" if n else ""


def _table(document, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = str(text)


def render(s: Summary) -> bytes:
    document = Document()
    document.styles["Normal"].font.size = Pt(10)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    names = s.names
    first, last = s.years[0], s.years[-1]

    document.add_heading("Plan de formation mutualisé", 0)
    document.add_paragraph(f"{s.perimetre.name} — {first}-{last}")
    coordinator = s.coordinator.name if s.coordinator else "non désignée"
    document.add_paragraph(f"Collectivité coordinatrice : {coordinator}")
    document.add_paragraph(f"Séance de co-conception du {s.seance.held_on.strftime('%d/%m/%Y')}")

    document.add_heading("Préambule", 1)
    document.add_paragraph(PREAMBLE)

    document.add_heading("Le périmètre", 1)
    document.add_paragraph(f"{len(s.members)} collectivités : "
                           + ", ".join(m.name for m in s.members) + ".")

    document.add_heading("La méthode", 1)
    people = sum(p.total for p in s.participation)
    document.add_paragraph(
        f"Séance de co-conception du {s.seance.held_on.strftime('%d/%m/%Y')} : {people} "
        f"participants de {len(s.participation)} collectivités ont déclaré leurs besoins et le "
        "nombre d'agents concernés, puis voté (vote à gommettes). Le plan applique les seuils de "
        "territorialisation du CNFPT (15 stagiaires, 12 ou 13 selon les thèmes).")
    _table(document, ["Collectivité", "Participants", "Saisies par l'animateur"],
           [[p.name, str(p.total), str(p.proxies or "")] for p in s.participation])

    domains = {v.need.id: v.theme.domain for v in s.board.needs + s.board.hidden}
    axes: dict[str, list] = {}
    for line in s.plan.lines + s.plan.unplaced:
        axes.setdefault(domains.get(line.need_id, "Autres"), []).append(line)
    for axis in sorted(axes):
        document.add_heading(f"Axe : {axis}", 1)
        rows = []
        for line in axes[axis]:
            per = ", ".join(f"{names.get(c, '?')} : {n}" for c, n in line.trainees.items())
            rows.append([line.title, KIND_LABELS[line.kind],
                         ", ".join(line.categories) or "toutes catégories", per, str(line.total),
                         str(line.year) if line.year is not None else f"sans année ({line.asked_year})",
                         str(line.days), names.get(line.host_id, ""),
                         "payant" if line.financing == "payant" else "cotisation",
                         _euros(line.cost)])
        _table(document, HEADERS, rows)

    costs = s.plan.costs()
    if costs.total:
        document.add_heading("Coût estimé des actions payantes", 1)
        _table(document, ["Collectivité", *[str(y) for y in s.years], "Total"],
               [[names.get(c, "?"), *[_euros(s.for_collectivite(c).costs()[y]) for y in s.years],
                 _euros(total)] for c, total in sorted(costs.by_collectivite.items(),
                                                       key=lambda kv: names.get(kv[0], ""))]
               + [["Total", *[_euros(costs.by_year[y]) for y in s.years], _euros(costs.total)]])

    document.add_heading("Formations statutaires", 1)
    document.add_paragraph("Intégration et professionnalisation : organisées par le CNFPT pour "
                           "chaque agent concerné, hors seuil de territorialisation.")
    for line in s.plan.statutory:
        document.add_paragraph(f"{line.title} : {line.reason}", style="List Bullet")

    document.add_heading("Sous le seuil de territorialisation", 1)
    for line in s.plan.below:
        document.add_paragraph(f"{line.title} : {line.reason}", style="List Bullet")

    document.add_heading("Actions à ouvrir dans IEL", 1)
    _table(document, ["Année", "Code thème", "Intitulé", "Groupes", "Jours", "Accueil", "Stagiaires"],
           [[str(ln.year), ln.theme.code, ln.title, str(len(ln.groups)), str(ln.days),
             names.get(ln.host_id, ""), str(ln.total)] for ln in s.plan.lines])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
