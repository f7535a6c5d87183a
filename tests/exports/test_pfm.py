"""The PFM document: built once, written as DOCX (read back here) and as PDF; LibreOffice opens it."""

import io
import shutil
import subprocess

import docx
import pypdfium2
import pytest
from pypdf import PdfReader

from tests.exports.test_pdf import ARTIFACTS
from workshop.exports import pfm, pfm_docx


def docx_text(data: bytes) -> tuple[str, list]:
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    return text, document.tables


def test_the_document_follows_a_published_pfm_outline(gathered):
    doc = pfm.document(gathered)
    titles = [section.title for section in doc.sections]
    assert titles[:3] == ["Préambule", "Le périmètre", "La méthode"]
    assert titles[-2:] == ["Besoins sous le seuil de territorialisation", "Actions à ouvrir dans IEL"]
    axes = [t for t in titles if t.startswith("Axe ")]
    domains = {v.theme.domain for v in gathered.board.needs
               if any(ln.need_id == v.need.id for ln in gathered.plan.lines + gathered.plan.unplaced)}
    assert [a.split(" : ", 1)[1] for a in axes] == sorted(domains)
    preamble = " ".join(doc.sections[0].paragraphs)
    assert "loi n° 84-594 du 12 juillet 1984" in preamble and "article 7" in preamble.lower()
    assert "loi n° 2007-209 du 19 février 2007" in preamble


def test_every_placed_line_is_in_its_axis_with_its_figures(gathered):
    doc = pfm.document(gathered)
    rows = [row for section in doc.sections if section.title.startswith("Axe ")
            for _, table in section.tables for row in table.rows]
    placed = gathered.plan.lines + gathered.plan.unplaced
    assert len(rows) == len(placed)
    def expected(line):
        title = line.title + (" (renouvellement)" if line.renewal else "")
        return (title, pfm.number(line.total), str(line.year) if line.year else "à programmer")

    def seen(row):
        cells = dict(zip(pfm.AXIS_HEADERS, row, strict=True))
        return (cells["Action"], cells["Total"], cells["Année"])

    assert sorted(seen(r) for r in rows) == sorted(expected(ln) for ln in placed)
    for line in placed:
        row = dict(zip(pfm.AXIS_HEADERS, next(r for r in rows if seen(r) == expected(line)), strict=True))
        for collectivite_id, n in line.trainees.items():
            assert f"{gathered.names[collectivite_id]} : {n}" in row["Agents par collectivité"]
    below = next(s for s in doc.sections if s.title.startswith("Besoins sous le seuil"))
    assert len(below.tables[0][1].rows if below.tables else []) == len(gathered.plan.below)


def test_docx_reads_back_with_its_tables(gathered):
    doc = pfm.document(gathered)
    data = pfm_docx.render(doc)
    (ARTIFACTS / "pfm.docx").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "pfm.docx").write_bytes(data)
    text, tables = docx_text(data)
    assert "Plan de formation mutualisé" in text and gathered.perimetre.name in text
    for section in doc.sections:
        assert section.title in text
    expected = [table for section in doc.sections for _, table in section.tables]
    assert len(tables) == len(expected)
    for got, want in zip(tables, expected, strict=True):
        assert [c.text for c in got.rows[0].cells] == want.headers
        assert len(got.rows) == 1 + len(want.rows) + (1 if want.total else 0)
        for got_row, want_row in zip(got.rows[1:], want.rows, strict=False):
            assert [c.text for c in got_row.cells] == want_row


def test_libreoffice_opens_the_docx(gathered, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip(reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)")
    source = tmp_path / "pfm.docx"
    source.write_bytes(pfm_docx.render(pfm.document(gathered)))
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    converted = (tmp_path / "pfm.pdf").read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(converted)).pages)
    assert "Plan de formation mutualisé" in text and "Préambule" in text
    assert gathered.perimetre.name.split()[0] in text
    pdf = pypdfium2.PdfDocument(converted)
    for i in (0, min(3, len(pdf) - 1)):
        pdf[i].render(scale=1.2).to_pil().save(ARTIFACTS / f"pfm-docx-libreoffice-p{i + 1}.png")


def test_document_has_no_wrong_plural(gathered):
    doc = pfm.document(gathered)
    everything = " ".join([*doc.cover, *(p for s in doc.sections for p in s.paragraphs),
                           *(c for s in doc.sections for _, t in s.tables for r in t.rows for c in r)])
    assert "(s)" not in everything
    assert " 1 jours" not in everything and " 1 groupes" not in everything


def test_cover_gives_perimetre_years_and_coordinator(gathered):
    doc = pfm.document(gathered)
    years = gathered.years
    assert doc.subtitle == f"{gathered.perimetre.name} · {years[0]}–{years[-1]}"
    assert any(line.startswith("Collectivité coordinatrice") for line in doc.cover)



def test_dates_are_written_the_french_way():
    import datetime as dt

    assert pfm.long_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert pfm.long_date(dt.date(2026, 12, 2)) == "2 décembre 2026"


def test_the_pdf_says_what_the_docx_says(app, gathered):
    from flask import render_template

    from workshop.exports import pdf

    doc = pfm.document(gathered)
    with app.test_request_context("/"):
        data = pdf.render(render_template("exports/pfm.html", doc=doc))
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for section in doc.sections:
        assert section.title in text
    for section in doc.sections:
        for _, table in section.tables:
            for row in table.rows:
                assert row[0].split()[0] in text
    widths = {round(float(page.mediabox.width)) for page in reader.pages}
    assert widths == {595, 842}  # A4 portrait for the text, landscape for the axes' tables
    pages = pypdfium2.PdfDocument(data)
    for i in (0, 1, min(4, len(pages) - 1)):
        pages[i].render(scale=1.2).to_pil().save(ARTIFACTS / f"pfm-pdf-p{i + 1}.png")


def test_a_payant_line_carries_its_kind_public_and_cost(db, facilitator):
    from tests import factories
    from workshop.services import board, summary

    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    caces = factories.need(db, seance, "Nacelles", "hs-caces")
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Orchies"), caces.id,
                               2027, 12, "C"))
    s = summary.gather(db, seance)
    doc = pfm.document(s)
    rows = [r for section in doc.sections if section.title.startswith("Axe ")
            for _, table in section.tables for r in table.rows]
    [row] = [r for r in rows if r[0] == "Nacelles"]
    assert dict(zip(pfm.AXIS_HEADERS, row, strict=True)) == {
        "Action": "Nacelles", "Type": "Santé-sécurité réglementaire", "Public et catégorie": "C",
        "Agents par collectivité": "Orchies : 12", "Total": "12", "Année": "2027",
        "Durée": row[6], "Lieu (accueil)": "Orchies", "Financement": "payant",
        "Coût estimé": "6\u202f480 €"}
    costs = next(section for section in doc.sections if section.title.startswith("Coût estimé"))
    [(_, table)] = costs.tables
    assert table.total[-1] == "6\u202f480 €"
    assert ["Orchies", *(["6\u202f480 €"] + [""] * (len(s.years) - 1)), "6\u202f480 €"] in table.rows
    statutory = next(section for section in doc.sections if section.title == "Formations statutaires")
    assert "statutaires" in statutory.paragraphs[0]
    text, _ = docx_text(pfm_docx.render(doc))
    assert "Coût estimé des actions payantes" in text and "Formations statutaires" in text
