"""The PDF summary, read back: its text, and its first page as a picture to look at."""

import io
from pathlib import Path

import pypdfium2
from flask import render_template
from pypdf import PdfReader

from workshop.exports import pdf

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def render(app, s, template="exports/summary.html", **extra):
    with app.test_request_context("/"):
        html = render_template(template, s=s, for_pdf=True, doc_title="Synthèse", **extra)
        return pdf.render(html)


def test_the_summary_pdf_says_the_figures_of_the_seance(app, gathered):
    data = render(app, gathered)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4, in points
    assert "Synthèse de la séance de co-conception" in text
    assert "Pévèle" in text and "décembre 2026" in text
    top = gathered.board.ranked[0]
    assert top.need.title.split(" : ")[0] in text
    assert str(top.status.sentence()) in text  # per year, never agents summed over years
    assert f"Page 1 / {len(reader.pages)}" in text
    people = sum(p.total for p in gathered.participation)
    assert f"{people} participants" in text
    for year in gathered.years:
        assert str(year) in text

    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(data)
    for number in (1, 2):  # the second: the needs' table, agents per year (whole words)
        document[number - 1].render(scale=1.5).to_pil().save(ARTIFACTS / f"summary-page{number}.png")


def test_a_collectivite_extract_holds_only_its_own(app, gathered):
    collectivite_id = next(c for per in gathered.demand.values() for c in per)
    extract = gathered.for_collectivite(collectivite_id)
    data = render(app, gathered, "exports/collectivite.html", e=extract)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert extract.name in text
    assert {v.need.id for v in extract.needs} == {
        n for n, per in gathered.demand.items() if collectivite_id in per}
    for view in extract.needs:
        assert view.need.title.split(" : ")[0] in text
    ARTIFACTS.mkdir(exist_ok=True)  # to look at: its tables keep whole words ("Année")
    pypdfium2.PdfDocument(data)[0].render(scale=1.5).to_pil().save(ARTIFACTS / "extract-page1.png")
