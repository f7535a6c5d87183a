"""Plan files as bytes -> tables, written by the tests with real writers: openpyxl (XLSX),
xlwt (old XLS, the format Excel 97-2003 saves), odfpy (ODS, LibreOffice's format)."""

import io

import openpyxl
import pytest
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableProperties
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P

from workshop.domain.rules import Refusal
from workshop.services import plan_reading

# A hand-made plan: the collectivité merged down its rows, the theme merged down two rows.
HEADER = ["Collectivité", "Thème", "Intitulé de l'action", "Nombre d'agents", "Année"]
ROWS = [["Orchies", "Hygiène et sécurité", "SST", 4, 2027],
        [None, None, "Habilitation électrique", 2, 2027],
        [None, "Management", "Entretien professionnel", 3, 2028],
        ["Cysoing", "Hygiène et sécurité", "SST", 5, 2027]]
MERGED = [((1, 0), (3, 0)), ((1, 1), (2, 1))]  # 0-based (top, left), (bottom, right)
FILLED = [HEADER,
          ["Orchies", "Hygiène et sécurité", "SST", 4, 2027],
          ["Orchies", "Hygiène et sécurité", "Habilitation électrique", 2, 2027],
          ["Orchies", "Management", "Entretien professionnel", 3, 2028],
          ["Cysoing", "Hygiène et sécurité", "SST", 5, 2027]]


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    for (top, left), (bottom, right) in MERGED:
        sheet.merge_cells(start_row=top + 1, start_column=left + 1, end_row=bottom + 1,
                          end_column=right + 1)
    archive = book.create_sheet("Archive")
    archive.append(HEADER)
    archive.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_bytes() -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Plan")
    merged = {(t, left): (b, r) for (t, left), (b, r) in MERGED}
    covered = {(r, c) for (t, left), (b, right) in MERGED for r in range(t, b + 1)
               for c in range(left, right + 1)} - set(merged)
    for r, row in enumerate([HEADER, *ROWS]):
        for c, value in enumerate(row):
            if (r, c) in merged:
                bottom, right = merged[(r, c)]
                sheet.write_merge(r, bottom, c, right, value)
            elif (r, c) not in covered and value is not None:
                sheet.write(r, c, value)
    hidden = book.add_sheet("Archive")
    hidden.write(0, 0, "Intitulé")
    hidden.visibility = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_bytes() -> bytes:
    document = OpenDocumentSpreadsheet()
    hidden_style = Style(name="hidden", family="table")
    hidden_style.addElement(TableProperties(display=False))
    document.automaticstyles.addElement(hidden_style)
    table = Table(name="Plan")
    merged = {(t, left): (b - t + 1, r - left + 1) for (t, left), (b, r) in MERGED}
    covered = {(r, c) for (t, left), (b, right) in MERGED for r in range(t, b + 1)
               for c in range(left, right + 1)} - set(merged)
    for r, row in enumerate([HEADER, *ROWS]):
        line = TableRow()
        for c, value in enumerate(row):
            if (r, c) in covered:
                line.addElement(CoveredTableCell())
                continue
            spans = {}
            if (r, c) in merged:
                rows, cols = merged[(r, c)]
                spans = {"numberrowsspanned": rows, "numbercolumnsspanned": cols}
            if isinstance(value, int):
                cell = TableCell(valuetype="float", value=value, **spans)
            else:
                cell = TableCell(valuetype="string", **spans)
            cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    document.spreadsheet.addElement(table)
    archive = Table(name="Archive", stylename=hidden_style)
    line = TableRow()
    cell = TableCell(valuetype="string")
    cell.addElement(P(text="Intitulé"))
    line.addElement(cell)
    archive.addElement(line)
    document.spreadsheet.addElement(archive)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def normalised(rows):
    """Numbers as integers, empty cells as None: the three formats give 4, 4.0 and ''."""
    out = []
    for row in rows:
        cells = [int(c) if isinstance(c, float) and c == int(c) else (None if c == "" else c) for c in row]
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    return out


@pytest.mark.parametrize("name, make", [("plan.xlsx", xlsx_bytes), ("plan.xls", xls_bytes),
                                        ("plan.ods", ods_bytes)])
def test_merged_cells_fill_their_range_and_hidden_sheets_are_marked(name, make):
    book = plan_reading.read(name, make())
    assert not isinstance(book, Refusal), book
    assert book.kind == name.rpartition(".")[2]
    assert [(s.name, s.hidden) for s in book.sheets] == [("Plan", False), ("Archive", True)]
    assert normalised(book.sheets[0].rows) == FILLED
    assert book.sheets[1].rows == []  # a hidden sheet is not even read


TEXT = ("Thème;Intitulé de l'action;Nombre d'agents;Année\r\n"
        "Hygiène et sécurité;Prévention à l'école;3;2027\r\n")


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "UTF-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8"),
    (TEXT.encode("utf-16"), "UTF-16"),
    (TEXT.encode("cp1252"), "Windows-1252"),
    (TEXT.encode("mac_roman"), "Mac Roman"),  # Excel for Mac's "CSV (Macintosh)": é and à only
    (TEXT.replace("\r\n", "\r").encode("mac_roman"), "Mac Roman"),  # with old-Mac line ends
    (TEXT.replace(";", "\t").encode("utf-16"), "UTF-16"),  # Excel's "Texte Unicode"
])
def test_text_files_in_the_encodings_offices_use(data, encoding):
    book = plan_reading.read("plan.csv", data)
    assert book.encoding == encoding
    assert book.sheets[0].rows == [["Thème", "Intitulé de l'action", "Nombre d'agents", "Année"],
                                   ["Hygiène et sécurité", "Prévention à l'école", "3", "2027"]]


def test_mac_roman_with_all_the_french_letters_is_not_read_as_windows_1252():
    text = "Intitulé;Nombre d'agents\nÉlagage, sécurité à l'œil nu : être prêt, façade;2\n"
    book = plan_reading.read("mac.csv", text.encode("mac_roman"))
    assert (book.encoding, book.sheets[0].rows[1][0]) == ("Mac Roman", text.split("\n")[1].split(";")[0])


def test_a_sheet_spanning_too_many_cells_is_refused_before_it_is_loaded():
    book = openpyxl.Workbook()
    book.active["A1"] = "Intitulé"
    book.active["ZZ19000"] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    refused = plan_reading.read("big.xlsx", buffer.getvalue())
    assert refused.code == "feuille_trop_grande"
