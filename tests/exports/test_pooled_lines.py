"""A line pooled with another perimeter (issue 17, item 9) in every export that lists lines:
the plan and IEL tables (XLSX, CSV), the PDF summary, the PFM document, etat.json and the
JSON export."""

import io

import jsonschema
import openpyxl
from pypdf import PdfReader

from tests import factories
from tests.exports.test_pdf import render
from workshop.exports import csv_files, json_seance, pfm, tables, xlsx
from workshop.services import pooling, state, summary

SAID = "Action mutualisée avec CC Flandre Lys : 9 + 7 = 16 stagiaires, territorialisée en 2028, " \
       "accueil à Orchies"


def pooled(db, facilitator):
    here, other, (ours, theirs) = factories.pooling_pair(db, facilitator)
    factories.ok(pooling.accept(db, here, f"{ours.id}:2028", other.id, f"{theirs.id}:2028",
                                facilitator.id))
    return here, other, ours


def test_the_tables_say_the_pooled_line(db, facilitator):
    here, _, ours = pooled(db, facilitator)
    s = summary.gather(db, here)
    plan = tables.plan(s)
    [row] = [dict(zip(plan.headers, r, strict=True)) for r in plan.rows if r[0] == f"{ours.id}:2028"]
    assert (row["Statut"], row["Stagiaires"], row["Accueil"], row["Année"]) == \
        ("territorialisée (mutualisée)", 9, "Orchies", 2028)
    assert row["Mutualisation"] == SAID
    iel = tables.iel(s)
    [row] = [dict(zip(iel.headers, r, strict=True)) for r in iel.rows]
    assert row["Stagiaires"] == 16 and row["Stagiaires par collectivité"] == "Orchies : 9 ; Merville : 7"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.render(tables.all_tables(s), "Plan", "Pévèle")))
    assert SAID in [c.value for r in book["plan"].iter_rows() for c in r]
    assert SAID in csv_files.render(plan).decode("utf-8-sig")


def test_the_documents_say_the_pooled_line(app, db, facilitator):
    here, _, _ = pooled(db, facilitator)
    s = summary.gather(db, here)
    pages = PdfReader(io.BytesIO(render(app, s))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "action mutualisée avec CC Flandre Lys, 9 + 7 = 16 stagiaires" in text
    doc = pfm.document(s)
    rows = [r for section in doc.sections if section.title.startswith("Axe ")
            for _, table in section.tables for r in table.rows]
    [row] = [dict(zip(pfm.AXIS_HEADERS, r, strict=True)) for r in rows]
    assert "action mutualisée avec CC Flandre Lys : 9 + 7 = 16 stagiaires" in row["Action"]
    assert (row["Total"], row["Lieu (accueil)"]) == ("9", "Orchies")


def test_etat_json_and_the_json_export_give_the_pooling(db, facilitator):
    here, other, ours = pooled(db, facilitator)
    for seance, total, partner in ((here, 9, "CC Flandre Lys"), (other, 7, "Pévèle")):
        [line] = [ln for ln in state.seance_state(db, seance)["plan"]["lines"] if ln["pooling"]]
        assert line["status"] == "territorialised" and sum(line["trainees"].values()) == total
        assert (line["pooling"]["partner"], line["pooling"]["total"], line["pooling"]["host"]) == \
            (partner, 16, "Orchies")
    data = json_seance.dump(db, here)
    jsonschema.validate(data, json_seance.SCHEMA)
    [line] = [ln for ln in data["plan"]["lines"] if ln["pooling"]]
    assert line["key"].endswith(":2028") and line["pooling"]["theirs"] == {"Merville": 7}
