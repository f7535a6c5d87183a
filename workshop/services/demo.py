"""The demo: a real EPCI of the Nord, its perimeter and a séance, ready at the first command.

Built through the same services a facilitator uses; running it twice changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from workshop.domain.rules import Refusal
from workshop.models import Facilitator, Need, Perimetre, Seance, Theme
from workshop.schemas import SeanceCreate, SeanceSettings
from workshop.services import board, facilitators, participants, perimetres, seances

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
    screen_token: str


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
        _live_board(db, seance, facilitator.id)
    return DemoInfo(EMAIL, PASSWORD, seance.id, seance.join_code, seance.screen_token)


# (commune, role, [(theme code, title, agents, year offset, dots)])
ROOM = [
    ("Templeuve-en-Pévèle", "dgs", [
        ("acc-accueil-public", "Accueil des publics en situation difficile", 7, 0, 3),
        ("num-cybersecurite-rgpd", "Cybersécurité et RGPD au quotidien", 4, 1, 2)]),
    ("Orchies", "rh", [
        ("hs-caces", "CACES R486 nacelles pour les services techniques", 6, 0, 2),
        ("acc-accueil-public", None, 6, 0, 3)]),
    ("Cysoing", "elu", [
        ("fin-budget-m57", "Passage à la nomenclature M57", 6, 0, 2),
        ("hs-caces", None, 6, 0, 1),
        ("acc-accueil-public", None, 4, 1, 2)]),
    ("Phalempin", "secretaire", [
        ("ev-gestion-differenciee", "Gestion différenciée des espaces verts", 4, 1, 3),
        ("fin-budget-m57", None, 5, 0, 2)]),
    ("Mons-en-Pévèle", "secretaire", [
        ("jur-etat-civil", "État civil : actualités et cas pratiques", 2, 0, 3),
        ("fin-budget-m57", None, 4, 1, 2)]),
    ("CC Pévèle-Carembault", "rh", [
        ("hs-sst", "Sauveteur secouriste du travail (SST)", 12, 0, 2),
        ("mgt-entretien-professionnel", "Conduire l'entretien professionnel", 16, 0, 3)]),
]


def _live_board(db: Session, seance: Seance, facilitator_id: int) -> None:
    """People of six collectivités, their needs and agents, and the vote under way."""
    members = {c.name: c for c in perimetres.members(db, seance.perimetre_id)}
    themes = {t.code: t for t in db.exec(select(Theme))}
    needs: dict[str, Need] = {}
    seances.set_phase(db, seance, "recueil", facilitator_id)
    people = []
    for name, role, wishes in ROOM:
        person = _ok(participants.join(db, seance, members[name].id, role))
        people.append((person, wishes))
        for code, title, agents, offset, _dots in wishes:
            if title:
                needs[code] = _ok(board.add_need(db, seance, themes[code].id, title,
                                                 participant=person))
            _ok(board.declare(db, seance, person, needs[code].id,
                              seance.horizon_start + offset, agents))
    seances.set_phase(db, seance, "vote", facilitator_id)
    for person, wishes in people:
        for code, _title, _agents, _offset, dots in wishes:
            _ok(board.vote(db, seance, person, needs[code].id, dots))
    seances.update_settings(db, seance, SeanceSettings(
        dot_budget=seance.dot_budget, max_dots_per_need=seance.max_dots_per_need,
        weighting=seance.weighting, tallies_visible=True), facilitator_id)


def _ok(result):
    if isinstance(result, Refusal):
        raise RuntimeError(f"demo: {result.message}")
    return result
