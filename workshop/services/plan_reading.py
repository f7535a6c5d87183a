"""Plan files as bytes -> tables: CSV and text in any encoding, XLSX, XLS and ODS.

No database and no Flask: `read(filename, data)` is a pure function of the
bytes, so it can run in a worker. Careful with what it is given: a size
limit is checked by the caller, a zip bomb disguised as a workbook is
refused before it is opened, a sheet too large is refused before its cells
are loaded, and formulas are never evaluated: spreadsheets are read with
python-calamine, which gives the value the spreadsheet saved with each
formula and has no formula engine. Merged cells fill their whole range;
hidden sheets are kept apart, marked hidden.
"""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from charset_normalizer import from_bytes
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from workshop.domain import limits
from workshop.domain.plan_files import UnsavedFormula
from workshop.domain.rules import Refusal

MAX_UNZIPPED = limits.PLAN_FILE_UNZIPPED_MAX
MAX_RATIO = limits.PLAN_FILE_RATIO_MAX
MAX_ROWS = limits.PLAN_ROWS_MAX
MAX_COLUMNS = limits.PLAN_COLUMNS_MAX
MAX_CELLS = limits.PLAN_CELLS_MAX
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXTS = (".csv", ".txt", ".tsv", ".tab")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of a compound file: every XLS workbook
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16",
                  "cp1252": "Windows-1252", "mac-roman": "Mac Roman", "iso8859-1": "ISO-8859-1",
                  "latin-1": "ISO-8859-1", "iso8859-15": "ISO-8859-15", "cp850": "DOS (CP850)"}
# Letters a French plan is written with, and characters that only appear when bytes were decoded
# with the wrong table (Mac Roman read as Windows-1252 gives "PrŽvention", the reverse "Pr»vention").
_FRENCH = set("éèêëàâäçùûüôöîïœÉÈÊÀÂÇÙÛÔÎŒ«»’€°")
_OFFICE = ("cp1252", "mac_roman", "iso8859_15", "latin_1", "utf_8")
_PLAIN = set("\t\n\r") | {chr(c) for c in range(32, 127)} | _FRENCH | {"\u00a0", "\u202f", "–", "—", "…"}


@dataclass
class Sheet:
    name: str
    rows: list[list]
    hidden: bool = False


@dataclass
class Book:
    sheets: list[Sheet]
    encoding: str | None = None  # for text files: the encoding found, as people name it
    kind: str = ""  # "csv", "xlsx", "xls", "ods"
    notes: list = field(default_factory=list)


def read(filename: str, data: bytes) -> Book | Refusal:
    """The tables of an uploaded file, or why it cannot be read (French refusal)."""
    if not data.strip():
        return Refusal("fichier_vide", "Le fichier est vide.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm", ".ods")):
        return _read_zipped(data)
    if data[:8] == OLE2 or name.endswith(".xls"):
        return _read_book(data, "xls", {})
    if name.endswith(TEXTS) or not name.rpartition(".")[1]:
        return _read_text(data)
    return Refusal("type_refuse", "Format non pris en charge : envoyez un fichier XLSX, ODS, XLS ou CSV.")


def sniff(filename: str, data: bytes) -> Refusal | None:
    """What can be refused at once, without reading the cells (milliseconds, in the request):
    an empty file, a format we do not read, a text with NUL bytes, a workbook that is not a
    zip of a workbook or decompresses to an abnormal volume, a `.xls` without the OLE2
    signature (D0 CF 11 E0 A1 B1 1A E1). The rest is `read`'s (the worker's)."""
    if not data.strip():
        return Refusal("fichier_vide", "Le fichier est vide.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm", ".ods")):
        opened = _open_zip(data)
        if isinstance(opened, Refusal):
            return opened
        names = {i.filename for i in opened.infolist()}
        if "xl/workbook.xml" not in names and "content.xml" not in names:
            return Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX ou ODS lisible.")
        return None
    if data[:8] == OLE2:
        return None
    if name.endswith(".xls"):  # an XLS workbook is an OLE2 compound file: anything else is not one
        return Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX, ODS ou XLS lisible.")
    if name.endswith(TEXTS) or not name.rpartition(".")[1]:
        if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return Refusal("type_refuse", "Ce fichier n'est pas un texte CSV.")
        return None
    return Refusal("type_refuse", "Format non pris en charge : envoyez un fichier XLSX, ODS, XLS ou CSV.")


def _open_zip(data: bytes) -> zipfile.ZipFile | Refusal:
    """The archive, once its listing says it is no zip bomb (nothing is decompressed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX ou ODS lisible.")
    unzipped = sum(i.file_size for i in infos)
    if len(infos) > limits.PLAN_FILE_MEMBERS_MAX or unzipped > MAX_UNZIPPED \
            or unzipped > MAX_RATIO * max(len(data), 1):
        return Refusal("archive_suspecte", "Ce classeur se décompresse en un volume anormal : "
                                           "refusé par sécurité.")
    return archive


def _read_zipped(data: bytes) -> Book | Refusal:
    refused = Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX ou ODS lisible.")
    archive = _open_zip(data)
    if isinstance(archive, Refusal):
        return archive
    names = {i.filename for i in archive.infolist()}
    if "xl/workbook.xml" in names:
        book = _read_book(data, "xlsx", {})
        formulas = any(b"<f" in archive.read(n) for n in names if n.startswith("xl/worksheets/"))
        if formulas and isinstance(book, Book):
            _mark_unsaved_formulas(data, book)
        return book
    if "content.xml" in names:
        try:
            merges = _ods_merges(archive.read("content.xml"))
        except ElementTree.ParseError:
            return refused
        return _read_book(data, "ods", merges)
    return refused


def _read_book(data: bytes, kind: str, merges: dict[str, list]) -> Book | Refusal:
    refused = Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX, ODS ou XLS lisible.")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no table
            if meta.visible != SheetVisibleEnum.Visible:
                sheets.append(Sheet(meta.name, [], hidden=True))
                continue
            sheet = book.get_sheet_by_name(meta.name)
            if sheet.total_height > MAX_ROWS + 1:
                return Refusal("trop_de_lignes", "Plus de %(max)s lignes dans une feuille.", max=MAX_ROWS)
            if sheet.total_height * sheet.total_width > MAX_CELLS:
                return Refusal("feuille_trop_grande", "Une feuille s'étend sur trop de cellules : "
                                                      "refusée par sécurité.")
            rows = [row[:MAX_COLUMNS] for row in sheet.to_python(skip_empty_area=False)]
            ranges = merges.get(meta.name, []) if kind == "ods" else sheet.merged_cell_ranges or []
            sheets.append(Sheet(meta.name, _fill_merged(rows, ranges)))
        book.close()
    except Exception:  # noqa: BLE001 - any parser failure is the same answer to the user
        return refused
    return Book(sheets, kind=kind)


def _mark_unsaved_formulas(data: bytes, book: Book) -> None:
    """An empty cell that holds a formula saved without its value is marked, so the row says why
    it cannot be read. openpyxl gives the formula's text only: nothing is evaluated."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for sheet in book.sheets:
            if sheet.hidden or sheet.name not in workbook.sheetnames:
                continue
            for r, cells in enumerate(workbook[sheet.name].iter_rows(max_col=MAX_COLUMNS, values_only=True)):
                if r >= len(sheet.rows):
                    break
                for c, value in enumerate(cells):
                    if isinstance(value, str) and value.startswith("=") and c < len(sheet.rows[r]) \
                            and sheet.rows[r][c] in ("", None):
                        sheet.rows[r][c] = UnsavedFormula(value)
    finally:
        workbook.close()


def _fill_merged(rows: list[list], ranges: list) -> list[list]:
    """Each merged range takes its top-left value in every cell (only within the table read)."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(rows) or left >= MAX_COLUMNS or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            cells = rows[r]
            for c in range(left, min(right, MAX_COLUMNS - 1) + 1):
                if c >= len(cells):
                    cells.extend([""] * (c + 1 - len(cells)))
                if cells[c] in ("", None):
                    cells[c] = value
    return rows


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merges(content: bytes) -> dict[str, list]:
    """Merged ranges of each sheet of an ODS content.xml (calamine gives none for ODS).

    ((top, left), (bottom, right)), 0-based, as calamine gives them for XLSX and XLS.
    """
    merges: dict[str, list] = {}
    name, row, col = "", -1, 0
    for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        tag = element.tag
        if event == "start" and tag == f"{_TABLE}table":
            name, row = element.get(f"{_TABLE}name", ""), -1
            merges[name] = []
        elif event == "start" and tag == f"{_TABLE}table-row":
            row, col = row + 1, 0
        elif event == "end" and tag == f"{_TABLE}table-row":
            row += int(element.get(f"{_TABLE}number-rows-repeated", "1")) - 1
            element.clear()
        elif event == "start" and tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
            rows_spanned = int(element.get(f"{_TABLE}number-rows-spanned", "1"))
            cols_spanned = int(element.get(f"{_TABLE}number-columns-spanned", "1"))
            if rows_spanned > 1 or cols_spanned > 1:
                merges[name].append(((row, col), (row + rows_spanned - 1, col + cols_spanned - 1)))
            col += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
    return merges


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding as people name it), or None: BOMs first, then UTF-8, then the candidates
    of charset-normalizer and the two tables French offices use (Windows-1252, Mac Roman),
    the one whose text reads most like French winning."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), _display(codec)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    candidates = [m.encoding for m in from_bytes(data[:200_000])] + ["cp1252", "mac_roman"]
    best: tuple[int, str, str] | None = None
    for position, codec in enumerate(dict.fromkeys(candidates)):
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        # Ties (Mac Greek reads é and à as Mac Roman does): the tables of French offices first,
        # then the detector's order.
        plausibility = _french(text) * 1000 + (500 if codec in _OFFICE else 0) - position
        if best is None or plausibility > best[0]:
            best = (plausibility, text, codec)
    return (best[1], _display(best[2])) if best else None


def _french(text: str) -> int:
    """How much a text reads like French: accented letters count, stray symbols count against."""
    sample = text[:100_000]
    return sum(1 for c in sample if c in _FRENCH) - 3 * sum(1 for c in sample if c not in _PLAIN)


def _display(codec: str) -> str:
    name = codecs.lookup(codec).name.replace("_", "-")
    if name == "utf-8-sig":
        name = "utf-8"
    return ENCODING_NAMES.get(name, name.upper())


def _read_text(data: bytes) -> Book | Refusal:
    decoded = decode(data)
    if decoded is None:
        return Refusal("encodage", "Encodage du fichier non reconnu.")
    text, encoding = decoded
    if "\x00" in text:
        return Refusal("type_refuse", "Ce fichier n'est pas un texte CSV.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows, Unix and old Mac line ends
    sample = "\n".join(text.split("\n", 20)[:20])
    delimiter = max(("\t", ";", ","), key=lambda d: len(re.findall(re.escape(d), sample)))
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return Refusal("type_refuse", "Ce fichier n'est pas un texte CSV.")
    if len(rows) > MAX_ROWS:
        return Refusal("trop_de_lignes", "Plus de %(max)s lignes.", max=MAX_ROWS)
    return Book([Sheet("", [r[:MAX_COLUMNS] for r in rows])], encoding=encoding, kind="csv")
