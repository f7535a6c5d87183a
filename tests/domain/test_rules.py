from workshop.domain import rules


def test_refusal_is_truthy_and_carries_a_french_message():
    refusal = rules.non_empty_perimeter(0)
    assert refusal
    assert refusal.code == "perimetre_vide"
    assert "au moins une collectivité" in refusal.message


def test_non_empty_perimeter_holds_with_one_member():
    assert rules.non_empty_perimeter(1) is None


def test_coordinator_must_be_a_member():
    assert rules.coordinator_in_perimeter(3, {1, 2, 3}) is None
    refusal = rules.coordinator_in_perimeter(9, {1, 2, 3})
    assert refusal.code == "coordinatrice_hors_perimetre"
    assert refusal.field == "coordinator_id"


def test_a_member_cannot_be_added_twice():
    assert rules.not_already_member("Orchies", 4, {1, 2}) is None
    refusal = rules.not_already_member("Orchies", 2, {1, 2})
    assert refusal.message == "Orchies fait déjà partie du périmètre."


def test_hand_added_name_is_compared_without_accents_or_case():
    members = ["CCAS de Templeuve-en-Pévèle", "Orchies"]
    refusal = rules.unique_name_in_perimeter("ccas de templeuve en pevele ", members)
    assert refusal.code == "collectivite_en_double"
    assert rules.unique_name_in_perimeter("CCAS d'Orchies", members) is None


def test_removal_keeps_the_coordinator_and_one_member():
    assert rules.removable_member(5, coordinator_id=5, member_count=10).code == "retrait_coordinatrice"
    assert rules.removable_member(6, coordinator_id=5, member_count=1).code == "perimetre_vide"
    assert rules.removable_member(6, coordinator_id=5, member_count=2) is None


def test_dots_on_one_need_cannot_exceed_the_budget():
    assert rules.dot_settings(5, 3) is None
    assert rules.dot_settings(5, 5) is None
    assert rules.dot_settings(2, 3).code == "gommettes_incoherentes"
