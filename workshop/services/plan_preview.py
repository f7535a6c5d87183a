"""The preview of a plan file: a pure function of (file bytes, options) -> what was understood.

No database and no Flask, so that it can run in a worker: the caller gathers
the options (catalogue, the perimeter's collectivités, remembered column
mappings, the user's corrections) and gets back every sheet (read, hidden,
recap, without header), how its columns were read, and every row accepted
or refused with why.
"""

from dataclasses import dataclass, field

from workshop.domain import plan_columns, plan_files
from workshop.domain.messages import Text, msg
from workshop.domain.plan_columns import Columns
from workshop.domain.plan_files import Catalogue, Row
from workshop.domain.rules import Refusal
from workshop.domain.text import normalise
from workshop.services import plan_reading

_PREFIXES = ("mairie de ", "commune de ", "ville de ", "mairie d ", "commune d ")


@dataclass
class Options:
    catalogue: Catalogue
    members: dict[str, int]  # normalised name -> collectivité id (the perimeter's)
    default_year: int
    default_collectivite: int | None = None
    years: range | None = None
    columns: dict[str, dict[int, str]] = field(default_factory=dict)  # header shape -> column -> field
    corrections: dict[str, dict[str, str]] = field(default_factory=dict)  # row key -> field -> text


@dataclass
class SheetView:
    index: int
    name: str
    status: str  # "read", "hidden", "recap", "no_header", "empty", "ask" (columns to choose)
    columns: Columns | None = None
    header_line: int | None = None  # 1-based


@dataclass
class FilePreview:
    kind: str = ""
    encoding: str | None = None
    sheets: list[SheetView] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    collectivites: dict[str, int] = field(default_factory=dict)  # row key -> collectivité id
    notes: list[Text] = field(default_factory=list)  # sheets left out, and why
    errors: list[Text] = field(default_factory=list)  # the file or a sheet could not be read

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.error]


def build(filename: str, data: bytes, options: Options) -> FilePreview:
    """How each sheet, column and row of the file was understood."""
    book = plan_reading.read(filename, data)
    result = FilePreview()
    if isinstance(book, Refusal):
        result.errors.append(book.why)
        return result
    result.kind, result.encoding = book.kind, book.encoding
    per_sheet: dict[int, list[Row]] = {}
    for index, sheet in enumerate(book.sheets):
        label = sheet.name or "CSV"
        if sheet.hidden:
            result.sheets.append(SheetView(index, sheet.name, "hidden"))
            result.notes.append(msg("Feuille « %(sheet)s » masquée dans le classeur : laissée de côté.",
                                    sheet=label))
            continue
        found = plan_columns.find_header(sheet.rows)
        if found is None:
            filled = any(any(c not in (None, "") for c in r) for r in sheet.rows)
            result.sheets.append(SheetView(index, sheet.name, "no_header" if filled else "empty"))
            if filled:
                result.errors.append(msg(
                    "Feuille « %(sheet)s » : aucune ligne d'en-tête reconnue (il faut au moins une "
                    "colonne « action » et une colonne « nombre d'agents »).", sheet=label))
            continue
        start, columns = found
        chosen = options.columns.get(columns.shape)
        if chosen is not None:
            columns = plan_columns.chosen(sheet.rows[start], chosen)
        view = SheetView(index, sheet.name, "read", columns, start + 1)
        result.sheets.append(view)
        if any(f in plan_columns.NEED_FIELDS for f in columns.ambiguous) or not columns.complete:
            view.status = "ask"
            for name, competing in columns.ambiguous.items():
                result.errors.append(msg(
                    "Feuille « %(sheet)s » : plusieurs colonnes peuvent être « %(field)s » (%(columns)s) ; "
                    "choisissez la bonne ci-dessous.", sheet=label, field=plan_columns.LABELS[name],
                    columns=", ".join(f"« {columns.headers[i]} »" for i in competing)))
            if not columns.ambiguous:
                result.errors.append(msg("Feuille « %(sheet)s » : indiquez ci-dessous la colonne de "
                                         "l'intitulé et celle du nombre d'agents.", sheet=label))
            continue
        per_sheet[index] = plan_files.parse(
            sheet.rows, columns, start, options.catalogue, options.default_year, sheet.name,
            options.years, index, options.corrections)
    _leave_out_recaps(result, per_sheet)
    for index, rows in per_sheet.items():
        for row in rows:
            result.rows.append(row)
            _collectivite(result, row, book.sheets[index].name, options)
    return result


def _leave_out_recaps(result: FilePreview, per_sheet: dict[int, list[Row]]) -> None:
    totals = {}
    for index, rows in per_sheet.items():
        sums: dict[str, int] = {}
        for row in rows:
            if row.accepted or row.error == plan_files.UNKNOWN_THEME:
                key = normalise(row.values["title"])
                sums[key] = sums.get(key, 0) + row.values["agents"]
        totals[index] = sums
    for view in result.sheets:
        if view.index not in totals:
            continue
        others = [t for i, t in totals.items() if i != view.index]
        if plan_files.is_recap(view.name, totals[view.index], others):
            view.status = "recap"
            del per_sheet[view.index]
            result.notes.append(msg("Feuille « %(sheet)s » : récapitulatif des autres feuilles, laissé de "
                                    "côté pour ne pas compter deux fois.", sheet=view.name))


def _collectivite(result: FilePreview, row: Row, sheet: str, options: Options) -> None:
    """The collectivité of a row: its cell, else the sheet's name, else the upload's default.
    Named but unknown refuses the row; a row refused for another reason still shows it."""
    if row.skipped:
        return
    named = row.values.get("collectivite") or ""
    who = None
    for text in (named, sheet):
        key = normalise(text)
        for prefix in ("", *_PREFIXES):
            if key.startswith(prefix) and key.removeprefix(prefix) in options.members:
                who = options.members[key.removeprefix(prefix)]
                break
        if who is not None or named:
            break
    if who is None and not named:
        who = options.default_collectivite
    if who is None:
        row.error = row.error or msg("collectivité non reconnue dans le périmètre")
        return
    result.collectivites[row.key] = who
