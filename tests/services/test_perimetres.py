from sqlmodel import select

from tests import factories
from tests.factories import FLANDRE_LYS, PEVELE
from workshop.domain.rules import Refusal
from workshop.models import Collectivite, Event
from workshop.services import perimetres


def events(db, kind):
    return db.exec(select(Event).where(Event.kind == kind)).all()


def by_name(db, name):
    return db.exec(select(Collectivite).where(Collectivite.name == name)).one()


def test_a_perimeter_from_an_epci_holds_the_epci_and_its_communes(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    members = perimetres.members(db, perimetre.id)
    assert len(members) == 39  # the CC and its 38 communes
    assert members[0].kind == "epci"
    assert perimetre.coordinator_id == members[0].id
    assert {m.name for m in members} >= {"Orchies", "Templeuve-en-Pévèle", "Cysoing"}
    [event] = events(db, "perimetre.created")
    assert event.payload["members"] == 39


def test_two_epci_add_up_and_leave_the_coordinator_to_choose(db, facilitator):
    perimetre = factories.perimetre(db, facilitator, [PEVELE, FLANDRE_LYS])
    assert len(perimetres.member_ids(db, perimetre.id)) == 39 + 9
    assert perimetre.coordinator_id is None


def test_unknown_or_missing_epci_is_refused_and_nothing_is_written(db, facilitator):
    assert perimetres.create(db, facilitator.id, "X", ["123"]).code == "epci_inconnu"
    assert perimetres.create(db, facilitator.id, "X", []).code == "perimetre_vide"
    assert perimetres.owned(db, facilitator.id) == []
    assert events(db, "perimetre.created") == []


def test_add_a_commune_then_refuse_it_twice(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    lille = by_name(db, "Lille")
    assert perimetres.add_member(db, perimetre, lille.id, facilitator.id).id == lille.id
    again = perimetres.add_member(db, perimetre, lille.id, facilitator.id)
    assert isinstance(again, Refusal) and again.code == "collectivite_en_double"
    assert len(perimetres.member_ids(db, perimetre.id)) == 40


def test_add_a_collectivite_by_hand_and_refuse_a_duplicate_name(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    ccas = perimetres.add_by_hand(db, perimetre, "CCAS d'Orchies", "ccas", facilitator.id)
    assert ccas.code is None and ccas.kind == "ccas"
    duplicate = perimetres.add_by_hand(db, perimetre, "ccas d’orchies", "ccas", facilitator.id)
    assert duplicate.code == "collectivite_en_double"
    assert perimetres.add_by_hand(db, perimetre, "orchies", "autre", facilitator.id).code == \
        "collectivite_en_double"


def test_coordinator_must_be_inside(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    orchies, lille = by_name(db, "Orchies"), by_name(db, "Lille")
    assert perimetres.set_coordinator(db, perimetre, orchies.id, facilitator.id).id == orchies.id
    refusal = perimetres.set_coordinator(db, perimetre, lille.id, facilitator.id)
    assert refusal.code == "coordinatrice_hors_perimetre"
    db.refresh(perimetre)
    assert perimetre.coordinator_id == orchies.id


def test_removal_refuses_the_coordinator_and_a_non_member(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    orchies = by_name(db, "Orchies")
    assert perimetres.remove_member(db, perimetre, perimetre.coordinator_id,
                                    facilitator.id).code == "retrait_coordinatrice"
    assert perimetres.remove_member(db, perimetre, by_name(db, "Lille").id,
                                    facilitator.id).code == "collectivite_absente"
    assert perimetres.remove_member(db, perimetre, orchies.id, facilitator.id).id == orchies.id
    assert orchies.id not in perimetres.member_ids(db, perimetre.id)
    assert len(events(db, "perimetre.member_removed")) == 1


def test_add_epci_adds_only_the_missing_communes(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    assert perimetres.add_epci(db, perimetre, PEVELE, facilitator.id).code == "collectivite_en_double"
    orchies = by_name(db, "Orchies")
    perimetres.set_coordinator(db, perimetre, orchies.id, facilitator.id)
    epci_id = next(m.id for m in perimetres.members(db, perimetre.id) if m.kind == "epci")
    perimetres.remove_member(db, perimetre, epci_id, facilitator.id)
    assert perimetres.add_epci(db, perimetre, PEVELE, facilitator.id) == 1


def test_search_finds_by_name_or_postcode_outside_the_perimeter(db, facilitator):
    perimetre = factories.perimetre(db, facilitator)
    names = [c.name for c in perimetres.search_outside(db, perimetre.id, "lille")]
    assert names[0] == "Lille"
    assert "Orchies" not in [c.name for c in perimetres.search_outside(db, perimetre.id, "orchies")]
    assert "Hazebrouck" in [c.name for c in perimetres.search_outside(db, perimetre.id, "59190")]
    saints = [c.name for c in perimetres.search_outside(db, perimetre.id, "st amand")]
    assert {"Saint-Amand", "Saint-Amand-les-Eaux"} <= set(saints)
    assert perimetres.search_outside(db, perimetre.id, "l") == []


def test_perimeters_belong_to_their_owner(db, facilitator):
    other = factories.facilitator(db)
    perimetre = factories.perimetre(db, facilitator)
    assert perimetres.get_owned(db, perimetre.id, other.id) is None
    assert perimetres.owned(db, other.id) == []
