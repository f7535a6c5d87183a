"""The workbook, read back the way a spreadsheet would."""

import datetime as dt
import io

import openpyxl

from tests import factories
from workshop.exports import tables, xlsx
from workshop.services import board, summary


def workbook(s):
    return openpyxl.load_workbook(io.BytesIO(xlsx.render(tables.all_tables(s), "T", "S")))


def test_sheets_headers_and_frozen_panes(gathered):
    book = workbook(gathered)
    assert book.sheetnames == ["seance", "besoins", "demande", "votes", "plan", "couts", "participation",
                               "iel"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
    besoins = book["besoins"]
    assert [c.value for c in besoins[1]][:6] == ["Rang", "Thème", "Intitulé", "Précisions",
                                                 "Origine", "Agents déclarés"]
    assert round(besoins.column_dimensions["C"].width) in (40, 41)  # XlsxWriter adds padding


def test_cells_hold_real_numbers_and_dates(gathered):
    book = workbook(gathered)
    seance = book["seance"]
    assert seance["B3"].value == dt.datetime(2026, 12, 1)  # the séance's date, a real date
    assert seance["B3"].number_format == "dd/mm/yyyy"
    besoins = book["besoins"]
    ranked = gathered.board.ranked
    for row, view in enumerate(ranked, start=2):
        assert besoins.cell(row, 1).value == view.rank and besoins.cell(row, 1).data_type == "n"
        assert besoins.cell(row, 6).value == view.status.total
    votes = book["votes"]
    assert sum(votes.cell(r, 5).value for r in range(2, votes.max_row + 1)) == \
        sum(v.dots for v in gathered.board.needs)


def test_demand_matrix_adds_up(gathered):
    sheet = workbook(gathered)["demande"]
    total_col = sheet.max_column
    grand = sum(sheet.cell(r, total_col).value for r in range(2, sheet.max_row + 1))
    assert grand == sum(v.status.total for v in gathered.board.needs)


def test_a_formula_typed_as_a_title_stays_text(db, seance):
    factories.phase(db, seance, "recueil")
    factories.need(db, seance, '=HYPERLINK("http://evil.example","clic")', "hs-sst")
    book = workbook(summary.gather(db, seance))
    cells = [c for row in book["besoins"].iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    assert board  # the need went through the same service as any other
