import pytest
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from workshop.models import Event
from workshop.services import events


def test_events_are_appended_with_their_change(db):
    events.record(db, "test.happened", "system", answer=42)
    db.commit()
    [event] = db.exec(select(Event).where(Event.kind == "test.happened")).all()
    assert event.payload == {"answer": 42}
    assert event.at.tzinfo is not None


@pytest.mark.parametrize("statement", ["UPDATE event SET kind = 'forged'", "DELETE FROM event"])
def test_the_database_refuses_to_rewrite_the_log(db, statement):
    events.record(db, "test.happened", "system")
    db.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.connection().exec_driver_sql(statement)
    db.rollback()
    assert db.exec(select(Event.kind).where(Event.kind == "test.happened")).all() == ["test.happened"]
