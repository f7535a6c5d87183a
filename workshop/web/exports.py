"""Downloads of a séance, at any moment: summary (HTML, PDF), workbook, CSV, JSON, IEL list,
per-collectivité extracts; and the import of a JSON export."""

import json
import re
import unicodedata

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.db import get_session
from workshop.domain.rules import Refusal
from workshop.exports import csv_files, json_seance, pdf, pfm_docx, tables, xlsx
from workshop.i18n import say
from workshop.services import seances, summary
from workshop.web import current_facilitator, download, login_required

bp = Blueprint("exports", __name__, url_prefix="/seances")
IMPORT_MAX = 20 * 1024 * 1024


def _seance(seance_id: int):
    seance = seances.get_owned(get_session(), seance_id, current_facilitator().id)
    if seance is None:
        abort(404)
    return seance


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-").lower()[:60] or "seance"


def _summary(seance_id: int) -> summary.Summary:
    return summary.gather(get_session(), _seance(seance_id))


@bp.get("/<int:seance_id>/synthese")
@login_required
def summary_page(seance_id: int):
    s = _summary(seance_id)
    return render_template("exports/summary.html", s=s, for_pdf=False,
                           doc_title=_("Synthèse · %(title)s", title=s.seance.title))


@bp.get("/<int:seance_id>/synthese.pdf")
@login_required
def summary_pdf(seance_id: int):
    s = _summary(seance_id)
    html = render_template("exports/summary.html", s=s, for_pdf=True,
                           doc_title=_("Synthèse · %(title)s", title=s.seance.title))
    return download(pdf.render(html), "application/pdf",
                     f"synthese-{_slug(s.perimetre.name)}-{s.seance.held_on}.pdf")


@bp.get("/<int:seance_id>/pfm.docx")
@login_required
def pfm(seance_id: int):
    """The plan de formation mutualisé as an editable Word document."""
    s = _summary(seance_id)
    return download(pfm_docx.render(s),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    f"pfm-{_slug(s.perimetre.name)}-{s.seance.held_on}.docx")


@bp.get("/<int:seance_id>/seance.xlsx")
@login_required
def workbook(seance_id: int):
    s = _summary(seance_id)
    body = xlsx.render(tables.all_tables(s), s.seance.title, s.perimetre.name)
    return download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"seance-{_slug(s.perimetre.name)}-{s.seance.held_on}.xlsx")


@bp.get("/<int:seance_id>/csv/<name>.csv")
@login_required
def csv_table(seance_id: int, name: str):
    if name not in tables.BY_NAME:
        abort(404)
    s = _summary(seance_id)
    return download(csv_files.render(tables.BY_NAME[name](s)), "text/csv; charset=utf-8",
                     f"{name}-{_slug(s.perimetre.name)}-{s.seance.held_on}.csv")


@bp.get("/<int:seance_id>/seance.json")
@login_required
def json_export(seance_id: int):
    seance = _seance(seance_id)
    body = json.dumps(json_seance.dump(get_session(), seance), ensure_ascii=False, indent=1)
    return download(body.encode("utf-8"), "application/json",
                     f"seance-{seance.id}-{seance.held_on}.json")


@bp.get("/<int:seance_id>/collectivites/<int:collectivite_id>")
@login_required
def extract(seance_id: int, collectivite_id: int):
    s = _summary(seance_id)
    if collectivite_id not in {m.id for m in s.members}:
        abort(404)
    e = s.for_collectivite(collectivite_id)
    html = render_template("exports/collectivite.html", s=s, e=e,
                           for_pdf=request.args.get("format") == "pdf",
                           doc_title=f"{e.name} · {s.seance.title}")
    if request.args.get("format") == "pdf":
        return download(pdf.render(html), "application/pdf",
                         f"extrait-{_slug(e.name)}-{s.seance.held_on}.pdf")
    return html


@bp.get("/<int:seance_id>/exports")
@login_required
def index(seance_id: int):
    s = _summary(seance_id)
    return render_template("exports/index.html", s=s, tables=tables.BY_NAME)


@bp.post("/importer")
@login_required
def import_json():
    request.max_content_length = IMPORT_MAX + 64 * 1024  # this form alone takes large files
    upload = request.files.get("fichier")
    refusal = None
    if upload is None or not upload.filename:
        refusal = Refusal("fichier_absent", "Choisissez un fichier JSON exporté d'une séance.")
    else:
        raw = upload.read(IMPORT_MAX + 1)
        if len(raw) > IMPORT_MAX:
            refusal = Refusal("fichier_trop_gros", "Fichier trop volumineux (20 Mo au plus).")
        else:
            try:
                data = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                refusal = Refusal("fichier_illisible", "Ce fichier n'est pas du JSON lisible.")
            else:
                result = json_seance.load(get_session(), data, current_facilitator().id)
                if not isinstance(result, Refusal):
                    flash(_("Séance « %(title)s » importée.", title=result.title), "success")
                    return redirect(url_for("seances.detail", seance_id=result.id))
                refusal = result
    flash(say(refusal), "error")
    return redirect(url_for("seances.index")), 303
