"""One truth per year (issues 15 and 17): 13 agents in 2027 and 2 in 2028 on a poolable
theme of threshold 15 are territorialisable in 2028, and every surface says so: the screen,
the phone, the facilitator's board, the plan page, the PDF, the workbook, the CSV and
etat.json. None says "2 stagiaires manquants" (the old best-year/total mix)."""

import csv
import io
from html import unescape

import openpyxl
import pypdfium2
import pytest
from pypdf import PdfReader

from tests import factories
from tests.exports.test_pdf import ARTIFACTS
from workshop.services import board

STATUS = "Seuil de 15 atteint en 2028"
YEARS = ("2027 : 13, regroupés en 2028", "2028 : 15 stagiaires, territorialisable", "2029 : aucun")
WRONG = ("2 stagiaires manquants", "17 agents")


def fetched(client, path: str):
    """An export: made by the job worker (run in the request by the tests), then handed over."""
    return client.get(path, follow_redirects=True)


@pytest.fixture
def seance(db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, "Accueil difficile", "acc-accueil-public")  # 15, poolable
    for name, agents, year in (("Orchies", 8, 2027), ("Cysoing", 5, 2027), ("Bachy", 2, 2028)):
        factories.ok(board.declare(db, seance, factories.participant(db, seance, name), need.id, year,
                                   agents))
    return seance


def need_id(db, seance) -> int:
    return board.snapshot(db, seance).needs[0].need.id


def says_the_truth(html: str, where: str, years: bool = True) -> None:
    text = unescape(html).replace("\u202f", " ")
    assert STATUS in text, where
    if years:
        for label in YEARS:
            assert label in text, (where, label)
    for wrong in WRONG:
        assert wrong not in text, (where, wrong)


def test_every_surface_says_the_same_per_year(client, logged_in, db, seance):
    # The projected screen and the facilitator's board.
    says_the_truth(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True), "screen")
    says_the_truth(logged_in.get(f"/seances/{seance.id}/pilotage").get_data(as_text=True), "pilotage")
    # The plan: one line in 2028 with the 13 of 2027 pooled.
    plan = unescape(logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True))
    assert "2028 : première année où le seuil est atteint" in plan and "dont 13 demandés en 2027" in plan
    assert "15 stagiaires en 1 groupe, seuil de 15 atteint" in plan
    # The PDF summary (the printable page is the same template).
    says_the_truth(fetched(logged_in, f"/seances/{seance.id}/synthese").get_data(as_text=True), "summary")
    pdf = PdfReader(io.BytesIO(fetched(logged_in, f"/seances/{seance.id}/synthese.pdf").data))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert STATUS in text and "2027 : 13, regroupés en 2028" in text and "2 stagiaires manquants" not in text
    page = next(i for i, p in enumerate(pdf.pages) if STATUS in " ".join(p.extract_text().split()))
    ARTIFACTS.mkdir(exist_ok=True)
    pdfium = pypdfium2.PdfDocument(fetched(logged_in, f"/seances/{seance.id}/synthese.pdf").data)
    pdfium[page].render(scale=1.5).to_pil().save(ARTIFACTS / "one-truth-summary-pdf.png")
    # The workbook and the CSV: per-year status columns, the plan's year never empty.
    book = openpyxl.load_workbook(io.BytesIO(fetched(logged_in, f"/seances/{seance.id}/seance.xlsx").data))
    needs = book["besoins"]
    header = [c.value for c in needs[1]]
    row = dict(zip(header, [c.value for c in needs[2]], strict=True))
    assert (row["Agents 2027"], row["Agents 2028"]) == (13, 2)
    assert (row["Statut 2027"], row["Statut 2028"]) == ("regroupés en 2028", "territorialisable")
    assert (row["Seuil atteint"], row["Années territorialisables"], row["Stagiaires manquants"]) == \
        ("oui", "2028", 0)
    plan_sheet = book["plan"]
    lines = [dict(zip([c.value for c in plan_sheet[1]], [c.value for c in r], strict=True))
             for r in plan_sheet.iter_rows(min_row=2)]
    assert [(ln["Clé"], ln["Année"], ln["Statut"]) for ln in lines] == \
        [(f"{need_id(db, seance)}:2028", 2028, "territorialisée")]
    data = fetched(logged_in, f"/seances/{seance.id}/csv/besoins.csv").data.decode("utf-8-sig")
    [csv_row] = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert (csv_row["Statut 2027"], csv_row["Statut 2028"], csv_row["Seuil atteint"]) == \
        ("regroupés en 2028", "territorialisable", "oui")
    # etat.json: the status per year and the plan's line with its key.
    state = logged_in.get(f"/seances/{seance.id}/etat.json").get_json()
    [need] = state["needs"]
    assert need["status"]["sentence"] == STATUS and need["missing"] == 0 and need["threshold_reached"]
    assert [(y["year"], y["agents"], y["pool"], y["state"], y["at"]) for y in need["status"]["years"]] == \
        [(2027, 13, 13, "open", 2028), (2028, 2, 15, "open", 2028), (2029, 0, 0, "none", None)]
    assert [(ln["key"], ln["year"]) for ln in state["plan"]["lines"]] == \
        [(f"{need_id(db, seance)}:2028", 2028)]


def test_the_phone_says_it_too(client, db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    response = client.post(f"/j/{seance.join_code}", data={"collectivite_id": orchies, "role": "elu"})
    says_the_truth(client.get(response.location).get_data(as_text=True), "phone")


def test_lines_below_threshold_keep_their_year_in_the_export(logged_in, db, seance):
    """Issue 17, rule 2: two lines of one need (not poolable), each with its year and its reason."""
    need = factories.need(db, seance, "Élections", "elec-bureaux-de-vote")  # not poolable
    for name, agents, year in (("Orchies", 8, 2027), ("Cysoing", 7, 2028)):
        factories.ok(board.declare(db, seance, factories.participant(db, seance, name), need.id, year,
                                   agents))
    data = fetched(logged_in, f"/seances/{seance.id}/csv/plan.csv").data.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(data), delimiter=";") if r["Intitulé"] == "Élections"]
    assert [(r["Clé"], r["Année"], r["Statut"], r["Stagiaires manquants"]) for r in rows] == \
        [(f"{need.id}:2027", "2027", "sous le seuil", "7"), (f"{need.id}:2028", "2028", "sous le seuil", "8")]
    assert rows[0]["Explication"] != rows[1]["Explication"]


def test_kinds_categories_and_costs_reach_the_exports(logged_in, db, seance):
    caces = factories.need(db, seance, "Nacelles", "hs-caces")
    orchies = factories.participant(db, seance, "Orchies")
    factories.ok(board.declare(db, seance, orchies, caces.id, 2027, 8, "C"))
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Cysoing"), caces.id,
                               2027, 4, "B"))
    book = openpyxl.load_workbook(io.BytesIO(fetched(logged_in, f"/seances/{seance.id}/seance.xlsx").data))
    sheet = book["plan"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)]
    [line] = [r for r in rows if r["Intitulé"] == "Nacelles"]
    assert (line["Type de formation"], line["Catégories"], line["Coût estimé (€)"]) == \
        ("santé-sécurité réglementaire", "B, C", 12 * 3 * 180)
    costs = book["couts"]
    assert [c.value for c in costs[costs.max_row]] == ["Total", 6480, 0, 0, 6480]
    extract = fetched(logged_in, f"/seances/{seance.id}/collectivites/{orchies.collectivite_id}")
    text = unescape(extract.get_data(as_text=True)).replace("\u202f", " ")
    assert "Coût estimé des actions payantes" in text and "2027 : 4 320 €" in text  # 8 x 3 x 180
    summary = unescape(fetched(logged_in, f"/seances/{seance.id}/synthese").get_data(as_text=True))
    assert "Coût estimé des actions payantes" in summary.replace("\u202f", " ")
