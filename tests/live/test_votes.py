"""The group commit: votes that arrive together are stored together, then acknowledged.

In-process, in the app's own async mode (gevent here): phones are greenlets
handing ballots to the one writer, as the socket handlers do.
"""

import sqlite3

import gevent
import gevent.event
import pytest
from sqlmodel import Session, select

from tests import factories
from workshop import create_app
from workshop.live import votes as votes_module
from workshop.live.votes import NOT_STORED, writer
from workshop.models import Event, Vote
from workshop.services import board


def room(db, facilitator, people: int):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    needs = [factories.need(db, seance, title) for title in ("Accueil", "Paie", "CACES")]
    crowd = [factories.participant(db, seance, name)
             for name in (["Orchies", "Cysoing", "Bachy"] * people)[:people]]
    factories.phase(db, seance, "vote")
    return seance, needs, crowd


def vote_together(ballots):
    """Every ballot handed over at once, each by its own greenlet, as a room's handlers do."""
    go = gevent.event.Event()

    def hand_over(ballot):
        go.wait()
        return writer.submit(ballot)

    greenlets = [gevent.spawn(hand_over, ballot) for ballot in ballots]
    gevent.sleep(0)  # every one waits at the line
    go.set()
    gevent.joinall(greenlets, timeout=30, raise_error=True)
    return [g.value for g in greenlets]


def test_votes_arriving_together_are_stored_by_few_commits_and_all_acknowledged(
        app, db, facilitator):
    seance, needs, crowd = room(db, facilitator, 30)
    batches, ballots = writer.batches, writer.ballots
    results = vote_together([board.Ballot(seance.id, person.id, needs[i % 3].id, 1 + i % 3)
                             for i, person in enumerate(crowd)])
    assert [(r.need_id, r.dots) if isinstance(r, board.VoteResult) else r for r in results] == \
        [(needs[i % 3].id, 1 + i % 3) for i in range(30)]
    assert writer.ballots - ballots == 30
    # They waited for each other's commit.
    assert writer.batches - batches < 30 / 2, (writer.batches - batches)
    stored = sorted((v.participant_id, v.need_id, v.dots) for v in db.exec(select(Vote)))
    assert stored == sorted((p.id, needs[i % 3].id, 1 + i % 3) for i, p in enumerate(crowd))
    assert len(factories.events(db, seance, "vote.set")) == 30


def test_a_participants_ballots_in_one_batch_respect_the_budget(app, db, facilitator):
    seance, needs, crowd = room(db, facilitator, 1)
    [alone] = crowd
    # Three tabs of one phone spend 3 dots on each need at once: 5 dots in all, no more.
    results = vote_together([board.Ballot(seance.id, alone.id, need.id, 3) for need in needs])
    accepted = [r for r in results if not isinstance(r, board.Refusal)]
    assert len(accepted) == 1
    assert {r.code for r in results if isinstance(r, board.Refusal)} == {"budget_epuise"}
    assert sum(v.dots for v in db.exec(select(Vote))) == 3


@pytest.fixture
def impatient_app(db_url, monkeypatch):
    """The app, with a vote writer that gives up waiting for a lock after 0.2 s."""
    monkeypatch.setattr(votes_module, "LOCK_WAIT_S", 0.2)
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret"})
    yield app
    app.extensions["workshop.engine"].dispose()


def test_a_batch_that_cannot_be_stored_is_refused_whole_and_the_next_one_goes(impatient_app):
    engine = impatient_app.extensions["workshop.engine"]
    assert writer.app is impatient_app
    with Session(engine, expire_on_commit=False) as db:
        seance, needs, crowd = room(db, factories.facilitator(db), 6)
    ballots = [board.Ballot(seance.id, person.id, needs[0].id, 1) for person in crowd]
    # Another program holds the base's write lock (a backup, a migration).
    blocker = sqlite3.connect(engine.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        results = vote_together(ballots)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert results == [NOT_STORED] * 6  # each phone is told to try again: no vote half-taken
    assert "réessayez" in NOT_STORED.message
    with Session(engine) as db:
        assert db.exec(select(Vote)).all() == []
        assert db.exec(select(Event).where(Event.kind == "vote.set")).all() == []
    # The writer lives on: the same votes, sent again, are stored.
    assert all(r.dots == 1 for r in vote_together(ballots))
    with Session(engine) as db:
        assert len(db.exec(select(Vote)).all()) == 6
