"""Phone actions take effect once (services/actions.py; issue 14, item 5), on SQLite and on
PostgreSQL, where two copies of one action race to commit."""

import threading
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from tests import factories
from tests.services.test_board import pg, seance  # noqa: F401 - fixtures
from workshop.domain import clock
from workshop.models import Need, Participant, PhoneAction, Seance, Vote, utcnow
from workshop.services import actions, board, participants
from workshop.services.actions import Action


def test_a_need_added_twice_with_one_id_is_added_once(db, seance):  # noqa: F811
    person = factories.participant(db, seance, "Orchies")
    theme = factories.theme(db, "acc-accueil-public").id
    once = Action(person.id, "tap-1")
    first = board.add_need(db, seance, theme, "Accueil", participant=person, action=once)
    again = board.add_need(db, seance, theme, "Accueil", participant=person, action=once)
    assert again.id == first.id
    assert len(db.exec(select(Need)).all()) == 1
    assert len(factories.events(db, seance, "need.added")) == 1
    # Another participant's same id is another action.
    other = factories.participant(db, seance, "Cysoing")
    theirs = board.add_need(db, seance, theme, "Accueil", participant=other,
                            action=Action(other.id, "tap-1"))
    assert theirs.id != first.id


def test_a_vote_batch_with_a_repeated_id_applies_it_once(db, seance):  # noqa: F811
    person = factories.participant(db, seance, "Orchies")
    need = factories.need(db, seance, "Accueil")
    factories.phase(db, seance, "vote")
    results = board.cast_many(db, [board.Ballot(seance.id, person.id, need.id, 1, "v1"),
                                   board.Ballot(seance.id, person.id, need.id, 2, "v2"),
                                   board.Ballot(seance.id, person.id, need.id, 1, "v1")])
    assert [(r.dots, r.left) for r in results] == [(1, 4), (2, 3), (1, 4)]
    assert db.exec(select(Vote.dots)).all() == [2]
    later = board.cast_many(db, [board.Ballot(seance.id, person.id, need.id, 1, "v1")])
    assert (later[0].dots, later[0].left) == (1, 4) and db.exec(select(Vote.dots)).all() == [2]
    assert len(factories.events(db, seance, "vote.set")) == 2


def test_old_actions_are_forgotten_when_the_participant_comes_back(db, seance):  # noqa: F811
    person = factories.participant(db, seance, "Orchies")
    for name in ("old", "new"):
        actions.remember(db, Action(person.id, name), {"need_id": 1})
    db.commit()
    old = db.exec(select(PhoneAction).where(PhoneAction.action_id == "old")).one()
    old.created_at = old.created_at - timedelta(hours=25)
    db.add(old)
    db.commit()
    participants.seen(db, person)  # a connection right after joining: nothing written
    assert sorted(db.exec(select(PhoneAction.action_id)).all()) == ["new", "old"]
    person.last_seen_at = person.last_seen_at - participants.SEEN_EVERY  # back after a while
    db.add(person)
    db.commit()
    participants.seen(db, person)
    assert db.exec(select(PhoneAction.action_id)).all() == ["new"]
    assert clock.as_utc(person.last_seen_at) > utcnow() - timedelta(seconds=5)


def test_two_copies_racing_on_postgresql_add_one_need(pg):  # noqa: F811
    """The second copy's commit waits on the first one's key, fails on it, and answers from
    the first (the same need), instead of adding another or failing."""
    engine, seance_ = pg
    with Session(engine, expire_on_commit=False) as db:
        person = factories.participant(db, seance_, "Orchies")
        theme = factories.theme(db, "acc-accueil-public").id
    # The first copy is in flight: its need and its action inserted, not yet committed.
    in_flight = engine.connect()
    transaction = in_flight.begin()
    need_id = in_flight.execute(text(
        "INSERT INTO need (seance_id, theme_id, title, details, source, author_id, hidden, "
        "created_at) VALUES (:s, :t, 'Accueil', '', 'participant', :p, false, now()) RETURNING id"),
        {"s": seance_.id, "t": theme, "p": person.id}).scalar_one()
    in_flight.execute(text(
        "INSERT INTO phoneaction (participant_id, action_id, reply, created_at) "
        "VALUES (:p, 'tap-1', :reply, now())"), {"p": person.id, "reply": f'{{"need_id": {need_id}}}'})
    results = []
    with Session(engine, expire_on_commit=False) as db:
        second = threading.Thread(target=lambda: results.append(board.add_need(
            db, db.get(Seance, seance_.id), theme, "Accueil",
            participant=db.get(Participant, person.id), action=Action(person.id, "tap-1"))))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waits on the first copy's key
        transaction.commit()
        in_flight.close()
        second.join(10)
    [need] = results
    assert need.id == need_id
    with Session(engine) as db:
        assert [n.id for n in db.exec(select(Need)).all()] == [need_id]
