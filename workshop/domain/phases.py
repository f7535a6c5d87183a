"""The phases of a séance, in order, and what participants may do in each.

DOMAIN.md, 'The session, phase by phase'. The facilitator may move back and
forth freely; these rules bind the participants (and the proxies the
facilitator enters for them).
"""

from workshop.domain.rules import UNKNOWN_PARTICIPANT, Refusal

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


# A proxy enters what a collectivité without phones said (needs, figures) in any phase
# until the séance closes; its dots follow the vote phase like everyone's.
PROXY_ANY_PHASE = frozenset({"add_need", "declare"})


def participant_may(in_seance: bool, is_proxy: bool, phase: str, action: str,
                    closed: bool) -> Refusal | None:
    """Whether a participant may `action` now: in their own séance (`in_seance`), in a phase
    that allows it, the séance open. One rule for every path (the ORM's and the vote's)."""
    if not in_seance:
        return UNKNOWN_PARTICIPANT
    if is_proxy and not closed and action in PROXY_ANY_PHASE:
        return None
    return allows(phase, action, closed)


UNKNOWN_PHASE = Refusal("phase_inconnue", "Phase inconnue.")


def check_phase(phase: str) -> Refusal | None:
    if phase not in PHASES:
        return UNKNOWN_PHASE
    return None

