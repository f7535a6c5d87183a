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


# --- The live board (through the services, as phones and the facilitator do) ---


def collectivite_id(db, seance_, name_or_id) -> int:
    """A collectivité of the séance's perimeter, by id or by exact name."""
    from workshop.services import perimetres as _perimetres

    members = _perimetres.members(db, seance_.perimetre_id)
    if isinstance(name_or_id, int):
        assert name_or_id in {m.id for m in members}, name_or_id
        return name_or_id
    [found] = [m.id for m in members if m.name == name_or_id]
    return found


def outsider_id(db, name="Lille") -> int:
    """A collectivité of the reference data outside the Pévèle perimeter."""
    from sqlmodel import select

    from workshop.models import Collectivite

    return db.exec(select(Collectivite.id).where(Collectivite.name == name,
                                                 Collectivite.kind == "commune")).one()


def participant(db, seance_, collectivite="Orchies", role="elu"):
    from workshop.services import participants as _participants

    return ok(_participants.join(db, seance_, collectivite_id(db, seance_, collectivite), role))


def proxy(db, seance_, collectivite="Orchies"):
    from workshop.services import participants as _participants

    return ok(_participants.proxy(db, seance_, collectivite_id(db, seance_, collectivite),
                                  seance_.owner_id))


def theme(db, code="mgt-encadrement-proximite"):
    from sqlmodel import select

    from workshop.models import Theme

    return db.exec(select(Theme).where(Theme.code == code)).one()


def need(db, seance_, title="Accueil des usagers difficiles", theme_code="acc-accueil-public",
         by=None, details=""):
    """A need added by a participant (`by`) or, without one, by the séance's facilitator."""
    from workshop.services import board as _board

    theme_id = theme(db, theme_code).id
    if by is None:
        return ok(_board.add_need(db, seance_, theme_id, title, details,
                                  facilitator_id=seance_.owner_id, source="facilitator"))
    return ok(_board.add_need(db, seance_, theme_id, title, details, participant=by))


def phase(db, seance_, name):
    return ok(seances.set_phase(db, seance_, name, seance_.owner_id))


def events(db, seance_, kind=None):
    """The séance's event log, oldest first (only `kind` when given)."""
    from sqlmodel import select

    from workshop.models import Event

    query = select(Event).where(Event.seance_id == seance_.id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list(db.exec(query.order_by(Event.id)))


def populated_seance(db, owner, people=12, needs=8, seed=7, **settings):
    """A séance the way a room leaves it: people of several collectivités, needs, agents, dots.

    Built through the services (join, add_need, declare, vote), with a fixed seed.
    """
    import random

    from workshop.services import board as _board
    from workshop.services import perimetres as _perimetres

    rng = random.Random(seed)
    seance_ = seance(db, owner, perimetre(db, owner), **settings)
    members = _perimetres.members(db, seance_.perimetre_id)
    phase(db, seance_, "recueil")
    codes = ["mgt-encadrement-proximite", "hs-caces", "fin-budget-m57", "acc-accueil-public",
             "hs-sst", "num-bureautique", "rh-rps", "ev-gestion-differenciee"]
    persons = [participant(db, seance_, members[i % len(members)].id,
                           ["elu", "dgs", "secretaire", "rh", "agent"][i % 5]) for i in range(people)]
    made = [need(db, seance_, f"Besoin n°{i + 1} : {codes[i % len(codes)]}", codes[i % len(codes)],
                 by=persons[i % people]) for i in range(needs)]
    for person in persons:
        for n in rng.sample(made, k=min(3, len(made))):
            ok(_board.declare(db, seance_, person, n.id, seance_.horizon_start + rng.randint(0, 1),
                              rng.randint(2, 9)))
    phase(db, seance_, "vote")
    for person in persons:
        left = seance_.dot_budget
        for n in rng.sample(made, k=min(3, len(made))):
            dots = min(rng.randint(1, seance_.max_dots_per_need), left)
            if dots:
                ok(_board.vote(db, seance_, person, n.id, dots))
                left -= dots
    return seance_


def pooling_pair(db, owner, ours=9, theirs=7, year=2028, theme_code="acc-accueil-public"):
    """Two séances of two perimeters (Pévèle: Orchies; CC Flandre Lys: Merville), each with one
    need of the same theme below its threshold for `year`: (here, other, (our need, their need))."""
    from workshop.services import board as _board

    here = seance(db, owner, perimetre(db, owner), title="Pévèle 2027")
    other = seance(db, owner, perimetre(db, owner, (FLANDRE_LYS,), name="CC Flandre Lys"),
                   title="Flandre Lys 2027")
    needs = []
    for seance_, name, agents in ((here, "Orchies", ours), (other, "Merville", theirs)):
        phase(db, seance_, "recueil")
        need_ = need(db, seance_, "Accueil du public", theme_code)
        ok(_board.declare(db, seance_, participant(db, seance_, name), need_.id, year, agents))
        needs.append(need_)
    return here, other, tuple(needs)
