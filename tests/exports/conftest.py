import pytest

from tests import factories
from workshop.services import summary


@pytest.fixture
def seance(db, facilitator):
    return factories.populated_seance(db, facilitator)


@pytest.fixture
def gathered(db, seance):
    return summary.gather(db, seance)
