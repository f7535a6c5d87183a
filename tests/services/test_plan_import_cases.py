"""The plan files collectivités really send (tests/data/imports/, see its README.md): each one read
back as a person reading it expects, from the preview and from the synthesis after confirming."""

from pathlib import Path

import pytest

from tests import factories
from workshop.domain.rules import Refusal
from workshop.services import perimetres
from workshop.services import plan_imports as service

DATA = Path(__file__).parent.parent / "data" / "imports"
SST = "Sauveteur secouriste du travail (SST)"
HABILITATION = "Habilitation électrique B0 H0V"
PRAP = "Prévention des risques liés à l'activité physique"
CARRIERE = "Gérer la carrière des agents : premiers pas"
ENTRETIEN = "Conduire l'entretien professionnel annuel"


@pytest.fixture
def perimetre(db, facilitator):
    return factories.perimetre(db, facilitator)


def upload_case(db, perimetre, name, collectivite="Orchies"):
    members = {m.name: m.id for m in perimetres.members(db, perimetre.id)}
    result = service.upload(db, perimetre, name, (DATA / name).read_bytes(), members[collectivite],
                            perimetre.owner_id)
    assert not isinstance(result, Refusal), result
    return result


def accepted(preview):
    return [(r.values["title"], r.values["agents"], r.values["year"], r.theme.code)
            for r in preview.accepted]


def synthesis_of(db, perimetre):
    names = {m.id: m.name for m in perimetres.members(db, perimetre.id)}
    return sorted((line.title, line.theme.code, dict(line.by_year),
                   {names[c]: n for c, n in line.by_collectivite.items()})
                  for line in service.synthesis(db, perimetre).lines)


CASES = {
    "jours-avant-agents.csv": (
        "UTF-8", [(SST, 6, 2027, "hs-sst"), (HABILITATION, 3, 2027, "hs-habilitation-electrique")]),
    "code-stage-avant-intitule.csv": (
        "UTF-8", [(SST, 4, 2027, "hs-sst"), (ENTRETIEN, 2, 2028, "mgt-entretien-professionnel")]),
    "cr-seul-utf8.csv": (
        "UTF-8", [(PRAP, 3, 2027, "hs-gestes-postures"), (CARRIERE, 2, 2028, "rh-carriere-paie")]),
    "texte-unicode.txt": (
        "UTF-16", [(PRAP, 3, 2027, "hs-gestes-postures"), (CARRIERE, 2, 2028, "rh-carriere-paie")]),
    "feuille-masquee.xlsx": (None, [(SST, 4, 2027, "hs-sst")]),
    "formule-par-ligne.xlsx": (
        None, [(SST, 4, 2027, "hs-sst"), (HABILITATION, 2, 2027, "hs-habilitation-electrique")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_file_reads_as_a_person_reads_it(db, perimetre, name):
    encoding, expected = CASES[name]
    row = upload_case(db, perimetre, name)
    preview = service.preview(db, row, 2027)
    assert preview.errors == []
    assert preview.encoding == encoding
    assert accepted(preview) == expected
    assert preview.refused == []
    assert set(preview.collectivites.values()) == {row.collectivite_id}
    assert service.confirm(db, row, 2027, perimetre.owner_id) == len(expected)
    assert synthesis_of(db, perimetre) == sorted(
        (title, code, {year: agents}, {"Orchies": agents}) for title, agents, year, code in expected)


def test_days_are_not_agents_and_the_days_are_kept_as_a_detail(db, perimetre):
    preview = service.preview(db, upload_case(db, perimetre, "jours-avant-agents.csv"), 2027)
    [sheet] = preview.sheets
    assert sheet.columns.fields == {0: "theme", 1: "title", 2: "days", 3: "agents", 4: "year"}
    assert [r.details for r in preview.accepted] == [{"days": "2"}, {"days": "1"}]


def test_the_code_stage_is_a_detail_never_a_title(db, perimetre):
    row = upload_case(db, perimetre, "code-stage-avant-intitule.csv")
    preview = service.preview(db, row, 2027)
    assert [r.details for r in preview.accepted] == [{"code": "SX0A1"}, {"code": "SX0B2"}]
    service.confirm(db, row, 2027, perimetre.owner_id)
    from sqlmodel import select

    from workshop.models import ImportedNeed
    assert sorted(n.details["code"] for n in db.exec(select(ImportedNeed))) == ["SX0A1", "SX0B2"]


def test_the_hidden_sheet_is_left_out_and_said(db, perimetre):
    preview = service.preview(db, upload_case(db, perimetre, "feuille-masquee.xlsx"), 2027)
    assert [(s.name, s.status) for s in preview.sheets] == [("Plan 2027", "read"),
                                                            ("Plan 2024 (archive)", "hidden")]
    assert [str(n) for n in preview.notes] == [
        "Feuille « Plan 2024 (archive) » masquée dans le classeur : laissée de côté."]


def test_formulas_give_their_saved_values_and_categories_are_kept(db, perimetre):
    preview = service.preview(db, upload_case(db, perimetre, "formule-par-ligne.xlsx"), 2027)
    assert [r.details for r in preview.accepted] == [
        {"category_a": "0", "category_b": "1", "category_c": "3"},
        {"category_a": "0", "category_b": "0", "category_c": "2"}]


def test_agents_in_words_are_read_and_what_cannot_be_guessed_is_offered_for_correction(db, perimetre):
    row = upload_case(db, perimetre, "agents-en-texte.csv")
    preview = service.preview(db, row, 2027)
    assert accepted(preview) == [(SST, 3, 2027, "hs-sst")]
    assert {r.line: str(r.error) for r in preview.refused} == {
        3: "fourchette « 2 à 3 » : indiquez un nombre d'agents",
        4: "année relative « N+1 » : indiquez l'année (par exemple 2027)"}
    assert service.editable(preview) >= {r.key for r in preview.refused}
    # The facilitator corrects one of them in the preview; the other is left out, and said so.
    fixed = service.choose(db, row, {"cell-0:4-year": "2028"}, 2027, perimetre.owner_id)
    assert accepted(fixed) == [(SST, 3, 2027, "hs-sst"), (ENTRETIEN, 4, 2028, "mgt-entretien-professionnel")]
    assert [r.corrected for r in fixed.accepted] == [(), ("year",)]
    assert service.confirm(db, row, 2027, perimetre.owner_id) == 2
    after = service.preview(db, row, 2027)
    assert [(r.line, str(r.error)) for r in after.refused] == [
        (3, "fourchette « 2 à 3 » : indiquez un nombre d'agents")]
    left_out = service.left_out_csv(after).decode("utf-8-sig").splitlines()
    assert left_out == ["Feuille;Ligne;Motif;Collectivité;Thème;Intitulé de l'action;Nombre d'agents;Année",
                        ";3;fourchette « 2 à 3 » : indiquez un nombre d'agents;;;"
                        "Habilitation électrique B0 H0V;2 à 3;2027"]
    assert synthesis_of(db, perimetre) == sorted([
        (SST, "hs-sst", {2027: 3}, {"Orchies": 3}),
        (ENTRETIEN, "mgt-entretien-professionnel", {2028: 4}, {"Orchies": 4})])


@pytest.mark.parametrize("name", ["plan.ods", "plan.xls", "plan.xlsx"])
def test_a_hand_made_plan_with_merged_collectivites_and_themes_and_a_hidden_sheet(db, perimetre, name):
    from tests.services.test_plan_reading import ods_bytes, xls_bytes, xlsx_bytes

    data = {"plan.ods": ods_bytes, "plan.xls": xls_bytes, "plan.xlsx": xlsx_bytes}[name]()
    row = service.upload(db, perimetre, name, data, None, perimetre.owner_id)
    preview = service.preview(db, row, 2027)
    names = {m.id: m.name for m in perimetres.members(db, perimetre.id)}
    assert [(names[preview.collectivites[r.key]], r.values["title"], r.values["agents"], r.values["year"],
             r.theme.code) for r in preview.accepted] == [
        ("Orchies", "SST", 4, 2027, "hs-sst"),
        ("Orchies", "Habilitation électrique", 2, 2027, "hs-habilitation-electrique"),
        ("Orchies", "Entretien professionnel", 3, 2028, "mgt-entretien-professionnel"),
        ("Cysoing", "SST", 5, 2027, "hs-sst")]
    assert [str(n) for n in preview.notes] == [
        "Feuille « Archive » masquée dans le classeur : laissée de côté."]
    assert service.confirm(db, row, 2027, perimetre.owner_id) == 4
    assert synthesis_of(db, perimetre) == [
        ("Entretien professionnel", "mgt-entretien-professionnel", {2028: 3}, {"Orchies": 3}),
        ("Habilitation électrique", "hs-habilitation-electrique", {2027: 2}, {"Orchies": 2}),
        ("SST", "hs-sst", {2027: 9}, {"Orchies": 4, "Cysoing": 5})]


def test_a_mac_roman_plan_with_only_e_acute_and_a_grave(db, perimetre):
    text = ("Thème;Intitulé de l'action;Nombre d'agents;Année\r"
            "Hygiène et sécurité;Prévention des risques liés à l'activité physique;3;2027\r")
    members = {m.name: m.id for m in perimetres.members(db, perimetre.id)}
    row = service.upload(db, perimetre, "mac.csv", text.encode("mac_roman"), members["Orchies"],
                         perimetre.owner_id)
    preview = service.preview(db, row, 2027)
    assert preview.encoding == "Mac Roman"
    assert accepted(preview) == [(PRAP, 3, 2027, "hs-gestes-postures")]
