"""Collectivités' plan files, messy as they come, made by the tests themselves."""

import io
import time
import zipfile

import openpyxl
import pytest
from sqlmodel import select

from tests import factories
from workshop.domain.rules import Refusal
from workshop.models import Demand, Event, ImportedNeed, Need, PlanImport
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
    assert service.confirm(db, row, 2027, perimetre.owner_id) == 3
    synthesis = service.synthesis(db, perimetre)
    sst = next(line for line in synthesis.lines if line.title == "SST")
    assert sst.by_year == {2027: 9} and len(sst.by_collectivite) == 2
    assert str(sst.status.sentence()) == "Seuil de 6 atteint en 2027"  # SST: 4 to 10 (INRS)
    assert [m.name for m in synthesis.sent] == ["Cysoing", "Orchies"]
    assert len(synthesis.missing) == 39 - 2


def test_confirming_twice_or_the_same_file_again_adds_nothing(db, perimetre):
    data = "Action;Agents;Année\nSST;4;2027\n".encode()
    first = upload(db, perimetre, "a.csv", data, "Orchies")
    assert service.confirm(db, first, 2027, perimetre.owner_id) == 1
    again = service.confirm(db, first, 2027, perimetre.owner_id)
    assert again.code == "deja_importe"
    same = upload(db, perimetre, "copie.csv", data, "Orchies")
    assert service.confirm(db, same, 2027, perimetre.owner_id).code == "deja_importe"
    assert len(db.exec(select(ImportedNeed)).all()) == 1


def test_the_facilitator_corrects_a_theme_before_confirming(db, perimetre):
    data = "Action;Agents;Année\nJardinage zen;2;2027\n".encode()
    row = upload(db, perimetre, "zen.csv", data, "Orchies")
    [refused] = service.preview(db, row, 2027).refused
    name = "Espaces verts : gestion différenciée et zéro phyto"
    fixed = service.choose(db, row, {f"cell-{refused.key}-theme": name}, 2027, perimetre.owner_id)
    assert fixed.accepted[0].theme.code == "ev-gestion-differenciee"
    assert fixed.accepted[0].theme.method == "chosen"
    assert service.confirm(db, row, 2027, perimetre.owner_id) == 1


def test_unknown_collectivite_in_a_collectivite_column(db, perimetre):
    data = "Collectivité;Action;Agents;Année\nLille;SST;4;2027\nMairie de Cysoing;SST;2;2027\n"
    preview = service.preview(db, upload(db, perimetre, "x.csv", data.encode()), 2027)
    assert [r.error and str(r.error) for r in preview.rows] == \
        ["collectivité non reconnue dans le périmètre", None]


@pytest.mark.parametrize("name, data, code", [
    ("big.csv", b"a" * (service.MAX_BYTES + 1), "fichier_trop_gros"),
    ("empty.csv", b"   ", "fichier_vide"),
    ("image.png", b"\x89PNG....", "type_refuse"),
    ("fake.ods", b"PK\x03\x04 not really a zip", "xlsx_illisible"),
    ("fake.xlsx", b"PK\x03\x04 not really a zip", "xlsx_illisible"),
    ("binary.csv", b"abc\x00def", "type_refuse"),
    # Random bytes named .xls: no OLE2 signature, so no XLS workbook (the tester's fake.xls).
    ("fake.xls", bytes(range(256)) * 4, "xlsx_illisible"),
    ("plan.xls", "Action;Agents;Année\nSST;4;2027\n".encode(), "xlsx_illisible"),
])
def test_files_that_cannot_be_read_are_refused(db, perimetre, name, data, code):
    result = service.upload(db, perimetre, name, data, None, perimetre.owner_id)
    assert result.code == code and result.message
    assert db.exec(select(PlanImport)).all() == []


def test_a_file_refused_only_once_read_says_why_in_its_preview(db, perimetre):
    # An .xls is an OLE container: whether it holds a workbook is known by reading it, which the
    # preview does (in the worker); the upload only checks what takes no reading.
    row = service.upload(db, perimetre, "fake.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really OLE",
                         None, perimetre.owner_id)
    preview = service.preview(db, row, 2027)
    assert [str(e) for e in preview.errors] == ["Ce fichier n'est pas un classeur XLSX, ODS ou XLS lisible."]
    assert preview.rows == [] and not preview.kind
    refused = service.confirm(db, row, 2027, perimetre.owner_id)
    assert refused.code == "fichier_illisible" and "rien à importer" in refused.message
    db.refresh(row)
    assert row.status == "preview" and row.confirmed_at is None  # not recorded as imported
    assert db.exec(select(Event).where(Event.kind == "plans.imported")).all() == []


def header_only_and_too_long():
    yield "header-only.csv", "Action;Agents;Année\n;;\n".encode(), "aucune_ligne"
    yield "long.csv", ("Action;Agents;Année\n" + "SST;1;2027\n" * 20_001).encode(), "fichier_illisible"
    yield "refused.csv", "Action;Agents;Année\nSST;beaucoup;2027\n".encode(), "aucune_ligne_comprise"


@pytest.mark.parametrize("name, data, code", list(header_only_and_too_long()))
def test_a_preview_with_nothing_to_import_cannot_be_confirmed(db, perimetre, name, data, code):
    """The tester's header-only CSV and 20,001-row CSV: the preview says why, the
    confirmation is refused, nothing is recorded as imported, index and synthesis agree."""
    from workshop.services import plan_preview

    row = upload(db, perimetre, name, data, "Orchies")
    preview = service.preview(db, row, 2027)
    assert preview.accepted_count == 0 and plan_preview.blocker(preview).code == code
    if code == "aucune_ligne":
        assert [str(n) for n in preview.notes] == ["Aucune ligne de données sous l'en-tête (ligne 1)."]
    if name == "long.csv":
        assert [str(e) for e in preview.errors] == ["Plus de 20000 lignes."]
    refused = service.confirm(db, row, 2027, perimetre.owner_id)
    assert isinstance(refused, Refusal) and refused.code == code
    db.refresh(row)
    assert row.status == "preview"
    synthesis = service.synthesis(db, perimetre)
    assert synthesis.lines == [] and synthesis.counted == {} and synthesis.sent == []


def test_the_synthesis_counts_each_import_it_shows(db, perimetre):
    """One truth: what the index calls imported is what the synthesis counts."""
    first = upload(db, perimetre, "a.csv", "Action;Agents;Année\nSST;4;2027\nCACES;2;2027\n".encode(),
                   "Orchies")
    assert service.confirm(db, first, 2027, perimetre.owner_id) == 2
    assert service.synthesis(db, perimetre).counted == {first.id: 2}
    second = upload(db, perimetre, "b.csv", "Action;Agents;Année\nSST;5;2027\n".encode(), "Orchies")
    assert service.confirm(db, second, 2027, perimetre.owner_id) == 1
    assert service.synthesis(db, perimetre).counted == {second.id: 1}  # the first one superseded


def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_opening(db, perimetre):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024 * 1024))
    assert len(buffer.getvalue()) < service.MAX_BYTES
    result = service.upload(db, perimetre, "plan.xlsx", buffer.getvalue(), None, perimetre.owner_id)
    assert result.code == "archive_suspecte"


def test_a_formula_is_never_run_and_a_row_without_a_saved_value_is_refused(db, perimetre):
    # openpyxl writes formulas without the value a spreadsheet would save: nothing to read.
    book = openpyxl.Workbook()
    book.active.append(["Action", "Agents", "Année"])
    book.active.append(['=HYPERLINK("http://evil.example","SST")', 4, 2027])
    book.active.append(["SST", "=2+2", 2027])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = service.preview(db, upload(db, perimetre, "f.xlsx", buffer.getvalue(), "Orchies"), 2027)
    assert preview.accepted == []
    unsaved = ("formule enregistrée sans sa valeur, jamais calculée ici ; ouvrez et enregistrez le "
               "fichier dans le tableur, ou saisissez la valeur")
    assert [str(r.error) for r in preview.rows] == [f"cellule « intitulé de l'action » : {unsaved}",
                                                    f"cellule « nombre d'agents » : {unsaved}"]
    # A formula typed in a CSV is text: refused, never passed on.
    text = upload(db, perimetre, "f.csv", "Action;Agents;Année\n=HYPERLINK(\"x\");4;2027\n".encode(),
                  "Orchies")
    [row] = service.preview(db, text, 2027).rows
    assert "formule" in str(row.error)


def test_start_a_seance_from_the_synthesis(db, perimetre):
    data = "Action;Agents;Année\nSST;8;2027\nCACES nacelle;5;2031\n".encode()
    for town in ("Orchies", "Cysoing"):
        row = upload(db, perimetre, f"{town}.csv", data + town.encode(), town)
        service.confirm(db, row, 2027, perimetre.owner_id)
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


def test_a_corrected_plan_replaces_the_first_and_an_import_can_be_withdrawn(db, perimetre):
    first = upload(db, perimetre, "orchies.csv", "Action;Agents;Année\nSST;5;2027\nCACES nacelle;2;2027\n"
                   .encode(), "Orchies")
    service.confirm(db, first, 2027, perimetre.owner_id)
    cysoing = upload(db, perimetre, "cysoing.csv", "Action;Agents;Année\nSST;4;2027\n".encode(), "Cysoing")
    service.confirm(db, cysoing, 2027, perimetre.owner_id)
    corrected = upload(db, perimetre, "orchies-v2.csv", "Action;Agents;Année\nSST;7;2027\n".encode(),
                       "Orchies")
    assert service.confirm(db, corrected, 2027, perimetre.owner_id) == 1

    def figures():
        return {line.title: dict(line.by_year) for line in service.synthesis(db, perimetre).lines}

    assert figures() == {"SST": {2027: 11}}  # 7 for Orchies (not 5 + 7) and 4 for Cysoing
    db.refresh(first)
    assert first.status == "superseded"
    assert len(db.exec(select(ImportedNeed).where(ImportedNeed.import_id == first.id)).all()) == 2  # kept
    history = {i.filename: i.status for i in service.synthesis(db, perimetre).imports}
    assert history == {"orchies.csv": "superseded", "cysoing.csv": "confirmed",
                       "orchies-v2.csv": "confirmed"}
    # Withdrawing the correction brings the first plan back; nothing is deleted.
    assert service.withdraw(db, corrected, perimetre.owner_id) == 2
    db.refresh(first)
    assert (first.status, corrected.status) == ("confirmed", "withdrawn")
    assert figures() == {"SST": {2027: 9}, "CACES nacelle": {2027: 2}}
    assert service.withdraw(db, corrected, perimetre.owner_id).code == "import_non_confirme"
    assert service.withdraw(db, cysoing, perimetre.owner_id) == 0
    assert figures() == {"SST": {2027: 5}, "CACES nacelle": {2027: 2}}
    assert [e.kind for e in db.exec(select(Event)).all() if e.kind.startswith("plans.")] == [
        "plans.imported"] * 3 + ["plans.withdrawn"] * 2


def test_competing_columns_are_asked_and_the_choice_is_remembered_for_the_same_shape(db, perimetre):
    data = b"Action;Agents 2027;Agents 2028\nSST;4;\n"
    row = upload(db, perimetre, "a.csv", data, "Orchies")
    preview = service.preview(db, row, 2027)
    [sheet] = preview.sheets
    assert sheet.status == "ask" and preview.rows == []
    assert str(preview.errors[0]) == ("Feuille « CSV » : plusieurs colonnes peuvent être « nombre d'agents » "
                                      "(« Agents 2027 », « Agents 2028 ») ; choisissez la bonne ci-dessous.")
    assert service.confirm(db, row, 2027, perimetre.owner_id).code == "colonnes_a_choisir"
    chosen = service.choose(db, row, {"col-0-0": "title", "col-0-1": "agents", "col-0-2": ""}, 2027,
                            perimetre.owner_id)
    assert [(r.values["title"], r.values["agents"]) for r in chosen.accepted] == [("SST", 4)]
    # The next file of the same shape (other rows, other case) is read the same way at once.
    again = upload(db, perimetre, "b.csv", b"ACTION;agents 2027;Agents 2028\nCACES nacelle;3;\n",
                   "Cysoing")
    preview = service.preview(db, again, 2027)
    assert preview.sheets[0].columns.chosen and preview.errors == []
    assert [(r.values["title"], r.values["agents"]) for r in preview.accepted] == [("CACES nacelle", 3)]


def test_a_column_read_wrongly_is_changed_in_the_preview(db, perimetre):
    data = "Intitulé;Nombre;Effectif;Année\nSST;2;6;2027\n".encode()  # "Nombre" of days, in fact
    row = upload(db, perimetre, "c.csv", data, "Orchies")
    assert [r.values["agents"] for r in service.preview(db, row, 2027).accepted] == [6]
    fixed = service.choose(db, row, {"col-0-0": "title", "col-0-1": "days", "col-0-2": "agents",
                                     "col-0-3": "year"}, 2027, perimetre.owner_id)
    assert [(r.values["agents"], r.details) for r in fixed.accepted] == [(6, {"days": "2"})]


def test_a_recap_sheet_is_left_out_and_said(db, perimetre):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for town, figures in (("Orchies", [("SST", 4), ("CACES nacelle", 3)]), ("Cysoing", [("SST", 5)]),
                          ("Feuil3", [("SST", 9), ("CACES nacelle", 3)])):
        sheet = book.create_sheet(town)
        sheet.append(["Action", "Nombre d'agents", "Année"])
        for title, agents in figures:
            sheet.append([title, agents, 2027])
    buffer = io.BytesIO()
    book.save(buffer)
    row = upload(db, perimetre, "plans.xlsx", buffer.getvalue(), "Orchies")  # a default given
    preview = service.preview(db, row, 2027)
    assert [(s.name, s.status) for s in preview.sheets] == [
        ("Orchies", "read"), ("Cysoing", "read"), ("Feuil3", "recap")]
    assert [str(n) for n in preview.notes] == [
        "Feuille « Feuil3 » : récapitulatif des autres feuilles, laissé de côté pour ne pas compter "
        "deux fois."]
    service.confirm(db, row, 2027, perimetre.owner_id)
    assert {line.title: dict(line.by_year) for line in service.synthesis(db, perimetre).lines} == {
        "SST": {2027: 9}, "CACES nacelle": {2027: 3}}


def test_a_sheet_with_a_logo_block_and_sixteen_presentation_lines(db, perimetre):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "[logo]"
    sheet.merge_cells("A1:C3")
    for line in range(4, 21):
        sheet.cell(line, 1, f"Présentation du plan, ligne {line}")
    sheet.append(["Intitulé de l'action", "Nombre d'agents", "Année"])
    sheet.append(["Sauveteur secouriste du travail", 3, 2027])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = service.preview(db, upload(db, perimetre, "logo.xlsx", buffer.getvalue(), "Orchies"), 2027)
    assert preview.sheets[0].header_line == 21
    assert [(r.line, r.values["agents"], r.theme.code) for r in preview.accepted] == [(22, 3, "hs-sst")]


def test_rows_of_one_file_for_the_same_need_add_up_and_the_preview_says_so(db, perimetre):
    data = ("Collectivité;Action;Agents;Année;Catégorie\n"
            "Orchies;Sauveteur secouriste du travail (SST);2;2027;B\n"
            "Orchies;Sauveteur secouriste du travail (SST);3;2027;cat. B\n"
            "Orchies;Sauveteur secouriste du travail (SST);1;2028;Catégorie C\n"
            "Cysoing;Sauveteur secouriste du travail (SST);4;2027;B et C\n").encode()
    row = upload(db, perimetre, "plan.csv", data)
    preview = service.preview(db, row, 2027)
    assert [(r.added, r.category) for r in preview.rows] == [(2, "B"), (2, "B"), (0, "C"), (0, None)]
    assert [str(n) for n in preview.notes] == [
        "1 besoin réunit plusieurs lignes du fichier (même collectivité, même action, même année) : "
        "leurs agents sont additionnés."]
    assert preview.rows[3].details["category"] == "B et C"  # no single category: kept as written
    assert service.confirm(db, row, 2027, perimetre.owner_id) == 4
    line = service.synthesis(db, perimetre).lines[0]
    assert dict(line.by_year) == {2027: 9, 2028: 1}
    seance, _outside = service.start_seance(db, perimetre, SeanceCreate(
        title="Depuis les plans", held_on="2026-12-10", horizon_start=2027, horizon_years=3,
        dot_budget=5, max_dots_per_need=3, perimetre_id=perimetre.id), perimetre.owner_id)
    demands = db.exec(select(Demand).join(Need).where(Need.seance_id == seance.id)).all()
    assert sorted((d.year, d.agents, d.category) for d in demands) == [
        (2027, 4, None), (2027, 5, "B"), (2028, 1, "C")]


def test_the_preview_kept_by_the_worker_reads_back_the_same_and_short(db, perimetre, tmp_path):
    from workshop.services import plan_preview

    data = "Action;Agents;Année\n" + "".join(f"Formation SST {i};{i % 5 + 1};2027\n" for i in range(400)) \
        + "Jardinage zen;deux;2027\n"
    row = upload(db, perimetre, "plan.csv", data.encode(), "Orchies")
    full = service.preview(db, row, 2027)
    assert plan_preview.dump(plan_preview.load(plan_preview.dump(full))) == plan_preview.dump(full)
    short = plan_preview.shorten(full, 50)
    assert (short.accepted_count, short.refused_count, len(short.rows)) == (400, 1, 50)
    assert short.rows[-1].error is not None  # the row that needs a look is kept, in the file's order
    (tmp_path / "kept.json").write_bytes(service.kept_preview(full))
    kept = service.stored(tmp_path / "kept.json")
    assert kept.preview.accepted_count == 400 and len(kept.preview.rows) == 300
    assert "Jardinage zen;deux;2027" in kept.left_out_csv.decode("utf-8-sig")

