"""CSV as a French spreadsheet opens it: UTF-8 with BOM, `;` separator, decimal comma."""

import csv
import io

from workshop.exports.tables import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted: it stays text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


def render(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")
