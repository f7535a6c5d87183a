"""Input models: what a form or a socket payload may set, and nothing more.

`check()` turns raw input into a model, or into messages per field (values,
said in no language yet): the same function checks forms and socket payloads.
The entry points translate them where they answer (`i18n.parse`).
"""

import json
from datetime import date
from typing import Annotated, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from workshop.domain.limits import (  # the byte limits are re-exported for the entry points
    ACTION_ID_MAX,
    CAPACITY_MAX,
    COST_PER_DAY_MAX,
    DETAILS_MAX,
    DOTS_MAX,
    FORM_MAX,  # noqa: F401
    HORIZON_YEARS_MAX,
    ID_MAX,
    JSON_DEPTH_MAX,
    MAX_AGENTS,
    MERGE_PICK_MAX,
    PLAN_FILE_MAX,  # noqa: F401
    POOL_YEARS_MAX,
    SEANCE_FILE_MAX,  # noqa: F401
    TIMER_MINUTES_MAX,
    TITLE_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from workshop.domain.messages import Message, msg
from workshop.domain.phases import PHASES
from workshop.domain.rules import Refusal
from workshop.domain.text import visible


def _visible(value: str) -> str:
    """A name or a title without the invisible characters around it (`text.visible`),
    refused as missing when nothing visible is left. A NUL is left for `Input._no_nul` to
    refuse (it is refused at every door, never trimmed away)."""
    if "\x00" in value:
        return value
    trimmed = visible(value)
    if not trimmed:
        raise PydanticCustomError("string_too_short", "empty")
    return trimmed


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
                 AfterValidator(_visible)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Dots = Annotated[int, Field(ge=1, le=DOTS_MAX)]
# A phone action's id, made by the phone (live.js): the same id twice takes effect once
# (services.actions). Optional: a script that sends none gets no such memory.
ActionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", min_length=1,
                                            max_length=ACTION_ID_MAX)] | None

def too_large(max_bytes: int) -> Refusal:
    """The refusal of a file over its limit, saying the limit (in whole Mo)."""
    return Refusal("fichier_trop_gros", "Fichier trop volumineux (%(mb)s Mo au plus).",
                   mb=max_bytes // (1024 * 1024))


def has_nul(value) -> bool:
    """True if a string anywhere in `value` (str, list, dict, nested) holds a NUL character,
    which PostgreSQL's text cannot store. Iterative: safe on any nesting."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _too_deep(value, limit: int) -> bool:
    """True if lists and dicts nest deeper than `limit` (iterative: safe on any nesting)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict)
                                                          else item))
    return False


def load_json(raw: bytes | str):
    """The decoded JSON, or `load_json.INVALID` when it is not UTF-8 JSON or nests deeper
    than JSON_DEPTH_MAX (validators and templates recurse: deeper would crash them; deeper
    than Python's recursion limit, the parser itself refuses)."""
    try:
        data = json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return load_json.INVALID
    return load_json.INVALID if _too_deep(data, JSON_DEPTH_MAX) else data


load_json.INVALID = object()


def form_id(value) -> int | None:
    """A form field meant as an id (an <option value>): the integer, or None when it is not
    plain ASCII digits in the ids' range ('²' and '٣' are digits to Python, not to us)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
        return number if 1 <= number <= ID_MAX else None
    return None


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    # Messages for one field and error type, where the generic one says too little.
    messages: ClassVar[dict[tuple[str, str], Message]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value, info: ValidationInfo):
        """`true` is not 1: a JSON boolean where a number is asked is refused (pydantic's lax
        mode would read it as 1 or 0: a vote of `{"dots": true}` placed a dot)."""
        if isinstance(value, bool) and _is_number(cls.model_fields[info.field_name].annotation):
            raise PydanticCustomError("int_type", "number")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        """No NUL in any text: PostgreSQL cannot store it (a socket payload reaches here
        without the HTTP boundary of web/guards.py)."""
        if has_nul(value):
            raise ValueError("nul")
        return value


def _is_number(annotation) -> bool:
    """Whether a field asks for a whole number (`int`, `int | None`), not a boolean."""
    kinds = (annotation, *getattr(annotation, "__args__", ()))
    return int in kinds and bool not in kinds


class Login(Input):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254)]
    password: Annotated[str, StringConstraints(max_length=1000)]


class PerimetreCreate(Input):
    name: Text
    epci_codes: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        min_length=1, max_length=50)
    messages = {("epci_codes", "too_short"): msg("Choisissez au moins une intercommunalité.")}


class HandCollectivite(Input):
    name: Text
    kind: Literal["ccas", "syndicat", "autre"]


class MemberRef(Input):
    collectivite_id: int = Field(ge=1, le=ID_MAX)


class EpciRef(Input):
    epci_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class SeanceCreate(Input):
    perimetre_id: int = Field(ge=1, le=ID_MAX)
    title: Text
    held_on: date
    horizon_start: Year
    horizon_years: int = Field(ge=1, le=HORIZON_YEARS_MAX)
    dot_budget: Dots
    max_dots_per_need: Dots
    weighting: Literal["participant", "collectivite"] = "participant"


class SeanceSettings(Input):
    """Vote settings; a field left out (None) is left as it is."""
    dot_budget: Dots | None = None
    max_dots_per_need: Dots | None = None
    weighting: Literal["participant", "collectivite"] | None = None
    tallies_visible: bool | None = None


class Revision(Input):
    """The séance's revision a facilitator's form was rendered at (services.seances.STALE)."""
    revision: int | None = Field(default=None, ge=0, le=ID_MAX)


class Join(Input):
    collectivite_id: int = Field(ge=1, le=ID_MAX)
    role: Annotated[str, StringConstraints(max_length=30)]


class NeedInput(Input):
    # The theme by its id, or by its catalogue code ("hs-caces", what etat.json gives).
    theme_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    theme: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    title: Text
    details: Annotated[str, StringConstraints(strip_whitespace=True, max_length=DETAILS_MAX)] = ""
    action_id: ActionId = None
    messages = {("_", "missing"): msg("Choisissez un thème.")}
    # The phone's theme list starts on a placeholder ("Choisir un thème…") whose value is "".
    _no_theme = field_validator("theme_id", mode="before")(lambda v: None if v == "" else v)

    @model_validator(mode="after")
    def _one_theme(self):
        if self.theme_id is None and not self.theme:
            raise PydanticCustomError("missing", "theme")
        return self

    @property
    def theme_ref(self) -> int | str:
        return self.theme_id if self.theme_id is not None else self.theme


class DemandInput(Input):
    need_id: int = Field(ge=1, le=ID_MAX)
    year: Year
    agents: int = Field(ge=0, le=MAX_AGENTS)
    category: Literal["A", "B", "C"] | None = None  # the agents' category, when said
    action_id: ActionId = None
    _category = field_validator("category", mode="before")(
        lambda v: (str(v).strip().upper() or None) if v is not None else None)


class VoteInput(Input):
    need_id: int = Field(ge=1, le=ID_MAX)
    dots: int = Field(ge=0, le=DOTS_MAX)
    action_id: ActionId = None


class MergeInput(Input):
    target_id: int = Field(ge=1, le=ID_MAX)
    source_id: int = Field(ge=1, le=ID_MAX)
    messages = {("source_id", "missing"): msg("Choisissez le besoin à regrouper.")}


class MergeManyInput(Input):
    """Needs ticked for a merge, and the one kept (issue 15, "Merging")."""

    target_id: int = Field(ge=1, le=ID_MAX)
    need_ids: list[Annotated[int, Field(ge=1, le=ID_MAX)]] = Field(min_length=2,
                                                                   max_length=MERGE_PICK_MAX)
    messages = {("target_id", "missing"): msg("Choisissez le besoin à garder."),
                ("need_ids", "too_short"): msg("Cochez au moins deux besoins à regrouper."),
                ("need_ids", "too_long"): msg("Cochez au plus %(max)s besoins à la fois.",
                                              max=MERGE_PICK_MAX)}


class TimerInput(Input):
    minutes: int = Field(ge=0, le=TIMER_MINUTES_MAX)


class PhaseInput(Input):
    phase: Literal[PHASES]


LineKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


def _empty_is_none(value):
    """An empty select option means "none": no pin, the automatic host."""
    return None if value == "" else value


class PinInput(Input):
    line: LineKey
    year: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX)
    replaces: LineKey | None = None  # the key a followed pin came from (services.plan.pin)
    _year = field_validator("year", "replaces", mode="before")(_empty_is_none)


class HostInput(Input):
    line: LineKey
    collectivite_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    _host = field_validator("collectivite_id", mode="before")(_empty_is_none)


class LineRef(Input):
    line: LineKey
    split: bool = True


class PoolingInput(Input):
    """Accept pooling our line below threshold with another séance's line (services.pooling)."""

    line: LineKey
    other_seance_id: int = Field(ge=1, le=ID_MAX)
    other_line: LineKey


class PoolingRef(Input):
    pooling_id: int = Field(ge=1, le=ID_MAX)


class CostInput(Input):
    theme: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    euros: float | None = Field(default=None, ge=0, le=COST_PER_DAY_MAX)  # empty: the catalogue's
    _euros = field_validator("euros", mode="before")(_empty_is_none)


class NeedPlanInput(Input):
    need_id: int = Field(ge=1, le=ID_MAX)
    kind: Literal["integration", "professionnalisation", "perfectionnement", "concours",
                  "sante_securite"] | None = None  # empty: the theme's
    pool_years: int | None = Field(default=None, ge=0, le=POOL_YEARS_MAX)  # empty: the theme's rule
    _empty = field_validator("kind", "pool_years", mode="before")(_empty_is_none)


class CapacityInput(Input):
    days: dict[int, Annotated[int, Field(ge=0, le=CAPACITY_MAX)]] = Field(
        min_length=1, max_length=HORIZON_YEARS_MAX)


class HorizonInput(Input):
    horizon_start: Year
    horizon_years: int = Field(ge=1, le=HORIZON_YEARS_MAX)


M = TypeVar("M", bound=Input)

# Pydantic's error types; the params are those of its error context (max_length, ge, le).
_MESSAGES = {
    "missing": msg("Ce champ est obligatoire."),
    "string_too_short": msg("Ce champ est obligatoire."),
    "string_too_long": msg("Texte trop long (%(max_length)s caractères au plus)."),
    "int_parsing": msg("Entrez un nombre entier."),
    "int_type": msg("Entrez un nombre entier."),
    "int_from_float": msg("Entrez un nombre entier."),
    "greater_than_equal": msg("La valeur doit être au moins %(ge)s."),
    "less_than_equal": msg("La valeur doit être au plus %(le)s."),
    "date_parsing": msg("Entrez une date valide."),
    "date_from_datetime_parsing": msg("Entrez une date valide."),
    "date_type": msg("Entrez une date valide."),
    "literal_error": msg("Choix invalide."),
    "too_long": msg("Trop d'éléments (%(max_length)s au plus)."),
    "list_type": msg("Choix invalide."),
    "string_type": msg("Texte attendu."),
    "bool_parsing": msg("Choix invalide."),
    "model_type": msg("Données invalides."),
    "dict_type": msg("Données invalides."),
}
_INVALID = msg("Valeur invalide.")


def check(model: type[M], data) -> tuple[M | None, dict[str, Message]]:
    """(model, {}) when the input is valid, else (None, {field: message}); the first error
    of each field only. Messages are values: `i18n.say` translates them where shown."""
    try:
        return model.model_validate(data), {}
    except ValidationError as error:
        errors: dict[str, Message] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "_"
            if field in errors:
                continue
            template = model.messages.get((field, item["type"])) or _MESSAGES.get(item["type"], _INVALID)
            errors[field] = template.with_params(**(item.get("ctx") or {}))
        return None, errors


def form_data(form, lists: tuple[str, ...] = ()) -> dict:
    """A werkzeug MultiDict as a plain dict, with the named fields as lists."""
    data = {key: form.get(key) for key in form if key not in lists}
    for key in lists:
        data[key] = form.getlist(key)
    return data
