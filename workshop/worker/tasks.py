"""What the worker does for each kind of job (services.jobs.KINDS), with its progress.

`run(app, job_id)` is huey's task. It runs in the worker process, or inside
the request when the queue is immediate (the tests of views). It renders in
the language of the facilitator who asked (a request context with their
language), writes the file aside (`.part`) and renames it once complete, so a
job that fails or is cancelled leaves nothing half-written.

A new kind of job: add it to services.jobs.KINDS, write its builder here with
`@builder(kind)`, and call `worker.submit(kind, ...)` from the view. The
preview of an uploaded plan file comes this way (`apercu_plan`: its file is
the preview as JSON, which the preview page shows).
"""

import json
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import render_template
from flask_babel import gettext as _
from sqlmodel import Session

from workshop.db import session_scope
from workshop.domain.rules import Refusal
from workshop.exports import csv_files, json_seance, pdf, pfm, pfm_docx, tables, xlsx
from workshop.i18n import say
from workshop.models import Perimetre, PlanImport, Seance
from workshop.schemas import load_json
from workshop.services import jobs, plan_imports, summary

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html; charset=utf-8"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class JobFailed(Exception):
    """A reason the facilitator can act on, already in their language."""


@dataclass
class Output:
    filename: str = ""  # empty: the job makes no file (an import)
    mimetype: str = ""
    result: dict = field(default_factory=dict)


@dataclass
class Context:
    db: Session
    job: object  # models.Job
    files: jobs.Files

    @property
    def part(self) -> Path:
        """Where the builder writes its file (renamed once complete)."""
        return self.files.part_path(self.job.id)

    def progress(self, percent: int, step: str) -> None:
        """Tell the page; stops the job (jobs.Cancelled) once the facilitator cancelled it."""
        jobs.report(self.db, self.job.id, percent, step)

    @property
    def seance(self) -> Seance:
        return self.db.get(Seance, self.job.seance_id)


BUILDERS: dict[str, Callable[[Context], Output]] = {}


def builder(kind: str):
    def register(function):
        BUILDERS[kind] = function
        return function

    return register


def run(app, job_id: str) -> None:
    from workshop.worker import EXTENSION

    files = app.extensions[EXTENSION].files
    with app.app_context(), session_scope() as db:
        job = jobs.start(db, job_id)
        if job is None:  # cancelled before it started
            return
        files.root.mkdir(parents=True, exist_ok=True)
        part, final = files.part_path(job.id), files.file_path(job.id)
        with app.test_request_context("/", headers={"Accept-Language": job.locale}):
            try:
                output = BUILDERS[job.kind](Context(db, job, files))
                size = 0
                if output.filename:
                    size = part.stat().st_size
                    os.replace(part, final)  # whole or nothing
                jobs.finish(db, job.id, output.filename, output.mimetype, size, output.result)
            except jobs.Cancelled:
                db.rollback()
                final.unlink(missing_ok=True)  # cancelled between its last step and its end
                log.info("job %s (%s) cancelled", job.id, job.kind)
            except JobFailed as error:
                db.rollback()
                jobs.fail(db, job.id, str(error))
            except Exception:
                db.rollback()
                log.exception("job %s (%s) failed", job.id, job.kind)
                jobs.fail(db, job.id, _("Le fichier n'a pas pu être produit à cause d'une erreur "
                                        "inattendue ; rien n'a été écrit. Réessayez."))
            finally:
                part.unlink(missing_ok=True)
                files.input_path(job.id).unlink(missing_ok=True)
        jobs.sweep(db, files)


def fail_interrupted(app) -> int:
    """At the start of the embedded worker (the only one): the jobs its last stop cut short
    are failed, in their language, so that nobody waits for them. Returns how many."""
    from workshop.worker import EXTENSION

    files = app.extensions[EXTENSION].files
    with app.app_context(), session_scope() as db:
        cut = jobs.running(db)
        for job in cut:
            with app.test_request_context("/", headers={"Accept-Language": job.locale}):
                jobs.fail(db, job.id, _("Le travail a été interrompu par un redémarrage du serveur ; "
                                        "rien n'a été écrit. Demandez-le à nouveau."))
            files.part_path(job.id).unlink(missing_ok=True)
    return len(cut)


# --- the builders ------------------------------------------------------------------------


def slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-").lower()[:60] or "seance"


def _gather(ctx: Context) -> summary.Summary:
    ctx.progress(5, _("Lecture de la séance"))
    s = summary.gather(ctx.db, ctx.seance)
    ctx.progress(30, _("Calcul du plan terminé"))
    return s


def _stem(s: summary.Summary) -> str:
    return f"{slug(s.perimetre.name)}-{s.seance.held_on}"


def _summary_html(s: summary.Summary, for_pdf: bool = True) -> str:
    return render_template("exports/summary.html", s=s, for_pdf=for_pdf,
                           doc_title=_("Synthèse · %(title)s", title=s.seance.title))


def _extract_html(s: summary.Summary, collectivite_id: int, for_pdf: bool = True) -> tuple[str, str]:
    e = s.for_collectivite(collectivite_id)
    return e.name, render_template("exports/collectivite.html", s=s, e=e, for_pdf=for_pdf,
                                   doc_title=f"{e.name} · {s.seance.title}")


@builder("synthese_pdf")
def summary_pdf(ctx: Context) -> Output:
    s = _gather(ctx)
    ctx.progress(40, _("Mise en page du PDF"))
    html = _summary_html(s)
    ctx.part.write_bytes(pdf.render(html))
    return Output(f"synthese-{_stem(s)}.pdf", "application/pdf")


@builder("synthese_html")
def summary_page(ctx: Context) -> Output:
    """The printable page (opened in the browser, not saved: see web.jobs.file)."""
    s = _gather(ctx)
    ctx.part.write_text(_summary_html(s, for_pdf=False), encoding="utf-8")
    return Output(f"synthese-{_stem(s)}.html", HTML)


@builder("classeur_xlsx")
def workbook(ctx: Context) -> Output:
    s = _gather(ctx)
    ctx.progress(50, _("Écriture du classeur"))
    ctx.part.write_bytes(xlsx.render(tables.all_tables(s), s.seance.title, s.perimetre.name))
    return Output(f"seance-{_stem(s)}.xlsx", XLSX)


@builder("pfm_docx")
def pfm_word(ctx: Context) -> Output:
    s = _gather(ctx)
    ctx.progress(50, _("Écriture du document Word"))
    ctx.part.write_bytes(pfm_docx.render(pfm.document(s)))
    return Output(f"pfm-{_stem(s)}.docx", DOCX)


@builder("pfm_pdf")
def pfm_pdf(ctx: Context) -> Output:
    s = _gather(ctx)
    ctx.progress(40, _("Mise en page du PDF"))
    ctx.part.write_bytes(pdf.render(render_template("exports/pfm.html", doc=pfm.document(s))))
    return Output(f"pfm-{_stem(s)}.pdf", "application/pdf")


@builder("tableau_csv")
def csv_table(ctx: Context) -> Output:
    name = ctx.job.params.get("table")
    if name not in tables.BY_NAME:
        raise JobFailed(_("Ce tableau n'existe pas."))
    s = _gather(ctx)
    ctx.part.write_bytes(csv_files.render(tables.BY_NAME[name](s)))
    return Output(f"{name}-{_stem(s)}.csv", "text/csv; charset=utf-8")


@builder("seance_json")
def seance_json(ctx: Context) -> Output:
    ctx.progress(10, _("Lecture de la séance"))
    seance = ctx.seance
    body = json.dumps(json_seance.dump(ctx.db, seance), ensure_ascii=False, indent=1)
    ctx.part.write_bytes(body.encode("utf-8"))
    return Output(f"seance-{seance.id}-{seance.held_on}.json", "application/json")


@builder("extrait_pdf")
def extract_pdf(ctx: Context) -> Output:
    s = _gather(ctx)
    collectivite_id = ctx.job.params.get("collectivite_id")
    if collectivite_id not in {m.id for m in s.members}:
        raise JobFailed(_("Cette collectivité n'est pas du périmètre de la séance."))
    name, html = _extract_html(s, collectivite_id)
    ctx.progress(50, _("Mise en page du PDF"))
    ctx.part.write_bytes(pdf.render(html))
    return Output(f"extrait-{slug(name)}-{s.seance.held_on}.pdf", "application/pdf")


@builder("extrait_html")
def extract_page(ctx: Context) -> Output:
    s = _gather(ctx)
    collectivite_id = ctx.job.params.get("collectivite_id")
    if collectivite_id not in {m.id for m in s.members}:
        raise JobFailed(_("Cette collectivité n'est pas du périmètre de la séance."))
    name, html = _extract_html(s, collectivite_id, for_pdf=False)
    ctx.part.write_text(html, encoding="utf-8")
    return Output(f"extrait-{slug(name)}-{s.seance.held_on}.html", HTML)


@builder("extraits_zip")
def extracts_zip(ctx: Context) -> Output:
    """One PDF per collectivité of the perimeter, and the CSV tables, in one ZIP."""
    s = _gather(ctx)
    members = s.members
    with zipfile.ZipFile(ctx.part, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, member in enumerate(members):
            ctx.progress(30 + 60 * i // max(1, len(members)),
                         _("Extrait : %(name)s (%(num)s sur %(total)s)", name=member.name,
                           num=i + 1, total=len(members)))
            name, html = _extract_html(s, member.id)
            archive.writestr(f"extraits/{slug(name)}.pdf", pdf.render(html))
        ctx.progress(92, _("Tableaux CSV"))
        for table_name, table in tables.BY_NAME.items():
            archive.writestr(f"tableaux/{table_name}.csv", csv_files.render(table(s)))
    return Output(f"extraits-{_stem(s)}.zip", "application/zip")


@builder("import_json")
def import_json(ctx: Context) -> Output:
    ctx.progress(5, _("Lecture du fichier"))
    raw = ctx.files.input_path(ctx.job.id).read_bytes()
    data = load_json(raw)  # UTF-8 JSON no deeper than a séance export nests
    if data is load_json.INVALID:
        raise JobFailed(_("Ce fichier n'est pas du JSON lisible."))
    ctx.progress(30, _("Création de la séance"))
    result = json_seance.load(ctx.db, data, ctx.job.facilitator_id,
                              progress=lambda percent, step: ctx.progress(percent, say(step)))
    if isinstance(result, Refusal):
        raise JobFailed(say(result))
    perimetre = ctx.db.get(Perimetre, result.perimetre_id)  # reused when it was the same one
    return Output(result={"seance_id": result.id, "title": result.title, "perimetre": perimetre.name})


@builder("apercu_plan")
def plan_file_preview(ctx: Context) -> Output:
    """The preview of an uploaded plan file (services.plan_imports), read with progress."""
    upload = ctx.db.get(PlanImport, ctx.job.params.get("import_id"))
    if upload is None:
        raise JobFailed(_("Ce fichier n'est plus là : envoyez-le à nouveau."))
    result = plan_imports.preview(ctx.db, upload, ctx.job.params["year"],
                                  progress=lambda percent, step: ctx.progress(percent, say(step)))
    ctx.progress(98, _("Préparation de l'aperçu"))
    ctx.part.write_bytes(plan_imports.kept_preview(result))
    return Output(f"apercu-{upload.id}.json", "application/json",
                  {"import_id": upload.id, "perimetre_id": upload.perimetre_id})


@builder("import_plan")
def plan_file_import(ctx: Context) -> Output:
    """The confirmed import of a plan file: read again (the preview the facilitator saw, by its
    key), then its accepted rows saved in one transaction (services.plan_imports.confirm)."""
    upload = ctx.db.get(PlanImport, ctx.job.params.get("import_id"))
    if upload is None:
        raise JobFailed(_("Ce fichier n'est plus là : envoyez-le à nouveau."))
    year = ctx.job.params["year"]
    if plan_imports.preview_key(ctx.db, upload, year) != ctx.job.params.get("key"):
        raise JobFailed(_("Le fichier a été lu autrement depuis l'aperçu que vous avez vu (colonnes, "
                          "corrections ou périmètre changés) : rien n'a été importé. Vérifiez l'aperçu, "
                          "puis confirmez à nouveau."))
    result = plan_imports.preview(ctx.db, upload, year,
                                  progress=lambda percent, step: ctx.progress(percent * 8 // 10, say(step)))
    ctx.progress(85, _("Enregistrement des besoins"))
    count = plan_imports.confirm(ctx.db, upload, year, ctx.job.facilitator_id, result=result)
    if isinstance(count, Refusal):
        raise JobFailed(say(count))
    return Output(result={"imported": count, "import_id": upload.id, "perimetre_id": upload.perimetre_id,
                          "filename": upload.filename})
