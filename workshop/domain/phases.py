"""The phases of a séance, in order, and what participants may do in each.

DOMAIN.md, 'The session, phase by phase'. The facilitator may move back and
forth freely; these rules bind the participants (and the proxies the
facilitator enters for them).
"""

from workshop.domain.rules import Refusal

PHASES = ("accueil", "recueil", "regroupement", "vote", "resultats", "plan")

LABELS = {
    "accueil": "Accueil",
    "recueil": "Recueil des besoins",
    "regroupement": "Regroupement",
    "vote": "Vote",
    "resultats": "Résultats",
    "plan": "Plan prospectif",
}

# What a participant may do, phase by phase. Declaring agents stays open until
# the vote closes: people correct their figures while the board settles.
ALLOWED = {
    "add_need": {"recueil"},
    "declare": {"recueil", "regroupement", "vote"},
    "vote": {"vote"},
}


def allows(phase: str, action: str, closed: bool = False) -> Refusal | None:
    if closed:
        return Refusal("seance_close", "La séance est close : elle n'accepte plus de contribution.")
    if phase in ALLOWED[action]:
        return None
    if action == "add_need":
        return Refusal("phase_add_need", "Les besoins s'ajoutent pendant la phase « Recueil des besoins ».")
    if action == "declare":
        return Refusal("phase_declare",
                       "Les effectifs se déclarent pendant le recueil, le regroupement ou le vote.")
    return Refusal("phase_vote", "Le vote n'est pas ouvert.")


UNKNOWN_PHASE = Refusal("phase_inconnue", "Phase inconnue.")


def check_phase(phase: str) -> Refusal | None:
    if phase not in PHASES:
        return UNKNOWN_PHASE
    return None


def next_phase(phase: str) -> str | None:
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def previous_phase(phase: str) -> str | None:
    index = PHASES.index(phase)
    return PHASES[index - 1] if index > 0 else None
