"""Services say what changed after their commit, and only then (services/changes.py)."""

import pytest
from sqlmodel import Session, select

from tests import factories
from workshop.models import Event
from workshop.services import board, changes, plan, seances
from workshop.services.changes import Change


@pytest.fixture
def heard(db):
    """Every change published, with what the base held when it was told."""
    told: list[tuple[Change, list[str]]] = []
    engine = db.get_bind()

    def listener(change: Change) -> None:
        with Session(engine) as other:  # another connection sees only what is committed
            told.append((change, [e.kind for e in other.exec(select(Event).order_by(Event.id))]))

    changes.subscribe(listener)
    yield told
    changes._listeners.remove(listener)


@pytest.fixture
def seance(db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    return seance


def test_a_change_is_told_after_its_commit_with_its_event_kind(db, seance, heard):
    orchies = factories.participant(db, seance, "Orchies")
    need = factories.need(db, seance, "Budget M57", "fin-budget-m57", by=orchies)
    board.declare(db, seance, orchies, need.id, 2027, 4)
    seances.set_phase(db, seance, "vote", seance.owner_id)
    board.vote(db, seance, orchies, need.id, 2)
    kinds = [(c.kind, c.need_ids) for c, _ in heard]
    assert kinds[-4:] == [("need.added", (need.id,)), ("demand.declared", (need.id,)),
                          ("seance.phase", ()), ("vote.set", (need.id,))]
    for change, stored in heard:
        assert stored[-1] == change.kind  # its event row was committed before anyone heard
    assert heard[-3][0].collectivite_id == orchies.collectivite_id


def test_a_refusal_tells_nobody(db, seance, heard):
    orchies = factories.participant(db, seance, "Orchies")
    need = factories.need(db, seance, "Budget M57", "fin-budget-m57", by=orchies)
    before = len(heard)
    assert board.vote(db, seance, orchies, need.id, 2).code == "phase_vote"
    assert board.declare(db, seance, orchies, need.id, 1999, 4).code == "annee_hors_horizon"
    assert len(heard) == before


def test_a_merge_and_a_pin_pass_along_what_they_built(db, seance, heard):
    orchies = factories.participant(db, seance, "Orchies")
    a = factories.need(db, seance, "Budget M57", "fin-budget-m57", by=orchies)
    b = factories.need(db, seance, "M57 budget", "fin-budget-m57", by=orchies)
    board.declare(db, seance, orchies, a.id, seance.horizon_start, 20)
    result = board.merge(db, seance, a.id, b.id, seance.owner_id)
    change = heard[-1][0]
    assert (change.kind, change.need_ids) == ("need.merged", (b.id, a.id))
    assert change.built is result.board and [v.need.id for v in result.board.needs] == [a.id]
    key = plan.build(db, seance)[0].lines[0].key
    draft = plan.pin(db, seance, key, seance.horizon_start + 1, seance.owner_id)
    change = heard[-1][0]
    assert change.kind == "plan.pinned" and change.built is draft
    assert {ln.key: ln.year for ln in draft.plan.lines}[key] == seance.horizon_start + 1


def test_a_failing_listener_does_not_undo_the_change(db, seance, heard):
    def broken(_change):
        raise RuntimeError("a render failed")

    changes.subscribe(broken)
    try:
        seances.set_timer(db, seance, 5, seance.owner_id)
    finally:
        changes._listeners.remove(broken)
    assert heard[-1][0].kind == "seance.timer"
    assert db.get(type(seance), seance.id).timer_ends_at is not None
