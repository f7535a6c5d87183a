"""Collectivités' plan files, messy as they come, made by the tests themselves."""

import io
import time
import zipfile

import openpyxl
import pytest
from sqlmodel import select

from tests import factories
from workshop.domain.rules import Refusal
from workshop.models import ImportedNeed, Need, PlanImport
from workshop.schemas import SeanceCreate
from workshop.services import plan_imports as service


@pytest.fixture
def perimetre(db, facilitator):
    return factories.perimetre(db, facilitator)


def upload(db, perimetre, name, data, collectivite=None):
    from workshop.services import perimetres

    members = {m.name: m.id for m in perimetres.members(db, perimetre.id)}
    result = service.upload(db, perimetre, name, data, members.get(collectivite),
                            perimetre.owner_id)
    assert not isinstance(result, Refusal), result
    return result


def test_latin1_csv_with_commas_renamed_headers_blank_lines_and_totals(db, perimetre):
    text = ("Plan de formation 2027 - Mairie d'Orchies\n\n"
            "Domaine,Intitulé de la formation,Nb agents,Année souhaitée,Observations\n"
            "Hygiène et sécurité,Formation SST,4,2027,urgent\n"
            ",,,,\n"
            "Finances,Nomenclature M57,3,2028,\n"
            "Divers,Jardinage zen,2,2027,\n"
            "Finances,Exécution budgétaire,trois,2027,\n"
            "TOTAL,,9,,\n")
    row = upload(db, perimetre, "orchies.csv", text.encode("cp1252"), "Orchies")
    preview = service.preview(db, row, 2027)
    accepted = [(r.line, r.values["title"], r.theme.code) for r in preview.accepted]
    assert accepted == [(4, "Formation SST", "hs-sst"), (6, "Nomenclature M57", "fin-budget-m57")]
    refused = {r.line: str(r.error) for r in preview.refused}
    assert refused == {7: "thème non reconnu : choisissez-le dans la liste",
                       8: "nombre d'agents illisible : « trois »"}
    assert db.exec(select(ImportedNeed)).all() == []  # nothing saved before confirmation


def test_one_workbook_a_sheet_per_collectivite_with_merged_title_rows(db, perimetre):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for town, figures in (("Orchies", [("SST", 4), ("CACES nacelle", 3)]),
                          ("Cysoing", [("SST", 5)])):
        sheet = book.create_sheet(town)
        sheet["A1"] = f"Plan de formation de {town}"
        sheet.merge_cells("A1:D1")
        sheet.append([])
        sheet.append(["Thème", "Action", "Nombre d'agents", "Année"])
        for title, agents in figures:
            sheet.append(["", title, agents, 2027])
        sheet.append(["Total", "", sum(a for _, a in figures), ""])
    buffer = io.BytesIO()
    book.save(buffer)
    row = upload(db, perimetre, "plans.xlsx", buffer.getvalue())
    preview = service.preview(db, row, 2027)
    assert [(r.sheet, r.line, r.values["title"]) for r in preview.accepted] == [
        ("Orchies", 4, "SST"), ("Orchies", 5, "CACES nacelle"), ("Cysoing", 4, "SST")]
    assert service.confirm(db, row, 2027, {}, perimetre.owner_id) == 3
    synthesis = service.synthesis(db, perimetre)
    sst = next(line for line in synthesis.lines if line.title == "SST")
    assert sst.by_year == {2027: 9} and len(sst.by_collectivite) == 2
    assert str(sst.status.sentence()) == "Seuil de 6 atteint en 2027"  # SST: 4 to 10 (INRS)
    assert [m.name for m in synthesis.sent] == ["Cysoing", "Orchies"]
    assert len(synthesis.missing) == 39 - 2


def test_confirming_twice_or_the_same_file_again_adds_nothing(db, perimetre):
    data = "Action;Agents;Année\nSST;4;2027\n".encode()
    first = upload(db, perimetre, "a.csv", data, "Orchies")
    assert service.confirm(db, first, 2027, {}, perimetre.owner_id) == 1
    again = service.confirm(db, first, 2027, {}, perimetre.owner_id)
    assert again.code == "deja_importe"
    same = upload(db, perimetre, "copie.csv", data, "Orchies")
    assert service.confirm(db, same, 2027, {}, perimetre.owner_id).code == "deja_importe"
    assert len(db.exec(select(ImportedNeed)).all()) == 1


def test_the_facilitator_corrects_a_theme_before_confirming(db, perimetre):
    data = "Action;Agents;Année\nJardinage zen;2;2027\n".encode()
    row = upload(db, perimetre, "zen.csv", data, "Orchies")
    preview = service.preview(db, row, 2027)
    [index] = [i for i, r in enumerate(preview.rows) if r.error]
    fixed = service.preview(db, row, 2027, overrides={index: "ev-gestion-differenciee"})
    assert fixed.accepted[0].theme.method == "chosen"
    assert service.confirm(db, row, 2027, {index: "ev-gestion-differenciee"}, perimetre.owner_id) == 1


def test_unknown_collectivite_in_a_collectivite_column(db, perimetre):
    data = "Collectivité;Action;Agents;Année\nLille;SST;4;2027\nMairie de Cysoing;SST;2;2027\n"
    preview = service.preview(db, upload(db, perimetre, "x.csv", data.encode()), 2027)
    assert [r.error and str(r.error) for r in preview.rows] == \
        ["collectivité non reconnue dans le périmètre", None]


@pytest.mark.parametrize("name, data, code", [
    ("big.csv", b"a" * (service.MAX_BYTES + 1), "fichier_trop_gros"),
    ("empty.csv", b"   ", "fichier_vide"),
    ("image.png", b"\x89PNG....", "type_refuse"),
    ("fake.xlsx", b"PK\x03\x04 not really a zip", "xlsx_illisible"),
    ("binary.csv", b"abc\x00def", "type_refuse"),
])
def test_files_that_cannot_be_read_are_refused(db, perimetre, name, data, code):
    result = service.upload(db, perimetre, name, data, None, perimetre.owner_id)
    assert result.code == code and result.message
    assert db.exec(select(PlanImport)).all() == []


def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_opening(db, perimetre):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024 * 1024))
    assert len(buffer.getvalue()) < service.MAX_BYTES
    result = service.upload(db, perimetre, "plan.xlsx", buffer.getvalue(), None, perimetre.owner_id)
    assert result.code == "archive_suspecte"


def test_a_formula_cell_is_refused_not_run(db, perimetre):
    book = openpyxl.Workbook()
    book.active.append(["Action", "Agents", "Année"])
    book.active.append(['=HYPERLINK("http://evil.example","SST")', 4, 2027])
    book.active.append(["SST", "=2+2", 2027])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = service.preview(db, upload(db, perimetre, "f.xlsx", buffer.getvalue(), "Orchies"), 2027)
    assert preview.accepted == []
    assert all("formule" in str(r.error) or "illisible" in str(r.error) for r in preview.rows)


def test_start_a_seance_from_the_synthesis(db, perimetre):
    data = "Action;Agents;Année\nSST;8;2027\nCACES nacelle;5;2031\n".encode()
    for town in ("Orchies", "Cysoing"):
        row = upload(db, perimetre, f"{town}.csv", data + town.encode(), town)
        service.confirm(db, row, 2027, {}, perimetre.owner_id)
    seance, outside = service.start_seance(db, perimetre, SeanceCreate(
        perimetre_id=perimetre.id, title="Depuis les plans", held_on="2026-12-01",
        horizon_start=2027, horizon_years=3, dot_budget=5, max_dots_per_need=3), perimetre.owner_id)
    needs = db.exec(select(Need).where(Need.seance_id == seance.id)).all()
    assert {n.title for n in needs} == {"SST", "CACES nacelle"}
    assert all(n.source == "import" for n in needs)
    from workshop.services import board

    views = {v.need.title: v for v in board.snapshot(db, seance).needs}
    assert views["SST"].status.total == 16 and views["SST"].status.reached
    assert outside == 10  # CACES asked for 2031, outside 2027-2029


def test_a_5000_row_file_previews_in_seconds(db, perimetre):
    lines = ["Thème;Action;Nombre d'agents;Année"]
    lines += [f"Hygiène;Formation SST session {i};{i % 9 + 1};{2027 + i % 3}" for i in range(5000)]
    row = upload(db, perimetre, "big.csv", "\n".join(lines).encode("utf-8"), "Orchies")
    started = time.perf_counter()
    preview = service.preview(db, row, 2027)
    elapsed = time.perf_counter() - started
    assert len(preview.accepted) == 5000
    print(f"\n5,000-row preview: {elapsed:.2f} s")  # the figure for the notes, not asserted
