from workshop.domain.text import normalise, search_key, search_terms


def test_normalise_drops_accents_case_and_hyphens():
    assert normalise("Templeuve-en-Pévèle") == "templeuve en pevele"
    assert normalise("  L’Écluse  ") == "l ecluse"


def test_search_key_includes_postcodes():
    assert search_key("Orchies", "59310") == "orchies 59310"


def test_search_terms_expand_saint_abbreviations_and_cap_words():
    assert search_terms("St-Amand les eaux") == ["saint", "amand", "les", "eaux"]
    assert search_terms("Ste Catherine") == ["sainte", "catherine"]
    assert len(search_terms("a b c d e f g h")) == 6


def test_visible_trims_invisible_characters_around_and_keeps_those_inside():
    from workshop.domain.text import visible

    assert visible("\u200b\u200b") == "" and visible("\ufeff \u2060\u00ad\t") == ""
    assert visible("\u200b Gestes et postures\u00a0\u200b") == "Gestes et postures"
    assert visible("👩\u200d💻 code") == "👩\u200d💻 code"  # the joiner inside stays
