"""The preview of a plan file: a pure function of (file bytes, options) -> what was understood.

No database and no Flask, so that it runs in the worker (the `apercu_plan`
job, worker/tasks.py): the caller gathers the options (catalogue, the
perimeter's collectivités, remembered column mappings, the user's
corrections) and gets back every sheet (read, hidden, recap, without
header), how its columns were read, and every row accepted or refused with
why. `build` reports its progress to a callback; `dump`/`load` carry the
result from the worker to the page as JSON.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from workshop.domain import plan_columns, plan_files
from workshop.domain.messages import Count, Joined, Message, Text, msg, nmsg
from workshop.domain.plan_columns import Columns
from workshop.domain.plan_files import Catalogue, Row, ThemeMatch
from workshop.domain.rules import Refusal
from workshop.domain.text import normalise
from workshop.services import plan_reading

_PREFIXES = ("mairie de ", "commune de ", "ville de ", "mairie d ", "commune d ")
PROGRESS_EVERY = 500  # rows between two progress reports
Progress = Callable[[int, Text], None]  # (percent 0-100, what is being done); may raise to stop


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

    left_out: dict[str, int] = field(default_factory=dict)  # rows `shorten` left out: accepted, refused

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.error]

    @property
    def accepted_count(self) -> int:
        """Rows of the file accepted, those a shortened preview no longer carries included."""
        return len(self.accepted) + self.left_out.get("accepted", 0)

    @property
    def refused_count(self) -> int:
        return len(self.refused) + self.left_out.get("refused", 0)


def blocker(preview: FilePreview) -> Refusal | None:
    """Why this preview cannot be confirmed (nothing could be imported from it), or None.

    One rule for the preview page (no "Confirmer l'import" button, this sentence instead) and
    for the confirmation (`plan_imports.confirm` refuses, nothing is recorded as imported):
    the file could not be read (`kind` is "": unreadable, too many rows...), columns are to be
    chosen, or not one row is understood (none under the header, or all refused).
    """
    if not preview.kind:
        return Refusal("fichier_illisible", "Ce fichier n'a pas pu être lu : il n'y a rien à importer.")
    if any(sheet.status == "ask" for sheet in preview.sheets):
        return Refusal("colonnes_a_choisir", "Choisissez d'abord les colonnes signalées dans l'aperçu : "
                                             "rien n'a été importé.")
    if preview.accepted_count:
        return None
    if preview.refused_count:
        return Refusal("aucune_ligne_comprise", "Aucune ligne n'est comprise : corrigez les lignes refusées "
                                                "ou envoyez un fichier corrigé ; il n'y a rien à importer.")
    return Refusal("aucune_ligne", "Aucune ligne de données dans ce fichier : il n'y a rien à importer.")


def shorten(preview: FilePreview, limit: int) -> FilePreview:
    """The preview as a page shows it: at most `limit` rows, those that need a look first
    (refused, a theme approached or not found, corrected, added up with others), then the
    others in the file's order; blank and total rows dropped. Counts stay those of the file."""
    rows = [r for r in preview.rows if not r.skipped]

    def needs_a_look(row: Row) -> bool:
        return bool(row.error or row.corrected or row.added
                    or (row.theme and row.theme.method in ("fuzzy", "none")))

    looked = [r for r in rows if needs_a_look(r)][:limit]
    kept = {r.key for r in looked}
    others = [r for r in rows if r.key not in kept][:limit - len(kept)]
    kept |= {r.key for r in others}
    shown = [r for r in rows if r.key in kept]
    dropped = [r for r in rows if r.key not in kept]
    return FilePreview(preview.kind, preview.encoding, preview.sheets, shown,
                       {k: v for k, v in preview.collectivites.items() if k in kept},
                       preview.notes, preview.errors,
                       {"accepted": preview.left_out.get("accepted", 0) + sum(r.accepted for r in dropped),
                        "refused": preview.left_out.get("refused", 0) + sum(bool(r.error) for r in dropped)})


def _quiet(percent: int, step: Text) -> None:
    return None


def build(filename: str, data: bytes, options: Options, progress: Progress = _quiet) -> FilePreview:
    """How each sheet, column and row of the file was understood.

    `progress(percent, text)` is told what is being done (reading the file, then the rows
    read so far, every PROGRESS_EVERY rows); an exception it raises (a cancelled job) stops
    the build and goes up to the caller.
    """
    progress(5, msg("Lecture du fichier…"))
    book = plan_reading.read(filename, data)
    result = FilePreview()
    if isinstance(book, Refusal):
        result.errors.append(book.why)
        return result
    result.kind, result.encoding = book.kind, book.encoding
    per_sheet: dict[int, list[Row]] = {}
    total = max(1, sum(len(s.rows) for s in book.sheets))
    done = 0
    for index, sheet in enumerate(book.sheets):
        label = sheet.name or "CSV"
        base = done

        def told(rows_read: int, sheet_label: str = label, base: int = base) -> None:
            progress(20 + 75 * (base + rows_read) // total,
                     nmsg("Lecture de la feuille « %(sheet)s »… %(n)s ligne lue",
                          "Lecture de la feuille « %(sheet)s »… %(n)s lignes lues", base + rows_read,
                          sheet=sheet_label))

        done += len(sheet.rows)
        told(0)
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
            options.years, index, options.corrections, told, PROGRESS_EVERY)
        if all(row.skipped for row in per_sheet[index]):
            result.notes.append(
                msg("Feuille « %(sheet)s » : aucune ligne de données sous l'en-tête (ligne %(line)s).",
                    sheet=label, line=start + 1) if sheet.name else
                msg("Aucune ligne de données sous l'en-tête (ligne %(line)s).", line=start + 1))
    progress(96, msg("Rapprochement des collectivités…"))
    _leave_out_recaps(result, per_sheet)
    for index, rows in per_sheet.items():
        for row in rows:
            result.rows.append(row)
            _collectivite(result, row, book.sheets[index].name, options)
    _add_up(result)
    return result


def _add_up(result: FilePreview) -> None:
    """Rows of the file for the same collectivité, action and year make one need: their agents
    add up (the synthesis sums them); each such row and a note say so."""
    groups: dict[tuple, list[Row]] = {}
    for row in result.accepted:
        if row.key in result.collectivites:
            groups.setdefault((result.collectivites[row.key], *row.same_need), []).append(row)
    added = [rows for rows in groups.values() if len(rows) > 1]
    for rows in added:
        for row in rows:
            row.added = len(rows)
    if added:
        result.notes.append(nmsg(
            "%(n)s besoin réunit plusieurs lignes du fichier (même collectivité, même action, même "
            "année) : leurs agents sont additionnés.",
            "%(n)s besoins réunissent plusieurs lignes du fichier (même collectivité, même action, "
            "même année) : leurs agents sont additionnés.", len(added)))


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


# --- the preview as JSON: from the worker that builds it to the page that shows it ----------

FORMAT = 1  # bumped when the shape below changes: an older stored preview is built again


def _text_out(text):
    if isinstance(text, Message):
        return {"m": text.text, "p": {k: _text_out(v) for k, v in text.params.items()},
                "pl": text.plural, "n": text.n}
    if isinstance(text, Joined):
        return {"j": [_text_out(p) for p in text.parts], "s": _text_out(text.sep)}
    if isinstance(text, Count):
        return {"c": text.n}
    return text


def _text_in(data):
    if isinstance(data, dict) and "m" in data:
        return Message(data["m"], {k: _text_in(v) for k, v in data["p"].items()}, data["pl"], data["n"])
    if isinstance(data, dict) and "j" in data:
        return Joined(tuple(_text_in(p) for p in data["j"]), _text_in(data["s"]))
    if isinstance(data, dict) and "c" in data:
        return Count(data["c"])
    return data


def _columns_out(columns: Columns | None) -> dict | None:
    if columns is None:
        return None
    return {"headers": columns.headers, "fields": {str(k): v for k, v in columns.fields.items()},
            "scores": {str(k): v for k, v in columns.scores.items()}, "ambiguous": columns.ambiguous,
            "chosen": columns.chosen}


def _columns_in(data: dict | None) -> Columns | None:
    if data is None:
        return None
    return Columns(data["headers"], {int(k): v for k, v in data["fields"].items()},
                   {int(k): v for k, v in data["scores"].items()}, data["ambiguous"], data["chosen"])


def _row_out(row: Row) -> dict:
    theme = None if row.theme is None else [row.theme.code, row.theme.method, row.theme.score,
                                            [list(a) for a in row.theme.alternatives]]
    return {"line": row.line, "sheet": row.sheet, "key": row.key, "values": row.values,
            "details": row.details, "theme": theme, "error": _text_out(row.error),
            "skipped": row.skipped, "corrected": list(row.corrected), "category": row.category,
            "added": row.added}


def _row_in(data: dict) -> Row:
    theme = data["theme"]
    return Row(data["line"], data["sheet"], data["key"], data["values"], data["details"],
               None if theme is None else ThemeMatch(theme[0], theme[1], theme[2],
                                                     tuple(tuple(a) for a in theme[3])),
               _text_in(data["error"]), data["skipped"], tuple(data["corrected"]), data["category"],
               data["added"])


def dump(preview: FilePreview) -> dict:
    """The preview as JSON-ready data (`load` gives it back, equal)."""
    return {"format": FORMAT, "kind": preview.kind, "encoding": preview.encoding,
            "sheets": [{"index": v.index, "name": v.name, "status": v.status,
                        "columns": _columns_out(v.columns), "header_line": v.header_line}
                       for v in preview.sheets],
            "rows": [_row_out(r) for r in preview.rows], "collectivites": preview.collectivites,
            "notes": [_text_out(t) for t in preview.notes], "errors": [_text_out(t) for t in preview.errors],
            "left_out": preview.left_out}


def load(data: dict) -> FilePreview | None:
    """A preview from `dump`'s data; None when it was stored in another format (build it again)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return FilePreview(data["kind"], data["encoding"],
                       [SheetView(v["index"], v["name"], v["status"], _columns_in(v["columns"]),
                                  v["header_line"]) for v in data["sheets"]],
                       [_row_in(r) for r in data["rows"]], dict(data["collectivites"]),
                       [_text_in(t) for t in data["notes"]], [_text_in(t) for t in data["errors"]],
                       dict(data["left_out"]))
