"""The demo: a real EPCI of the Nord, its perimeter and a séance, ready at the first command.

Built through the same services a facilitator uses; running it twice changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from workshop.domain import codes
from workshop.domain.rules import Refusal
from workshop.models import Facilitator, Perimetre, Seance
from workshop.schemas import SeanceCreate
from workshop.services import facilitators, perimetres, seances

EMAIL = "demo@atelier.test"
PASSWORD = "demo-atelier"
EPCI_CODE = "200041960"  # CC Pévèle-Carembault: 38 communes south of Lille
PERIMETRE_NAME = "Pévèle-Carembault"


@dataclass
class DemoInfo:
    email: str
    password: str
    seance_id: int
    join_code: str


def ensure(db: Session) -> DemoInfo:
    facilitator = db.exec(select(Facilitator).where(Facilitator.email == EMAIL)).first()
    if facilitator is None:
        facilitator = _ok(facilitators.add(db, EMAIL, "Animatrice de démonstration", PASSWORD))

    perimetre = db.exec(select(Perimetre).where(Perimetre.owner_id == facilitator.id,
                                                Perimetre.name == PERIMETRE_NAME)).first()
    if perimetre is None:
        perimetre = _ok(perimetres.create(db, facilitator.id, PERIMETRE_NAME, [EPCI_CODE]))

    seance = db.exec(select(Seance).where(Seance.perimetre_id == perimetre.id)).first()
    if seance is None:
        today = date.today()
        first = today.year + 1
        title = f"Co-conception du plan de formation {first}-{first + 2}"
        seance = _ok(seances.create(db, facilitator.id, SeanceCreate(
            perimetre_id=perimetre.id, title=title, held_on=today,
            horizon_start=today.year + 1, horizon_years=3, dot_budget=5,
            max_dots_per_need=3, weighting="collectivite")))
    return DemoInfo(EMAIL, PASSWORD, seance.id, codes.display(seance.join_code))


def _ok(result):
    if isinstance(result, Refusal):
        raise RuntimeError(f"demo: {result.message}")
    return result
