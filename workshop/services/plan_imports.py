"""Collectivités' training plans: read the files as they come, preview, confirm, synthesise.

Reading (`plan_reading`) and the preview (`plan_preview`) are pure functions
of the file's bytes and options; this module gathers the options from the
database and keeps what the user chose. Nothing reaches the plans before the
facilitator confirms; confirming twice changes nothing. A collectivité's new
plan supersedes its earlier one (kept, marked, no longer counted), and an
import can be withdrawn, which brings back what it had superseded: nothing
is deleted.
"""

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from workshop.domain import plan_columns, thresholds
from workshop.domain.limits import PREVIEW_ROWS_SHOWN
from workshop.domain.plan_files import Catalogue, ThemeEntry
from workshop.domain.planning import NeedStatus
from workshop.domain.rules import Refusal
from workshop.domain.text import normalise
from workshop.models import (
    Collectivite,
    ColumnMapping,
    Demand,
    ImportedNeed,
    Job,
    Need,
    Perimetre,
    PlanImport,
    Seance,
    Theme,
    utcnow,
)
from workshop.schemas import PLAN_FILE_MAX, SeanceCreate, too_large
from workshop.services import events, perimetres, plan_preview, plan_reading, seances
from workshop.services.plan_preview import FilePreview

MAX_BYTES = PLAN_FILE_MAX  # a plan is a few hundred rows; 5 MB is generous
MAX_EDITABLE_ROWS = 120  # rows offered for correction (5 inputs each; a form takes 1,000 fields)
CORRECTABLE = ("collectivite", "theme", "title", "agents", "year")
TEMPLATE_HEADERS = ["Thème", "Intitulé de l'action", "Nombre d'agents", "Année souhaitée",
                    "Priorité", "Remarques"]
COUNTED = ("confirmed", "superseded")  # imports whose rows may still count (unless superseded)


def read(filename: str, data: bytes) -> plan_reading.Book | Refusal:
    """The tables of an uploaded file, or why it cannot be read."""
    if len(data) > MAX_BYTES:
        return too_large(MAX_BYTES)
    return plan_reading.read(filename, data)


def sniff(filename: str, data: bytes) -> Refusal | None:
    """What is refused at upload, without reading the cells (`plan_reading.sniff`)."""
    if len(data) > MAX_BYTES:
        return too_large(MAX_BYTES)
    return plan_reading.sniff(filename, data)


def active_themes(db: Session) -> dict[str, Theme]:
    """The catalogue's themes by code (without the matcher's indexes: for pages)."""
    return {t.code: t for t in db.exec(select(Theme).where(Theme.active))}


def catalogue(db: Session) -> tuple[Catalogue, dict[str, Theme]]:
    themes = active_themes(db)
    return Catalogue([ThemeEntry(t.code, t.name, tuple(t.synonyms), t.domain)
                      for t in themes.values()]), themes


def upload(db: Session, perimetre: Perimetre, filename: str, data: bytes, collectivite_id: int | None,
           actor_id: int) -> PlanImport | Refusal:
    """Keep the file for its preview; nothing is imported yet.

    Only what can be refused at once is checked here (size, format, zip bomb); the cells are
    read by the preview, in the worker (a file that cannot be read says so there)."""
    refused = sniff(filename, data)
    if refused is not None:
        return refused
    if collectivite_id is not None and \
            collectivite_id not in perimetres.member_ids(db, perimetre.id):
        return Refusal("collectivite_hors_perimetre",
                       "Choisissez une collectivité du périmètre.", "collectivite_id")
    row = PlanImport(perimetre_id=perimetre.id, uploaded_by_id=actor_id, filename=filename[:200],
                     sha256=hashlib.sha256(data).hexdigest(), content=data,
                     collectivite_id=collectivite_id)
    db.add(row)
    db.commit()
    return row


def _choices(db: Session, upload_: PlanImport) -> tuple[dict[str, int], dict, dict]:
    """(members by normalised name, column mappings remembered and chosen, corrected cells)."""
    members = {normalise(m.name): m.id for m in perimetres.members(db, upload_.perimetre_id)}
    remembered = {m.shape: {int(k): v for k, v in m.mapping.items()} for m in db.exec(
        select(ColumnMapping).where(ColumnMapping.facilitator_id == upload_.uploaded_by_id))}
    chosen = {shape: {int(k): v for k, v in mapping.items()}
              for shape, mapping in (upload_.options or {}).get("columns", {}).items()}
    return members, {**remembered, **chosen}, dict((upload_.options or {}).get("cells", {}))


def options(db: Session, upload_: PlanImport, default_year: int,
            horizon: range | None = None) -> plan_preview.Options:
    """What the preview needs besides the bytes: catalogue, members, remembered and chosen mappings."""
    cat, _ = catalogue(db)
    members, columns, cells = _choices(db, upload_)
    return plan_preview.Options(cat, members, default_year, upload_.collectivite_id, horizon,
                                columns, cells)


def preview(db: Session, upload_: PlanImport, default_year: int,
            horizon: range | None = None, progress: plan_preview.Progress | None = None) -> FilePreview:
    """How each sheet, column and row was understood, with the user's choices applied.

    Reads the whole file: the web asks the worker for it (`apercu_plan`, see `preview_key`)."""
    return plan_preview.build(upload_.filename, upload_.content,
                              options(db, upload_, default_year, horizon),
                              *(() if progress is None else (progress,)))


# --- the preview as a job of the worker ------------------------------------------------------
# The page asks for the preview of the upload as it now stands (its key); the worker builds it
# and keeps it as the job's file (JSON); the page shows it once the job is done. A choice made
# in the preview changes the key: the next preview is asked for.

PREVIEW_JOB = "apercu_plan"


def preview_key(db: Session, upload_: PlanImport, default_year: int) -> str:
    """What the preview of this upload depends on besides its bytes, as a short hash: the
    perimeter's members, the column mappings, the corrected cells, the default year and
    collectivité, the catalogue, the preview's format."""
    members, columns, cells = _choices(db, upload_)
    themes = db.exec(select(Theme.code, Theme.name, Theme.synonyms, Theme.domain)
                     .where(Theme.active).order_by(Theme.code)).all()
    said = json.dumps({"members": sorted(members.items()), "columns": columns, "cells": cells,
                       "year": default_year, "default": upload_.collectivite_id,
                       "themes": [list(t) for t in themes],
                       "format": plan_preview.FORMAT}, sort_keys=True, default=str)
    return hashlib.sha256(said.encode()).hexdigest()[:32]


def preview_job(db: Session, upload_: PlanImport) -> Job | None:
    """The last preview job asked for this upload (its key in `params["key"]`), if any."""
    job_id = (upload_.options or {}).get("job")
    return db.get(Job, job_id) if job_id else None


def point(db: Session, upload_: PlanImport, job: Job) -> None:
    """This job builds the upload's preview from now on."""
    upload_.options = {**(upload_.options or {}), "job": job.id}
    db.add(upload_)
    db.commit()


IMPORT_JOB = "import_plan"


def kept_preview(result: FilePreview) -> bytes:
    """What the preview job keeps (its file, JSON): the preview as the page shows it (at most
    PREVIEW_ROWS_SHOWN rows, `plan_preview.shorten`) and the CSV of every row left out, so
    that the page never reads a whole big file's rows again."""
    return json.dumps({"preview": plan_preview.dump(plan_preview.shorten(result, PREVIEW_ROWS_SHOWN)),
                       "left_out_csv": left_out_csv(result).decode("utf-8")},
                      ensure_ascii=False).encode("utf-8")


@dataclass
class Kept:
    preview: FilePreview  # shortened: see kept_preview
    left_out_csv: bytes


def stored(path: Path) -> Kept | None:
    """What a preview job kept (its file), or None when it is gone or of another format."""
    try:
        data = json.loads(path.read_bytes())
        preview_ = plan_preview.load(data["preview"])
        return None if preview_ is None else Kept(preview_, data["left_out_csv"].encode("utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def choose(db: Session, upload_: PlanImport, form: dict[str, str], default_year: int,
           actor_id: int) -> FilePreview | Refusal:
    """Keep the user's choices from the preview form (`keep`) and read the file again with them."""
    kept = keep(db, upload_, form, preview(db, upload_, default_year), actor_id)
    return kept if isinstance(kept, Refusal) else preview(db, upload_, default_year)


def keep(db: Session, upload_: PlanImport, form: dict[str, str], before: FilePreview,
         actor_id: int) -> None | Refusal:
    """Keep the user's choices from the preview form, and remember column mappings (whether
    the preview changes: compare `preview_key` before and after).

    `form`: "col-<sheet>-<column>" -> field (or "" for none), "cell-<sheet>:<line>-<field>" -> text;
    `before`: the preview the form was shown with. Only what differs from the file is kept.
    """
    if upload_.status != "preview":
        return Refusal("deja_importe", "Ce fichier a déjà été importé : rien n'a été changé.")
    chosen = dict((upload_.options or {}).get("columns", {}))
    for view in before.sheets:
        if view.columns is None:
            continue
        prefix = f"col-{view.index}-"
        # ASCII digits only: '²' and '٣' are digits to str.isdigit(), not to int().
        picked = {int(k.removeprefix(prefix)): v for k, v in form.items()
                  if k.startswith(prefix) and k.removeprefix(prefix).isascii()
                  and k.removeprefix(prefix).isdigit() and len(k) < 20}
        if not picked:
            continue
        mapping = {str(i): f for i, f in picked.items() if f in plan_columns.FIELDS}
        if {int(k): v for k, v in mapping.items()} != view.columns.fields or view.columns.chosen:
            chosen[view.columns.shape] = mapping
            _remember(db, actor_id, view.columns.shape, mapping)
    cells = dict((upload_.options or {}).get("cells", {}))
    originals = shown(db, before, upload_.perimetre_id)
    for name, value in form.items():
        if not name.startswith("cell-"):
            continue
        key, _, field_ = name.removeprefix("cell-").rpartition("-")
        if key not in originals or field_ not in CORRECTABLE:
            continue
        value = value.strip()[:200]
        if value != originals[key][field_]:
            cells.setdefault(key, {})[field_] = value
    upload_.options = {**(upload_.options or {}), "columns": chosen, "cells": cells}
    db.add(upload_)
    db.commit()
    return None


def shown(db: Session, result: FilePreview, perimetre_id: int) -> dict[str, dict[str, str]]:
    """Row key -> field -> the text the preview shows (the recognised theme and collectivité by
    name), so that an input the user did not touch changes nothing."""
    themes = active_themes(db)
    names = {m.id: m.name for m in perimetres.members(db, perimetre_id)} if result.collectivites else {}
    texts = {}
    for row in result.rows:
        values = {f: _text(row.values.get(f)) for f in CORRECTABLE}
        if row.theme and row.theme.code in themes:
            values["theme"] = themes[row.theme.code].name
        if row.key in result.collectivites:
            values["collectivite"] = names.get(result.collectivites[row.key], values["collectivite"])
        texts[row.key] = values
    return texts


def _text(value) -> str:
    return "" if value is None else str(value)


def _remember(db: Session, actor_id: int, shape: str, mapping: dict[str, str]) -> None:
    known = db.exec(select(ColumnMapping).where(ColumnMapping.facilitator_id == actor_id,
                                                ColumnMapping.shape == shape)).first()
    known = known or ColumnMapping(facilitator_id=actor_id, shape=shape)
    known.mapping, known.updated_at = mapping, utcnow()
    db.add(known)


def confirm(db: Session, upload_: PlanImport, default_year: int, actor_id: int,
            result: FilePreview | None = None) -> int | Refusal:
    """Save the accepted rows once; returns how many needs were imported (at least one).

    Refused, nothing recorded, when the preview cannot be confirmed (`plan_preview.blocker`:
    unreadable file, columns to choose, no row understood) or the file was imported already.

    `result`: the preview the facilitator saw (built by the worker), else it is built here.

    The rows of earlier imports for the same collectivités are superseded by these (kept,
    no longer counted): a corrected plan replaces the first, it never adds up with it.
    """
    if upload_.status != "preview":
        return Refusal("deja_importe", "Ce fichier a déjà été importé : rien n'a été ajouté.")
    twin = db.exec(select(PlanImport).where(PlanImport.perimetre_id == upload_.perimetre_id,
                                            PlanImport.sha256 == upload_.sha256,
                                            PlanImport.status == "confirmed")).first()
    if twin:
        return Refusal("deja_importe", "Ce fichier a déjà été importé le %(date)s : rien n'a été ajouté.",
                       date=f"{twin.confirmed_at:%d/%m/%Y}")
    if result is None:
        result = preview(db, upload_, default_year)
    blocked = plan_preview.blocker(result)  # unreadable, columns to choose, no row understood
    if blocked is not None:
        return blocked
    _, themes = catalogue(db)
    saved = [(row, result.collectivites[row.key]) for row in result.rows
             if row.accepted and row.key in result.collectivites]
    covered = {who for _, who in saved}
    superseded = _supersede(db, upload_, covered)
    for row, who in saved:
        db.add(ImportedNeed(import_id=upload_.id, perimetre_id=upload_.perimetre_id,
                            collectivite_id=who, theme_id=themes[row.theme.code].id,
                            title=row.values["title"][:200], agents=row.values["agents"],
                            year=row.values["year"], category=row.category,
                            priority=str(row.details.get("priority", ""))[:60],
                            remarks=str(row.details.get("remarks", ""))[:1000], line=row.line,
                            sheet=row.sheet[:100], details={k: str(v)[:200] for k, v in row.details.items()}))
    upload_.status, upload_.confirmed_at = "confirmed", utcnow()
    db.add(upload_)
    events.record(db, "plans.imported", events.facilitator_actor(actor_id),
                  perimetre_id=upload_.perimetre_id, import_id=upload_.id,
                  filename=upload_.filename, needs=len(saved), refused=len(result.refused),
                  superseded_imports=sorted(superseded))
    db.commit()
    return len(saved)


def _supersede(db: Session, upload_: PlanImport, covered: set[int]) -> set[int]:
    """Mark the counted rows of earlier imports for these collectivités as replaced by this one."""
    if not covered:
        return set()
    earlier = db.exec(select(ImportedNeed).join(PlanImport, ImportedNeed.import_id == PlanImport.id)
                      .where(ImportedNeed.perimetre_id == upload_.perimetre_id,
                             col(ImportedNeed.collectivite_id).in_(covered),
                             col(ImportedNeed.superseded_by_id).is_(None),
                             PlanImport.status == "confirmed", PlanImport.id != upload_.id)).all()
    touched = set()
    for need in earlier:
        need.superseded_by_id = upload_.id
        touched.add(need.import_id)
        db.add(need)
    db.flush()
    for import_id in touched:
        _settle_status(db, import_id)
    return touched


def _settle_status(db: Session, import_id: int) -> None:
    """An import all of whose rows were replaced reads "superseded"; "confirmed" otherwise."""
    row = db.get(PlanImport, import_id)
    if row is None or row.status not in COUNTED:
        return
    live = db.exec(select(ImportedNeed.id).where(ImportedNeed.import_id == import_id,
                                                 col(ImportedNeed.superseded_by_id).is_(None))).first()
    row.status = "confirmed" if live is not None else "superseded"
    db.add(row)


def withdraw(db: Session, upload_: PlanImport, actor_id: int) -> int | Refusal:
    """Take a confirmed import out of the synthesis (kept, marked withdrawn); what it had
    superseded counts again. Returns how many rows were brought back."""
    if upload_.status not in COUNTED:
        return Refusal("import_non_confirme", "Seul un import confirmé peut être retiré.")
    upload_.status, upload_.withdrawn_at = "withdrawn", utcnow()
    db.add(upload_)
    restored = db.exec(select(ImportedNeed).where(ImportedNeed.superseded_by_id == upload_.id)).all()
    touched = set()
    for need in restored:
        need.superseded_by_id = None
        touched.add(need.import_id)
        db.add(need)
    db.flush()
    for import_id in touched:
        _settle_status(db, import_id)
    events.record(db, "plans.withdrawn", events.facilitator_actor(actor_id),
                  perimetre_id=upload_.perimetre_id, import_id=upload_.id, filename=upload_.filename,
                  restored=len(restored))
    db.commit()
    return len(restored)


def editable(result: FilePreview) -> set[str]:
    """The rows whose cells the preview page offers to correct: all of a small file; in a big
    one, those that need a look (refused, or a theme only approached) up to MAX_EDITABLE_ROWS."""
    rows = [r for r in result.rows if not r.skipped]
    if len(rows) > MAX_EDITABLE_ROWS:
        rows = [r for r in rows if r.error or (r.theme and r.theme.method == "fuzzy")]
    return {r.key for r in rows[:MAX_EDITABLE_ROWS]}


def field_labels() -> list[tuple[str, object]]:
    """(field, label) for the column selects of the preview, in reading order."""
    return [(name, plan_columns.LABELS[name]) for name in plan_columns.FIELDS]


def left_out_csv(result: FilePreview) -> bytes:
    """The rows not imported, with why, as a CSV to fix and send again (UTF-8 with BOM, ";")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Feuille", "Ligne", "Motif", "Collectivité", "Thème", "Intitulé de l'action",
                     "Nombre d'agents", "Année"])
    for row in result.refused:
        cells = (_text(row.values.get(f)) for f in ("collectivite", "theme", "title", "agents", "year"))
        writer.writerow([row.sheet, row.line, str(row.error), *cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass
class SynthesisLine:
    theme: Theme
    title: str
    by_year: dict[int, int]
    by_collectivite: dict[int, int]
    status: NeedStatus  # per year, by the plan's rule (thresholds.status)


@dataclass
class Synthesis:
    lines: list[SynthesisLine]
    sent: list[Collectivite]  # collectivités whose plan arrived
    missing: list[Collectivite]  # the coordinator's follow-up list
    imports: list[PlanImport]
    # Import id -> its rows the synthesis counts (the same rows as `lines`): the index says
    # "importé" only for an import that brings needs into the synthesis (one truth).
    counted: dict[int, int] = field(default_factory=dict)


def synthesis(db: Session, perimetre: Perimetre) -> Synthesis:
    """The perimeter's pooled plan: needs grouped by theme and action across collectivités."""
    rows = db.exec(select(ImportedNeed, Theme).join(Theme, ImportedNeed.theme_id == Theme.id)
                   .join(PlanImport, ImportedNeed.import_id == PlanImport.id)
                   .where(*_counted_where(perimetre.id))).all()
    groups: dict[tuple, SynthesisLine] = {}
    for need, theme in rows:
        key = (theme.id, normalise(need.title))
        line = groups.get(key)
        if line is None:
            line = groups[key] = SynthesisLine(theme, need.title, defaultdict(int),
                                               defaultdict(int), None)
        line.by_year[need.year] += need.agents
        line.by_collectivite[need.collectivite_id] += need.agents
    for line in groups.values():
        line.status = thresholds.status(dict(line.by_year), line.theme.threshold, line.theme.poolable)
    members = perimetres.members(db, perimetre.id)
    sent_ids = {n.collectivite_id for n, _ in rows}
    imports = db.exec(select(PlanImport).where(PlanImport.perimetre_id == perimetre.id)
                      .order_by(PlanImport.uploaded_at.desc())).all()
    return Synthesis(
        lines=sorted(groups.values(), key=lambda ln: (-ln.status.total, ln.theme.name, ln.title)),
        sent=[m for m in members if m.id in sent_ids],
        missing=[m for m in members if m.id not in sent_ids],
        imports=list(imports), counted=dict(Counter(need.import_id for need, _ in rows)))


def start_seance(db: Session, perimetre: Perimetre, data: SeanceCreate,
                 actor_id: int) -> tuple[Seance, int] | Refusal:
    """A séance whose board starts with the synthesis: one need per line, its agents declared."""
    plan = synthesis(db, perimetre)
    if not plan.lines:
        return Refusal("synthese_vide", "Aucun plan importé pour ce périmètre.")
    seance = seances.add(db, actor_id, data)  # committed below, with its needs: one transaction
    if isinstance(seance, Refusal):
        return seance
    horizon = range(seance.horizon_start, seance.horizon_start + seance.horizon_years)
    outside = 0
    for line in plan.lines:
        need = Need(seance_id=seance.id, theme_id=line.theme.id, title=line.title, source="import",
                    details="Issu des plans de formation des collectivités.")
        db.add(need)
        db.flush()
        per = _per_collectivite_year(db, perimetre.id, line)
        for (collectivite_id, year), (agents, category) in per.items():
            if year in horizon:
                db.add(Demand(need_id=need.id, collectivite_id=collectivite_id, year=year,
                              agents=agents, category=category))
            else:
                outside += agents
    events.record(db, "seance.from_plans", events.facilitator_actor(actor_id), seance_id=seance.id,
                  perimetre_id=perimetre.id, needs=len(plan.lines), agents_outside_horizon=outside)
    db.commit()
    return seance, outside


def _counted_where(perimetre_id: int) -> tuple:
    """The imported rows the synthesis counts (with ImportedNeed joined to PlanImport): from
    imports neither withdrawn nor still in preview, not replaced by a later plan of the same
    collectivité."""
    return (ImportedNeed.perimetre_id == perimetre_id, col(PlanImport.status).in_(COUNTED),
            col(ImportedNeed.superseded_by_id).is_(None))


def _per_collectivite_year(db: Session, perimetre_id: int,
                           line: SynthesisLine) -> dict[tuple[int, int], tuple[int, str | None]]:
    """(collectivité, year) -> (agents added up, their category when all its rows say the same
    one, else None)."""
    agents: dict[tuple[int, int], int] = defaultdict(int)
    categories: dict[tuple[int, int], set] = defaultdict(set)
    for need in db.exec(select(ImportedNeed).join(PlanImport, ImportedNeed.import_id == PlanImport.id)
                        .where(*_counted_where(perimetre_id), ImportedNeed.theme_id == line.theme.id)):
        if normalise(need.title) == normalise(line.title):
            agents[(need.collectivite_id, need.year)] += need.agents
            categories[(need.collectivite_id, need.year)].add(need.category)
    return {key: (total, next(iter(categories[key])) if len(categories[key]) == 1 else None)
            for key, total in agents.items()}


def template_rows() -> list[list]:
    year = date.today().year + 1
    return [TEMPLATE_HEADERS,
            ["Hygiène et sécurité", "Sauveteur secouriste du travail (SST)", 4, year, "haute", ""],
            ["Management", "Conduire l'entretien professionnel", 2, year + 1, "moyenne", ""]]
