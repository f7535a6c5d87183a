"""The workbook: one sheet per table, frozen headers, column widths, real numbers and dates."""

import io
from datetime import date

import xlsxwriter

from workshop.exports.tables import Table


def render(tables: list[Table], title: str, subject: str) -> bytes:
    buffer = io.BytesIO()
    # Strings are always written as strings: a cell typed "=..." never becomes a formula.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": title, "subject": subject, "author": "workshop"})
    header = book.add_format({"bold": True, "bg_color": "#1D3A8A", "font_color": "#FFFFFF",
                              "text_wrap": True, "valign": "top", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    dated = book.add_format({"num_format": "dd/mm/yyyy", "valign": "top"})
    number = book.add_format({"valign": "top"})
    for table in tables:
        sheet = book.add_worksheet(table.name[:31])
        sheet.write_row(0, 0, table.headers, header)
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, 32)
        for col, width in enumerate(table.widths):
            sheet.set_column(col, col, width, wrap if width >= 30 else None)
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    sheet.write_blank(r, c, None)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    sheet.write_number(r, c, value, number)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, dated)
                else:
                    sheet.write_string(r, c, str(value))
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.headers) - 1)
    book.close()
    return buffer.getvalue()
