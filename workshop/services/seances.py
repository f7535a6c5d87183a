"""Séances: creation and listing (the live part comes with the live session)."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import codes, rules
from workshop.domain.rules import Refusal
from workshop.models import Participant, Perimetre, Seance
from workshop.schemas import SeanceCreate
from workshop.services import events, perimetres


@dataclass
class SeanceRow:
    seance: Seance
    perimetre: Perimetre
    participants: int


def create(db: Session, owner_id: int, data: SeanceCreate) -> Seance | Refusal:
    perimetre = perimetres.get_owned(db, data.perimetre_id, owner_id)
    if perimetre is None:
        return Refusal("perimetre_inconnu", "Choisissez un de vos périmètres.", "perimetre_id")
    refusal = (rules.non_empty_perimeter(len(perimetres.member_ids(db, perimetre.id)))
               or rules.dot_settings(data.dot_budget, data.max_dots_per_need))
    if refusal:
        return refusal
    for _attempt in range(5):  # a join code collision is rare; draw again
        seance = Seance(owner_id=owner_id, join_code=codes.new_join_code(),
                        screen_token=codes.new_secret(), **data.model_dump())
        db.add(seance)
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            continue
        events.record(db, "seance.created", events.facilitator_actor(owner_id),
                      seance_id=seance.id, perimetre_id=perimetre.id, title=seance.title)
        db.commit()
        return seance
    return Refusal("code_indisponible", "Aucun code libre n'a été trouvé : réessayez.")


def owned(db: Session, owner_id: int) -> list[SeanceRow]:
    counts = dict(db.exec(
        select(Participant.seance_id, func.count()).join(Seance)
        .where(Seance.owner_id == owner_id).group_by(Participant.seance_id)).all())
    rows = db.exec(select(Seance, Perimetre).join(Perimetre)
                   .where(Seance.owner_id == owner_id)
                   .order_by(Seance.held_on.desc(), Seance.id.desc())).all()
    return [SeanceRow(s, p, counts.get(s.id, 0)) for s, p in rows]


def get_owned(db: Session, seance_id: int, owner_id: int) -> Seance | None:
    seance = db.get(Seance, seance_id)
    return seance if seance and seance.owner_id == owner_id else None
