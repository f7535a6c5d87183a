"""Every date a person reads is the séance's day (Europe/Paris), whatever the format.

An export made at 00:30 on 2 December in Paris is 23:30 on 1 December in UTC: the
XLSX and the CSV used to say "Export du 2026-12-01" while the PDF said 02/12/2026.
"""

import csv
import dataclasses
import io
from datetime import UTC, date, datetime

import openpyxl
from pypdf import PdfReader

from tests.exports.test_pdf import render
from workshop.domain import clock
from workshop.exports import csv_files, tables, xlsx

JUST_AFTER_MIDNIGHT_IN_PARIS = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 CET, 2 Dec


def test_local_is_the_seance_zone_for_aware_and_naive_instants():
    assert clock.local_date(JUST_AFTER_MIDNIGHT_IN_PARIS) == date(2026, 12, 2)
    assert clock.local_date(JUST_AFTER_MIDNIGHT_IN_PARIS.replace(tzinfo=None)) == date(2026, 12, 2)
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 CEST (UTC+2)
    assert clock.local(summer).hour == 0 and clock.local_date(summer) == date(2026, 7, 2)
    assert clock.local_date(datetime(2026, 12, 1, 22, 59, tzinfo=UTC)) == date(2026, 12, 1)


def exported_on(table_rows) -> str:
    return str(dict(table_rows)["Export du"])


def test_xlsx_csv_and_pdf_say_the_same_day(app, gathered):
    late = dataclasses.replace(gathered, generated_at=JUST_AFTER_MIDNIGHT_IN_PARIS)

    rows = list(csv.reader(io.StringIO(csv_files.render(tables.seance(late)).decode("utf-8-sig")),
                           delimiter=";"))
    assert exported_on(r[:2] for r in rows[1:]) == "2026-12-02"

    book = openpyxl.load_workbook(io.BytesIO(xlsx.render(tables.all_tables(late), "T", "S")))
    cells = {r[0].value: r[1].value for r in book["seance"].iter_rows(min_row=2)}
    assert cells["Export du"].date() == date(2026, 12, 2)

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render(app, late))).pages)
    assert "02/12/2026" in text and "01/12/2026" not in text
