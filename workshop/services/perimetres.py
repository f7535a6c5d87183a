"""Perimeters: build one from EPCI, add and remove collectivités, name the coordinator."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from workshop.domain import rules
from workshop.domain.rules import Refusal
from workshop.domain.text import search_key, search_terms
from workshop.models import Collectivite, EpciMember, Perimetre, PerimetreMember
from workshop.services import events

UNKNOWN_COLLECTIVITE = Refusal("collectivite_inconnue", "Collectivité inconnue.")


@dataclass
class EpciChoice:
    epci: Collectivite
    communes: int


def epci_choices(db: Session) -> list[EpciChoice]:
    rows = db.exec(
        select(Collectivite, func.count(EpciMember.commune_id))
        .join(EpciMember, EpciMember.epci_id == Collectivite.id)
        .where(Collectivite.kind == "epci")
        .group_by(Collectivite.id)
    ).all()
    choices = [EpciChoice(epci, count) for epci, count in rows]
    return sorted(choices, key=lambda c: (c.epci.departement or "99", c.epci.search_key))


def owned(db: Session, owner_id: int) -> list[Perimetre]:
    return list(db.exec(select(Perimetre).where(Perimetre.owner_id == owner_id)
                        .order_by(Perimetre.created_at.desc())))


def get_owned(db: Session, perimetre_id: int, owner_id: int) -> Perimetre | None:
    perimetre = db.get(Perimetre, perimetre_id)
    return perimetre if perimetre and perimetre.owner_id == owner_id else None


def members(db: Session, perimetre_id: int) -> list[Collectivite]:
    rows = db.exec(
        select(Collectivite)
        .join(PerimetreMember, PerimetreMember.collectivite_id == Collectivite.id)
        .where(PerimetreMember.perimetre_id == perimetre_id)
    ).all()
    kind_order = {"epci": 0, "commune": 1}
    return sorted(rows, key=lambda c: (kind_order.get(c.kind, 2), c.search_key))


def member_ids(db: Session, perimetre_id: int) -> set[int]:
    return set(db.exec(select(PerimetreMember.collectivite_id)
                       .where(PerimetreMember.perimetre_id == perimetre_id)))


def member_counts(db: Session, perimetre_ids: list[int]) -> dict[int, int]:
    rows = db.exec(select(PerimetreMember.perimetre_id, func.count())
                   .where(PerimetreMember.perimetre_id.in_(perimetre_ids))
                   .group_by(PerimetreMember.perimetre_id)).all()
    return dict(rows)


def _epci_by_code(db: Session, code: str) -> Collectivite | None:
    return db.exec(select(Collectivite).where(Collectivite.code == code,
                                              Collectivite.kind == "epci")).first()


def _epci_with_communes(db: Session, epci: Collectivite) -> list[int]:
    communes = db.exec(select(EpciMember.commune_id).where(EpciMember.epci_id == epci.id)).all()
    return [epci.id, *communes]


def create(db: Session, owner_id: int, name: str, epci_codes: list[str]) -> Perimetre | Refusal:
    """A perimeter from one or more EPCI: each EPCI and all its communes become members."""
    codes = list(dict.fromkeys(c.strip() for c in epci_codes if c.strip()))
    if not codes:
        return Refusal("perimetre_vide", "Choisissez au moins une intercommunalité.", "epci_codes")
    epcis = []
    for code in codes:
        epci = _epci_by_code(db, code)
        if epci is None:
            return Refusal("epci_inconnu", "Intercommunalité inconnue : %(code)s.", "epci_codes",
                           code=code)
        epcis.append(epci)
    ids = list(dict.fromkeys(i for epci in epcis for i in _epci_with_communes(db, epci)))
    perimetre = Perimetre(name=name.strip(), owner_id=owner_id,
                          # One EPCI: it is the natural coordinator; else the facilitator names one.
                          coordinator_id=epcis[0].id if len(epcis) == 1 else None)
    db.add(perimetre)
    db.flush()
    db.add_all(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=i) for i in ids)
    events.record(db, "perimetre.created", events.facilitator_actor(owner_id),
                  perimetre_id=perimetre.id, name=perimetre.name, epci=codes, members=len(ids))
    db.commit()
    return perimetre


def add_epci(db: Session, perimetre: Perimetre, epci_code: str, actor_id: int) -> int | Refusal:
    """Add an EPCI and those of its communes not yet in; returns how many were added."""
    epci = _epci_by_code(db, epci_code)
    if epci is None:
        return Refusal("epci_inconnu", "Intercommunalité inconnue : %(code)s.", "epci_code",
                       code=epci_code)
    present = member_ids(db, perimetre.id)
    new = [i for i in _epci_with_communes(db, epci) if i not in present]
    if not new:
        return Refusal("collectivite_en_double",
                       "%(name)s et toutes ses communes font déjà partie du périmètre.", name=epci.name)
    db.add_all(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=i) for i in new)
    events.record(db, "perimetre.epci_added", events.facilitator_actor(actor_id),
                  perimetre_id=perimetre.id, epci=epci_code, added=len(new))
    db.commit()
    return len(new)


def usable_by(collectivite: Collectivite, owner_id: int) -> bool:
    """Reference collectivités (with an INSEE or SIREN code) are everyone's; one added by hand
    belongs to the account that added it (its name is that account's data)."""
    return collectivite.code is not None or collectivite.created_by_id == owner_id


def add_member(db: Session, perimetre: Perimetre, collectivite_id: int,
               actor_id: int) -> Collectivite | Refusal:
    collectivite = db.get(Collectivite, collectivite_id)
    if collectivite is None or not usable_by(collectivite, perimetre.owner_id):
        return UNKNOWN_COLLECTIVITE
    refusal = rules.not_already_member(collectivite.name, collectivite.id,
                                       member_ids(db, perimetre.id))
    if refusal:
        return refusal
    db.add(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=collectivite.id))
    events.record(db, "perimetre.member_added", events.facilitator_actor(actor_id),
                  perimetre_id=perimetre.id, collectivite_id=collectivite.id)
    db.commit()
    return collectivite


def add_by_hand(db: Session, perimetre: Perimetre, name: str, kind: str,
                actor_id: int) -> Collectivite | Refusal:
    """A collectivité the reference data does not hold (a CCAS, a syndicat)."""
    refusal = rules.unique_name_in_perimeter(name, [c.name for c in members(db, perimetre.id)])
    if refusal:
        return refusal
    collectivite = Collectivite(name=name.strip(), kind=kind, created_by_id=actor_id,
                                search_key=search_key(name))
    db.add(collectivite)
    db.flush()
    db.add(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=collectivite.id))
    events.record(db, "perimetre.member_created", events.facilitator_actor(actor_id),
                  perimetre_id=perimetre.id, collectivite_id=collectivite.id,
                  name=collectivite.name, collectivite_kind=kind)
    db.commit()
    return collectivite


def remove_member(db: Session, perimetre: Perimetre, collectivite_id: int,
                  actor_id: int) -> Collectivite | Refusal:
    membership = db.get(PerimetreMember, (perimetre.id, collectivite_id))
    if membership is None:
        return Refusal("collectivite_absente", "Cette collectivité ne fait pas partie du périmètre.")
    refusal = rules.removable_member(collectivite_id, perimetre.coordinator_id,
                                     len(member_ids(db, perimetre.id)))
    if refusal:
        return refusal
    db.delete(membership)
    events.record(db, "perimetre.member_removed", events.facilitator_actor(actor_id),
                  perimetre_id=perimetre.id, collectivite_id=collectivite_id)
    db.commit()
    return db.get(Collectivite, collectivite_id)


def set_coordinator(db: Session, perimetre: Perimetre, collectivite_id: int,
                    actor_id: int) -> Collectivite | Refusal:
    refusal = rules.coordinator_in_perimeter(collectivite_id, member_ids(db, perimetre.id))
    if refusal:
        return refusal
    perimetre.coordinator_id = collectivite_id
    db.add(perimetre)
    events.record(db, "perimetre.coordinator_set", events.facilitator_actor(actor_id),
                  perimetre_id=perimetre.id, collectivite_id=collectivite_id)
    db.commit()
    return db.get(Collectivite, collectivite_id)


def search_outside(db: Session, perimetre_id: int, query: str, limit: int = 12) -> list[Collectivite]:
    """Communes and EPCI matching a name or postcode that are not members yet."""
    terms = search_terms(query)
    if not terms or len("".join(terms)) < 2:
        return []
    statement = select(Collectivite).where(
        Collectivite.code.is_not(None),
        Collectivite.id.not_in(select(PerimetreMember.collectivite_id)
                               .where(PerimetreMember.perimetre_id == perimetre_id)),
    )
    for term in terms:
        statement = statement.where(Collectivite.search_key.contains(term))
    rows = db.exec(statement.limit(200)).all()
    # Names that start with the query first, then shortest: 'Lille' before 'Villeneuve'.
    first = terms[0]
    rows.sort(key=lambda c: (not c.search_key.startswith(first), len(c.name), c.search_key))
    return rows[:limit]
