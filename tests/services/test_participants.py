import pytest
from sqlmodel import select

from tests import factories
from workshop.models import Participant
from workshop.services import board, participants, seances


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator))


def test_join_speaks_for_a_collectivite_of_the_perimeter(db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    person = participants.join(db, seance, orchies, "secretaire", display_name="Dominique")
    assert person.id and person.seance_id == seance.id
    assert (person.collectivite_id, person.role, person.display_name) == (orchies, "secretaire",
                                                                           "Dominique")
    assert not person.is_proxy and len(person.token) >= 32
    [event] = factories.events(db, seance, "participant.joined")
    assert event.actor == f"participant:{person.id}"
    assert event.payload == {"collectivite_id": orchies, "role": "secretaire"}


def test_each_join_is_a_new_participant_with_its_own_token(db, seance):
    first = factories.participant(db, seance, "Orchies")
    second = factories.participant(db, seance, "Orchies")
    assert first.id != second.id and first.token != second.token
    assert len(factories.events(db, seance, "participant.joined")) == 2


def _nothing_written(db, seance):
    assert db.exec(select(Participant)).all() == []
    assert factories.events(db, seance) == factories.events(db, seance, "seance.created")


def test_join_refuses_a_collectivite_outside_the_perimeter(db, seance):
    refusal = participants.join(db, seance, factories.outsider_id(db), "elu")
    assert (refusal.code, refusal.field) == ("collectivite_hors_perimetre", "collectivite_id")
    assert refusal.message == "Choisissez une collectivité du périmètre de la séance."
    assert participants.join(db, seance, 999_999, "elu").code == "collectivite_hors_perimetre"
    _nothing_written(db, seance)


def test_join_refuses_an_unknown_role(db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    for role in ("president", "", "ELU"):
        refusal = participants.join(db, seance, orchies, role)
        assert (refusal.code, refusal.field) == ("role_inconnu", "role")
        assert refusal.message == "Choisissez votre fonction dans la liste."
    _nothing_written(db, seance)


def test_join_refuses_a_closed_seance(db, seance):
    seances.set_closed(db, seance, True, seance.owner_id)
    refusal = participants.join(db, seance, factories.collectivite_id(db, seance, "Orchies"), "elu")
    assert refusal.code == "seance_close"
    assert refusal.message == "Cette séance est close."
    assert db.exec(select(Participant)).all() == []
    assert factories.events(db, seance, "participant.joined") == []


def test_a_proxy_is_created_once_per_collectivite(db, seance):
    orchies = factories.collectivite_id(db, seance, "Orchies")
    first = participants.proxy(db, seance, orchies, seance.owner_id)
    again = participants.proxy(db, seance, orchies, seance.owner_id)
    other = participants.proxy(db, seance, factories.collectivite_id(db, seance, "Cysoing"),
                               seance.owner_id)
    assert first.is_proxy and first.id == again.id and other.id != first.id
    assert first.display_name == "Saisie par l'animateur"
    created = factories.events(db, seance, "participant.proxy_created")
    assert [e.payload["collectivite_id"] for e in created] == [orchies, other.collectivite_id]
    assert created[0].actor == f"facilitator:{seance.owner_id}"
    assert created[0].payload["participant_id"] == first.id


def test_a_real_participant_of_the_collectivite_is_not_taken_for_its_proxy(db, seance):
    person = factories.participant(db, seance, "Orchies")
    stand_in = factories.proxy(db, seance, "Orchies")
    assert stand_in.id != person.id and stand_in.is_proxy


def test_a_proxy_outside_the_perimeter_is_refused(db, seance):
    refusal = participants.proxy(db, seance, factories.outsider_id(db), seance.owner_id)
    assert refusal.code == "collectivite_hors_perimetre"
    _nothing_written(db, seance)


def test_proxies_are_not_counted_as_people_in_the_room(db, seance):
    factories.participant(db, seance, "Orchies")
    factories.proxy(db, seance, "Orchies")
    factories.proxy(db, seance, "Cysoing")
    people = board.snapshot(db, seance).people
    assert [(p.name, p.count) for p in people] == [("Orchies", 1)]


def test_a_phone_comes_back_with_its_token(db, seance):
    person = factories.participant(db, seance, "Orchies")
    assert participants.by_token(db, person.token).id == person.id
    assert participants.by_token(db, None) is None
    assert participants.by_token(db, "") is None
    assert participants.by_token(db, "inconnu") is None
    assert participants.by_token(db, person.token + "x" * 64) is None
    assert participants.collectivite(db, person).name == "Orchies"


def test_change_corrects_collectivite_and_role_and_keeps_what_was_declared(db, seance):
    person = factories.participant(db, seance, "Orchies", role="elu")
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, by=person)
    factories.ok(board.declare(db, seance, person, need.id, seance.horizon_start, 4))
    orchies, cysoing = (factories.collectivite_id(db, seance, n) for n in ("Orchies", "Cysoing"))
    changed = participants.change(db, seance, person, cysoing, "secretaire")
    assert (changed.id, changed.collectivite_id, changed.role) == (person.id, cysoing, "secretaire")
    [event] = factories.events(db, seance, "participant.changed")
    assert event.actor == f"participant:{person.id}"
    assert event.payload == {"collectivite_id": cysoing, "role": "secretaire",
                             "previous_collectivite_id": orchies, "previous_role": "elu"}
    # The figure stays with the collectivité it was declared for.
    assert board.ours(db, seance, orchies) == {need.id: {seance.horizon_start: 4}}
    assert board.ours(db, seance, cysoing) == {}
    # The same choice again records nothing more.
    participants.change(db, seance, person, cysoing, "secretaire")
    assert len(factories.events(db, seance, "participant.changed")) == 1


def test_change_refusals(db, seance, facilitator):
    person = factories.participant(db, seance, "Orchies", role="elu")
    orchies = factories.collectivite_id(db, seance, "Orchies")
    for args, code in (((factories.outsider_id(db), "elu"), "collectivite_hors_perimetre"),
                       ((orchies, "pape"), "role_inconnu")):
        assert participants.change(db, seance, person, *args).code == code
    stand_in = participants.proxy(db, seance, orchies, facilitator.id)
    assert participants.change(db, seance, stand_in, orchies, "elu").code == "saisie_animateur"
    seances.set_closed(db, seance, True, seance.owner_id)
    assert participants.change(db, seance, person, orchies, "secretaire").code == "seance_close"
    db.refresh(person)
    assert (person.collectivite_id, person.role) == (orchies, "elu")
    assert factories.events(db, seance, "participant.changed") == []
