"""Build real objects through the services users go through."""

from datetime import date
from itertools import count

from workshop.domain.rules import Refusal
from workshop.schemas import SeanceCreate
from workshop.services import facilitators, perimetres, seances

PASSWORD = "mot-de-passe-solide"
PEVELE = "200041960"  # CC Pévèle-Carembault, 38 communes
FLANDRE_LYS = "245900758"  # straddles the Nord and the Pas-de-Calais
_numbers = count(1)


def ok(result):
    assert not isinstance(result, Refusal), result
    return result


def facilitator(db, email: str | None = None):
    email = email or f"animateur{next(_numbers)}@example.fr"
    return ok(facilitators.add(db, email, "Camille Animatrice", PASSWORD))


def perimetre(db, owner, epci_codes=(PEVELE,), name="Pévèle"):
    return ok(perimetres.create(db, owner.id, name, list(epci_codes)))


def seance(db, owner, perimetre_, **overrides):
    values = dict(perimetre_id=perimetre_.id, title="Séance test", held_on=date(2026, 12, 1),
                  horizon_start=2027, horizon_years=3, dot_budget=5, max_dots_per_need=3)
    return ok(seances.create(db, owner.id, SeanceCreate(**{**values, **overrides})))
