"""Reading plans as people write them (pure rules, tables given as lists)."""

import tomllib
from pathlib import Path

from workshop.domain.plan_columns import find_header, recognise, shape_of
from workshop.domain.plan_files import Catalogue, ThemeEntry, category, is_recap, number, parse, year


def header_map(cells):
    return recognise(cells).fields


def read(table, catalogue, default_year, years=None):
    start, columns = find_header(table)
    return parse(table, columns, start, catalogue, default_year, years=years)

CATALOGUE = Catalogue([
    ThemeEntry("hs-sst", "Sauveteur secouriste du travail (SST et MAC SST)",
               ("sst", "secourisme", "premiers secours")),
    ThemeEntry("hs-caces", "CACES : conduite d'engins en sécurité", ("caces", "nacelle")),
    ThemeEntry("fin-budget-m57", "Budget et comptabilité en M57", ("m57", "budget")),
])


def test_headers_in_other_words_and_orders():
    assert header_map(["Nb d'agents", "Intitulé de l'action", "THÉMATIQUE", "An", "Obs."]) == {
        0: "agents", 1: "title", 2: "theme", 3: "year", 4: "remarks"}
    assert header_map(["Collectivité", "Domaine de formation", "Formation souhaitée",
                       "Nombre d'agents concernés", "Année souhaitée", "Priorité", "Remarques"]) == {
        0: "collectivite", 1: "theme", 2: "title", 3: "agents", 4: "year", 5: "priority",
        6: "remarks"}


def test_title_rows_above_the_header_are_skipped():
    table = [["PLAN DE FORMATION 2027 - Mairie d'Orchies", None, None],
             [None, None, None],
             ["Action", "Agents", "Année"],
             ["SST", 4, 2027]]
    assert find_header(table)[0] == 2


def test_rows_accepted_and_refused_with_their_line_numbers_and_reasons():
    table = [["Thème", "Action", "Nombre d'agents", "Année"],
             ["Hygiène", "Formation SST initiale", "4", "2027"],
             ["", "", "", ""],
             ["Finances", "Passage à la M57", "3,0", "27"],
             ["", "Nacelles", "beaucoup", "2027"],
             ["", "", "2", "2028"],
             ["Management", "Communication bienveillante", "2", "2027"],
             ["", "=HYPERLINK(\"http://x\")", "1", "2027"],
             ["TOTAL", "", "9", ""],
             ["", "Conduite de nacelle", "2", "2045"]]
    rows = read(table, CATALOGUE, 2027, years=range(2027, 2030))
    by_line = {r.line: r for r in rows}
    assert by_line[2].accepted and by_line[2].theme.code == "hs-sst" and by_line[2].values["agents"] == 4
    assert by_line[3].skipped == "ligne vide"
    assert by_line[4].accepted and by_line[4].values == {**by_line[4].values, "agents": 3, "year": 2027}
    assert by_line[4].theme.method == "synonym"
    assert str(by_line[5].error) == "nombre d'agents illisible : « beaucoup »"
    assert str(by_line[6].error) == "intitulé de l'action manquant"
    assert str(by_line[7].error) == "thème non reconnu : choisissez-le dans la liste"
    assert "formule" in str(by_line[8].error)
    assert by_line[9].skipped == "ligne de total"
    assert str(by_line[10].error).startswith("année hors de l'horizon (de 2027 à 2029)")


def test_a_title_of_invisible_characters_is_a_missing_title():
    table = [["Thème", "Action", "Nombre d'agents", "Année"],
             ["", "\u200b\u200b", "2", "2027"],
             ["", "\ufeffFormation SST initiale\u200b", "4", "2027"]]
    rows = {r.line: r for r in read(table, CATALOGUE, 2027)}
    assert str(rows[2].error) == "intitulé de l'action manquant"
    assert rows[3].accepted and rows[3].values["title"] == "Formation SST initiale"


def test_theme_matching_exact_synonym_fuzzy_and_none():
    assert CATALOGUE.match("Budget et comptabilité en M57").method == "exact"
    assert CATALOGUE.match("", "recyclage caces R486").code == "hs-caces"
    fuzzy = CATALOGUE.match("Secouriste sauveteur du travial")
    assert (fuzzy.code, fuzzy.method) == ("hs-sst", "fuzzy") and fuzzy.score >= 82
    assert CATALOGUE.match("Jardinage zen", "Méditation").method == "none"


def test_a_sheet_without_a_header_has_none():
    assert find_header([["a", "b"], [1, 2]]) is None


def test_columns_sharing_a_word_go_to_the_field_they_name_best():
    # "Nombre de jours" before "Nombre d'agents": the days are never the agents.
    assert header_map(["Thème", "Intitulé de l'action", "Nombre de jours", "Nombre d'agents",
                       "Année souhaitée"]) == {0: "theme", 1: "title", 2: "days", 3: "agents", 4: "year"}
    # "Code stage" before the title is a code, kept as a detail; never the title.
    assert header_map(["Code stage", "Intitulé de la formation", "Nb agents", "Année"]) == {
        0: "code", 1: "title", 2: "agents", 3: "year"}
    # "Date de la demande" before "Année souhaitée" is not the year asked.
    assert header_map(["Action", "Date de la demande", "Année souhaitée", "Agents"]) == {
        0: "title", 1: "requested_on", 2: "year", 3: "agents"}
    assert header_map(["Service", "Public visé", "Code CNFPT", "Intitulé", "Effectif", "Priorité",
                       "Cat. A", "Cat. B", "Cat. C"]) == {
        0: "service", 1: "public", 2: "code", 3: "title", 4: "agents", 5: "priority",
        6: "category_a", 7: "category_b", 8: "category_c"}


def test_a_column_of_categories_is_read_as_the_agents_category():
    assert header_map(["Intitulé", "Nb agents", "Catégorie", "Cat. A", "Cat. B"]) == {
        0: "title", 1: "agents", 2: "category", 3: "category_a", 4: "category_b"}
    assert header_map(["Intitulé", "Nb agents", "Catégorie des agents"])[2] == "category"
    assert header_map(["Catégorie de formation", "Intitulé", "Nb agents"])[0] == "theme"
    assert [category(v) for v in ("B", "cat. B", "Catégorie C", " a ", "B et C", "A+", "", None)] == [
        "B", "B", "C", "A", None, None, None, None]
    rows = read([["Intitulé", "Agents", "Catégorie"], ["SST", 2, "cat. C"], ["SST", 1, "B/C"]],
                CATALOGUE, 2027)
    assert [(r.category, r.details.get("category")) for r in rows] == [("C", "C"), (None, "B/C")]


def test_a_lone_generic_word_still_names_a_column_when_nothing_names_it_better():
    assert header_map(["Intitulé", "Nb", "Date"]) == {0: "title", 1: "agents", 2: "year"}
    assert header_map(["Intitulé", "Nombre", "Durée (jours)", "Nombre d'agents"]) == {
        0: "title", 2: "days", 3: "agents"}


def test_two_columns_competing_for_a_field_are_not_guessed():
    columns = recognise(["Action", "Agents 2027", "Agents 2028"])
    assert columns.fields == {0: "title"} and columns.ambiguous == {"agents": [1, 2]}
    assert not columns.complete
    assert find_header([["Action", "Agents 2027", "Agents 2028"]])[0] == 0  # found, to ask


def test_the_shape_of_a_header_row_ignores_case_accents_and_punctuation():
    assert shape_of(["Intitulé", "Nb. d'agents"]) == shape_of(["INTITULE", "nb d agents", None])
    assert shape_of(["Intitulé", "Agents"]) != shape_of(["Agents", "Intitulé"])


def test_the_header_is_found_below_a_logo_block_and_many_presentation_lines():
    table = [["Logo"], [None], *[[f"Ligne de présentation {i}"] for i in range(18)],
             ["Intitulé", "Nombre d'agents", "Année"], ["SST", 4, 2027]]
    assert find_header(table)[0] == 20


def test_totals_rows_are_skipped_wherever_the_word_is_but_a_title_may_start_with_it():
    table = [["", "Intitulé", "Agents", "Remarques"],
             ["", "SST", 4, "Total à revoir"],
             ["Total", "", 4, ""],
             ["", "TOTAL GÉNÉRAL", 4, ""],
             ["", "Totalité des agents : gestes qui sauvent", 9, ""]]
    rows = read(table, CATALOGUE, 2027)
    assert [r.skipped for r in rows] == [None, "ligne de total", "ligne de total", None]


def test_numbers_as_people_write_them():
    assert [number(v) for v in (4, 4.0, "4", "3 agents", "3 pers.", "4 stagiaires", "1 agent",
                                " 5 ", "3,0")] == [4, 4, 4, 3, 3, 4, 1, 5, 3]
    assert [number(v) for v in ("beaucoup", "", None, 2.5, "-1")] == [None] * 5
    assert str(number("2 à 3")) == "fourchette « 2 à 3 » : indiquez un nombre d'agents"
    assert str(number("2-3")).startswith("fourchette")


def test_years_as_people_write_them():
    assert [year(v, 2027) for v in ("2027", 2028.0, "27", "", None, "en 2029")] == [
        2027, 2028, 2027, 2027, 2027, 2029]
    assert str(year("N+1", 2027)) == "année relative « N+1 » : indiquez l'année (par exemple 2027)"
    assert str(year("2027-2028", 2027)).startswith("plusieurs années")


def test_a_recap_sheet_is_one_that_totals_the_others_or_says_so():
    orchies, cysoing = {"sst": 4, "caces": 3}, {"sst": 5}
    assert is_recap("Feuil3", {"sst": 9, "caces": 3}, [orchies, cysoing])
    assert is_recap("Récapitulatif", {"sst": 1}, [orchies])
    assert not is_recap("Orchies", orchies, [cysoing, {"sst": 4, "caces": 3}])
    assert not is_recap("Feuil1", {"sst": 4}, [{}])


def seeded_catalogue():
    path = Path(__file__).parents[2] / "seeds" / "themes.toml"
    themes = tomllib.loads(path.read_text(encoding="utf-8"))["theme"]
    return Catalogue([ThemeEntry(t["code"], t["name"], tuple(t["synonyms"]), t["domain"]) for t in themes])


def test_a_precise_title_wins_over_a_domain_and_over_a_neighbour():
    catalogue = seeded_catalogue()
    match = catalogue.match("Management", "Entretien professionnel annuel")
    assert match.code == "mgt-entretien-professionnel"
    tir = catalogue.match("", "Tir police municipale")
    assert tir.code == "pm-armement" and tir.method == "fuzzy" and tir.score >= 67
    assert tir.alternatives[0][0] == "pm-fco"  # the next candidate, shown with its score
    assert catalogue.match("Ressources humaines", "Gérer la carrière des agents").code == "rh-carriere-paie"
    assert catalogue.match("Management", "").code == "mgt-encadrement-proximite"  # only a domain
