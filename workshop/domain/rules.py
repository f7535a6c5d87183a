"""Refusals are values: a rule returns None when it holds, or a Refusal.

The message is a French msgid with its params (workshop.domain.messages), ready
for the facilitator or the phone in their language (workshop.i18n.say);
`.message` is the French text. The code is stable, for tests, logs and the
socket protocol.
"""

from collections.abc import Collection
from dataclasses import dataclass

from workshop.domain.limits import MAX_AGENTS
from workshop.domain.messages import Message, Text, nmsg
from workshop.domain.text import normalise


@dataclass(frozen=True, init=False)
class Refusal:
    code: str
    why: Text  # what to tell, translatable
    field: str | None = None

    def __init__(self, code: str, text: str | Text, /, field: str | None = None, **params) -> None:
        """`text` is a literal French msgid with `%(name)s` params, or a Text built by msg/nmsg."""
        if isinstance(text, str):
            text = Message(text, params)
        elif params:
            raise TypeError("params go with a msgid, not with a Text already built")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "why", text)
        object.__setattr__(self, "field", field)

    @property
    def message(self) -> str:
        """In French, the source language: for logs and the command line."""
        return str(self.why)

    def __bool__(self) -> bool:  # a refusal is always truthy, even without a message
        return True


# Refusals said in several places, written once.
UNKNOWN_PARTICIPANT = Refusal("participant_inconnu", "Rejoignez d'abord la séance avec son code.")
UNKNOWN_NEED = Refusal("besoin_inconnu", "Besoin inconnu.")
UNKNOWN_THEME = Refusal("theme_inconnu", "Choisissez un thème du catalogue.", "theme_id")
EMPTY_TITLE = Refusal("titre_vide", "Donnez un titre au besoin.", "title")
COORDINATOR_OUTSIDE = Refusal("coordinatrice_hors_perimetre",
                              "La collectivité coordinatrice doit faire partie du périmètre.",
                              "coordinator_id")


def non_empty_perimeter(member_count: int) -> Refusal | None:
    if member_count < 1:
        return Refusal("perimetre_vide", "Un périmètre doit compter au moins une collectivité.")
    return None


def coordinator_in_perimeter(coordinator_id: int | None, member_ids: Collection[int]) -> Refusal | None:
    if coordinator_id is not None and coordinator_id not in member_ids:
        return COORDINATOR_OUTSIDE
    return None


def not_already_member(name: str, collectivite_id: int, member_ids: Collection[int]) -> Refusal | None:
    if collectivite_id in member_ids:
        return Refusal("collectivite_en_double", "%(name)s fait déjà partie du périmètre.", name=name)
    return None


def unique_name_in_perimeter(name: str, member_names: Collection[str]) -> Refusal | None:
    """A collectivité added by hand must not repeat a member's name (accents and case aside)."""
    key = normalise(name)
    if any(normalise(other) == key for other in member_names):
        return Refusal(
            "collectivite_en_double",
            "Une collectivité nommée « %(name)s » fait déjà partie du périmètre.",
            "name",
            name=name.strip(),
        )
    return None


def removable_member(
    collectivite_id: int, coordinator_id: int | None, member_count: int
) -> Refusal | None:
    if collectivite_id == coordinator_id:
        return Refusal(
            "retrait_coordinatrice",
            "C'est la collectivité coordinatrice : désignez-en d'abord une autre.",
        )
    if member_count <= 1:
        return non_empty_perimeter(0)
    return None


def dot_settings(dot_budget: int, max_dots_per_need: int) -> Refusal | None:
    if max_dots_per_need > dot_budget:
        return Refusal(
            "gommettes_incoherentes",
            "Le nombre maximal de gommettes par besoin ne peut pas dépasser le budget.",
            "max_dots_per_need",
        )
    return None


def dots_left(budget: int, spent: int) -> int:
    """Dots a participant may still place: the budget less what they spent on visible needs,
    never below 0 (the facilitator may cut a budget below what was already spent)."""
    return max(budget - spent, 0)




def vote(
    allocation: dict[int, int], need_id: int, dots: int, budget: int, max_per_need: int
) -> Refusal | None:
    """Set one participant's dots on one need to `dots`, within the budget and the cap.

    `allocation` is the participant's current dots per need. Dots above the cap or
    the budget cannot be stored any more (merges, shows and setting changes give back
    what no longer fits: `domain.merging.fit`); were some found, they could be kept or
    lowered, never raised.
    """
    current = allocation.get(need_id, 0)
    if dots < 0:
        return Refusal("gommettes_negatives", "Le nombre de gommettes ne peut pas être négatif.")
    if dots > max_per_need and dots > current:
        return Refusal("gommettes_max_besoin", nmsg("Au plus %(n)s gommette sur un même besoin.",
                                                    "Au plus %(n)s gommettes sur un même besoin.",
                                                    max_per_need))
    spent_elsewhere = sum(allocation.values()) - current
    if spent_elsewhere + dots > budget and dots > current:
        left = max(budget - spent_elsewhere - current, 0)
        return Refusal("budget_epuise", nmsg("Budget dépassé : il vous reste %(n)s gommette.",
                                             "Budget dépassé : il vous reste %(n)s gommettes.", left))
    return None


def demand(agents: int, year: int, horizon: range) -> Refusal | None:
    if agents < 0:
        return Refusal("effectif_negatif", "Le nombre d'agents ne peut pas être négatif.", "agents")
    if agents > MAX_AGENTS:
        return Refusal("effectif_trop_grand", "Au plus %(max)s agents par besoin.", "agents",
                       max=MAX_AGENTS)
    if year not in horizon:
        return Refusal(
            "annee_hors_horizon",
            "Choisissez une année entre %(first)s et %(last)s.",
            "year",
            first=horizon.start,
            last=horizon.stop - 1,
        )
    return None


def mergeable(target_id: int, source_id: int, target_merged: bool, source_merged: bool,
              same_seance: bool) -> Refusal | None:
    if target_id == source_id:
        return Refusal("fusion_identique", "Choisissez deux besoins différents à regrouper.")
    if not same_seance:
        return UNKNOWN_NEED
    if target_merged or source_merged:
        return Refusal("deja_regroupe", "Ce besoin a déjà été regroupé avec un autre.")
    return None


def open_need(in_seance: bool, merged: bool, hidden: bool) -> Refusal | None:
    """A need takes agents and dots only while it is on the board of the séance."""
    if not in_seance:
        return Refusal("besoin_inconnu", "Ce besoin n'existe pas dans cette séance.")
    if merged:
        return Refusal("besoin_regroupe", "Ce besoin a été regroupé avec un autre : "
                                          "votez et déclarez sur le besoin regroupé.")
    if hidden:
        return Refusal("besoin_masque", "Ce besoin a été retiré du tableau par l'animateur.")
    return None
