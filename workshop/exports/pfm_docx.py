"""The PFM as an editable Word file (python-docx), from `exports.pfm.document()`.

Built with Word's own styles (Title, Heading 1, List Bullet, Table Grid) so that a
secretary can restyle it, renumber it or add a paragraph in Word or LibreOffice.
Wide tables sit in a landscape section; the cover and the text stay portrait.
"""

import io

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from workshop.exports.pfm import Document, Section, Table

BRAND = RGBColor(0x1D, 0x3A, 0x8A)
A4 = (Cm(21.0), Cm(29.7))
MARGIN = Cm(2.0)


def _repeat_header(row) -> None:
    """Word repeats a table's first row on every page it spans."""
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _keep_together(row) -> None:
    """Word and LibreOffice never cut this row across two pages."""
    flag = OxmlElement("w:cantSplit")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(docx, table: Table, width) -> None:
    grid = docx.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(table.widths)
    widths = [int(width * w / total) for w in table.widths]
    grid.autofit = False
    for column, w in zip(grid.columns, widths, strict=True):
        column.width = w  # the grid's widths: what LibreOffice and Word lay out from
    for cell, text, w in zip(grid.rows[0].cells, table.headers, widths, strict=True):
        cell.width = w
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        _shade(cell, "DCE3F5")
    _repeat_header(grid.rows[0])
    body = table.rows + ([table.total] if table.total else [])
    for i, values in enumerate(body):
        cells = grid.add_row().cells
        for cell, text, w in zip(cells, values, widths, strict=True):
            cell.width = w
            run = cell.paragraphs[0].add_run(text)
            run.bold = bool(table.total) and i == len(body) - 1
    for i, row in enumerate(grid.rows):
        _keep_together(row)
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8 if i == 0 else 9)


def _landscape(docx, landscape: bool):
    """A new section in the orientation asked for (wide tables in landscape)."""
    section = docx.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (A4[1], A4[0]) if landscape else A4
    return section


def _usable_width(section):
    return section.page_width - section.left_margin - section.right_margin


def _section(docx, part: Section) -> None:
    docx.add_heading(part.title, level=1)
    for text in part.paragraphs:
        docx.add_paragraph(text)
    for text in part.items:
        docx.add_paragraph(text, style="List Bullet")
    for caption, table in part.tables:
        if caption:
            docx.add_heading(caption, level=2)
        _table(docx, table, _usable_width(docx.sections[-1]))


def render(doc: Document) -> bytes:
    """DOCX bytes (Office Open XML, A4) of the PFM."""
    docx = new_docx()
    first = docx.sections[0]
    first.page_width, first.page_height = A4
    for section in (first,):
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    styles = docx.styles
    styles["Normal"].font.name = "DejaVu Sans"
    styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.color.rgb = BRAND
    docx.core_properties.title = f"{doc.title} · {doc.subtitle}"
    docx.core_properties.subject = "Plan de formation mutualisé"
    docx.core_properties.language = "fr-FR"

    # Cover.
    for _ in range(6):
        docx.add_paragraph()
    docx.add_paragraph(doc.title, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = docx.add_paragraph(doc.subtitle, style="Subtitle")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in doc.cover:
        docx.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    docx.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    landscape = False
    for part in doc.sections:
        wide = any(len(table.headers) > 5 for _, table in part.tables)
        if wide != landscape:
            section = _landscape(docx, wide)
            section.left_margin = section.right_margin = MARGIN
            section.top_margin = section.bottom_margin = MARGIN
            landscape = wide
        _section(docx, part)

    for section in docx.sections:
        footer = section.footer.paragraphs[0]
        footer.text = doc.footer
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()
