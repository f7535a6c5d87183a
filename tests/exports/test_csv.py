import csv
import io

from tests import factories
from workshop.exports import csv_files, tables
from workshop.services import summary


def read(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: a French spreadsheet opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_every_table_as_csv(gathered):
    for name, build in tables.BY_NAME.items():
        table = build(gathered)
        rows = read(csv_files.render(table))
        assert rows[0] == table.headers, name
        assert len(rows) == len(table.rows) + 1, name


def test_accents_numbers_and_decimal_comma(gathered):
    rows = read(csv_files.render(tables.needs(gathered)))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    view = gathered.board.ranked[0]
    assert first["Intitulé"] == view.need.title
    assert first["Agents déclarés"] == str(view.status.total)
    assert first["Score"] == str(view.score).replace(".", ",")  # "6,5" or "7"


def test_formula_cells_are_neutralised(db, seance):
    factories.phase(db, seance, "recueil")
    factories.need(db, seance, "=1+1", "hs-sst")
    factories.need(db, seance, "@SUM(A1)", "hs-sst")
    rows = read(csv_files.render(tables.needs(summary.gather(db, seance))))
    titles = [r[2] for r in rows[1:]]
    assert "'=1+1" in titles and "'@SUM(A1)" in titles
    assert not any(t.startswith(("=", "+", "@")) for t in titles)
