"""Reading plans as people write them (pure rules, tables given as lists)."""

from workshop.domain.plan_files import Catalogue, ThemeEntry, find_header, header_map, parse

CATALOGUE = Catalogue([
    ThemeEntry("hs-sst", "Sauveteur secouriste du travail (SST et MAC SST)",
               ("sst", "secourisme", "premiers secours")),
    ThemeEntry("hs-caces", "CACES : conduite d'engins en sécurité", ("caces", "nacelle")),
    ThemeEntry("fin-budget-m57", "Budget et comptabilité en M57", ("m57", "budget")),
])


def test_headers_in_other_words_and_orders():
    assert header_map(["Nb d'agents", "Intitulé de l'action", "THÉMATIQUE", "An", "Obs."]) == {
        0: "agents", 1: "title", 2: "theme", 3: "year"}
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
    rows, error = parse(table, CATALOGUE, 2027, years=range(2027, 2030))
    assert error is None
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


def test_theme_matching_exact_synonym_fuzzy_and_none():
    assert CATALOGUE.match("Budget et comptabilité en M57").method == "exact"
    assert CATALOGUE.match("", "recyclage caces R486").code == "hs-caces"
    fuzzy = CATALOGUE.match("Sauveteur secouriste du travial")
    assert (fuzzy.code, fuzzy.method) == ("hs-sst", "fuzzy") and fuzzy.score >= 82
    assert CATALOGUE.match("Jardinage zen", "Méditation").method == "none"


def test_a_sheet_without_a_header_is_refused_whole():
    rows, error = parse([["a", "b"], [1, 2]], CATALOGUE, 2027)
    assert rows == [] and "en-tête" in str(error)
