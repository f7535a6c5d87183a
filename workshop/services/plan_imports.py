"""Collectivités' training plans: read the files as they come, preview, confirm, synthesise.

Reading is careful with what it is given: size and type limits, a zip bomb
disguised as XLSX is refused before it is opened, formulas are never run
(a cell that is a formula is refused, its text shown, never evaluated).
Nothing reaches the plans before the facilitator confirms; confirming twice
changes nothing.
"""

import csv
import hashlib
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from workshop.domain import plan_files, thresholds
from workshop.domain.messages import Text, msg
from workshop.domain.plan_files import Catalogue, Row, ThemeEntry
from workshop.domain.planning import NeedStatus
from workshop.domain.rules import Refusal
from workshop.domain.text import normalise
from workshop.models import (
    Collectivite,
    Demand,
    ImportedNeed,
    Need,
    Perimetre,
    PlanImport,
    Seance,
    Theme,
    utcnow,
)
from workshop.schemas import SeanceCreate
from workshop.services import events, perimetres, seances

MAX_BYTES = 5 * 1024 * 1024  # a plan is a few hundred rows; 5 MB is generous
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_RATIO = 100  # compressed -> uncompressed; XLSX is about 5 to 10
MAX_ROWS = 20_000
MAX_COLUMNS = 40
TEMPLATE_HEADERS = ["Thème", "Intitulé de l'action", "Nombre d'agents", "Année souhaitée",
                    "Priorité", "Remarques"]


@dataclass
class Sheet:
    name: str
    rows: list[list]


def read(filename: str, data: bytes) -> list[Sheet] | Refusal:
    """The tables of an uploaded file, or why it cannot be read."""
    if len(data) > MAX_BYTES:
        return Refusal("fichier_trop_gros", "Fichier trop volumineux (5 Mo au plus).")
    if not data.strip():
        return Refusal("fichier_vide", "Le fichier est vide.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return _read_csv(data)
    return Refusal("type_refuse", "Format non pris en charge : envoyez un fichier XLSX ou CSV.")


def _read_xlsx(data: bytes) -> list[Sheet] | Refusal:
    import openpyxl

    refused = Refusal("xlsx_illisible", "Ce fichier n'est pas un classeur XLSX lisible.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return refused
    unzipped = sum(i.file_size for i in infos)
    if len(infos) > 2000 or unzipped > MAX_UNZIPPED or unzipped > MAX_RATIO * max(len(data), 1):
        return Refusal("archive_suspecte", "Ce classeur se décompresse en un volume anormal : "
                                           "refusé par sécurité.")
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        return refused
    try:
        # data_only=False: a formula comes back as its text ("=..."), which the rules refuse;
        # it is never evaluated, and a cached result cannot smuggle anything in.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheets = []
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS:
                    return Refusal("trop_de_lignes", "Plus de %(max)s lignes dans une feuille.",
                                   max=MAX_ROWS)
            sheets.append(Sheet(sheet.title, rows))
        book.close()
        return sheets
    except Exception:  # noqa: BLE001 - any parser failure is the same answer to the user
        return refused


def _read_csv(data: bytes) -> list[Sheet] | Refusal:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return Refusal("encodage", "Encodage du fichier non reconnu (UTF-8 ou Windows/Latin-1).")
    if "\x00" in text:
        return Refusal("type_refuse", "Ce fichier n'est pas un texte CSV.")
    sample = "\n".join(text.splitlines()[:20])
    delimiter = max((";", ",", "\t"), key=sample.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_ROWS:
        return Refusal("trop_de_lignes", "Plus de %(max)s lignes.", max=MAX_ROWS)
    return [Sheet("", [r[:MAX_COLUMNS] for r in rows])]


def catalogue(db: Session) -> tuple[Catalogue, dict[str, Theme]]:
    themes = {t.code: t for t in db.exec(select(Theme).where(Theme.active))}
    return Catalogue([ThemeEntry(t.code, t.name, tuple(t.synonyms)) for t in themes.values()]), themes


@dataclass
class Preview:
    upload: PlanImport
    rows: list[Row]
    sheet_errors: list[Text] = field(default_factory=list)
    collectivites: dict[int, int] = field(default_factory=dict)  # row index -> collectivité

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.error]


def upload(db: Session, perimetre: Perimetre, filename: str, data: bytes, collectivite_id: int | None,
           actor_id: int) -> PlanImport | Refusal:
    """Keep the file for its preview; nothing is imported yet."""
    sheets = read(filename, data)
    if isinstance(sheets, Refusal):
        return sheets
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


def preview(db: Session, upload_: PlanImport, default_year: int, horizon: range | None = None,
            overrides: dict[int, str] | None = None) -> Preview:
    """How each row was understood. `overrides` (row index -> theme code) are the human's fixes."""
    sheets = read(upload_.filename, upload_.content)
    result = Preview(upload_, [])
    if isinstance(sheets, Refusal):
        result.sheet_errors.append(sheets.why)
        return result
    cat, themes = catalogue(db)
    members = perimetres.members(db, upload_.perimetre_id)
    by_key = {normalise(m.name): m.id for m in members}
    for sheet in sheets:
        rows, error = plan_files.parse(sheet.rows, cat, default_year, sheet.name, horizon)
        if error:
            if any(any(c not in (None, "") for c in r) for r in sheet.rows):
                result.sheet_errors.append(msg("Feuille « %(sheet)s » : %(error)s.",
                                               sheet=sheet.name or "CSV", error=error))
            continue
        for row in rows:
            index = len(result.rows)
            result.rows.append(row)
            if not row.accepted and row.error != plan_files.UNKNOWN_THEME:
                continue
            who = _collectivite(row, sheet.name, upload_.collectivite_id, by_key)
            if who is None:
                row.error = row.error or msg("collectivité non reconnue dans le périmètre")
                continue
            result.collectivites[index] = who
            chosen = (overrides or {}).get(index)
            if chosen in themes:
                row.theme = plan_files.ThemeMatch(chosen, "chosen", 100)
                if row.error == plan_files.UNKNOWN_THEME:
                    row.error = None
    return result


def _collectivite(row: Row, sheet: str, default: int | None, by_key: dict[str, int]) -> int | None:
    named = row.values.get("collectivite") or ""
    for text in (named, sheet):
        key = normalise(text)
        if key in by_key:
            return by_key[key]
        stripped = key.removeprefix("mairie de ").removeprefix("commune de ").removeprefix("ville de ")
        if stripped in by_key:
            return by_key[stripped]
    return default if not named else None


def confirm(db: Session, upload_: PlanImport, default_year: int, overrides: dict[int, str],
            actor_id: int) -> int | Refusal:
    """Save the accepted rows once; returns how many needs were imported."""
    if upload_.status == "confirmed":
        return Refusal("deja_importe", "Ce fichier a déjà été importé : rien n'a été ajouté.")
    twin = db.exec(select(PlanImport).where(PlanImport.perimetre_id == upload_.perimetre_id,
                                            PlanImport.sha256 == upload_.sha256,
                                            PlanImport.status == "confirmed")).first()
    if twin:
        return Refusal("deja_importe", "Ce fichier a déjà été importé le %(date)s : rien n'a été ajouté.",
                       date=f"{twin.confirmed_at:%d/%m/%Y}")
    result = preview(db, upload_, default_year, None, overrides)
    _, themes = catalogue(db)
    count = 0
    for index, row in enumerate(result.rows):
        if not row.accepted or index not in result.collectivites:
            continue
        db.add(ImportedNeed(import_id=upload_.id, perimetre_id=upload_.perimetre_id,
                            collectivite_id=result.collectivites[index],
                            theme_id=themes[row.theme.code].id, title=row.values["title"][:200],
                            agents=row.values["agents"], year=row.values["year"],
                            priority=str(row.values.get("priority", ""))[:60],
                            remarks=str(row.values.get("remarks", ""))[:1000],
                            line=row.line, sheet=row.sheet[:100]))
        count += 1
    upload_.status, upload_.confirmed_at = "confirmed", utcnow()
    db.add(upload_)
    events.record(db, "plans.imported", events.facilitator_actor(actor_id),
                  perimetre_id=upload_.perimetre_id, import_id=upload_.id,
                  filename=upload_.filename, needs=count, refused=len(result.refused))
    db.commit()
    return count


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


def synthesis(db: Session, perimetre: Perimetre) -> Synthesis:
    """The perimeter's pooled plan: needs grouped by theme and action across collectivités."""
    rows = db.exec(select(ImportedNeed, Theme).join(Theme)
                   .where(ImportedNeed.perimetre_id == perimetre.id)).all()
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
        imports=list(imports))


def start_seance(db: Session, perimetre: Perimetre, data: SeanceCreate,
                 actor_id: int) -> tuple[Seance, int] | Refusal:
    """A séance whose board starts with the synthesis: one need per line, its agents declared."""
    plan = synthesis(db, perimetre)
    if not plan.lines:
        return Refusal("synthese_vide", "Aucun plan importé pour ce périmètre.")
    seance = seances.create(db, actor_id, data)
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
        for (collectivite_id, year), agents in per.items():
            if year in horizon:
                db.add(Demand(need_id=need.id, collectivite_id=collectivite_id, year=year,
                              agents=agents))
            else:
                outside += agents
    events.record(db, "seance.from_plans", events.facilitator_actor(actor_id), seance_id=seance.id,
                  perimetre_id=perimetre.id, needs=len(plan.lines), agents_outside_horizon=outside)
    db.commit()
    return seance, outside


def _per_collectivite_year(db: Session, perimetre_id: int, line: SynthesisLine) -> dict:
    result: dict[tuple[int, int], int] = defaultdict(int)
    for need in db.exec(select(ImportedNeed).where(ImportedNeed.perimetre_id == perimetre_id,
                                                   ImportedNeed.theme_id == line.theme.id)):
        if normalise(need.title) == normalise(line.title):
            result[(need.collectivite_id, need.year)] += need.agents
    return result


def template_rows() -> list[list]:
    year = date.today().year + 1
    return [TEMPLATE_HEADERS,
            ["Hygiène et sécurité", "Sauveteur secouriste du travail (SST)", 4, year, "haute", ""],
            ["Management", "Conduire l'entretien professionnel", 2, year + 1, "moyenne", ""]]
