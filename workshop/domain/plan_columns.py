"""Which column of a plan file holds what: every header scored against every field.

A header row is read as people write it ("Nb d'agents", "Intitulé de la
formation", "Code stage", "Nombre de jours"). Each header gets a score for
each field, from the phrases that name that field; the columns are then
assigned best score first, one field per column and one column per field.
Fields that are not needs' fields but look like them (days, a CNFPT code,
the date of the request) take part in the assignment, so that "Nombre de
jours" is never read as a number of agents. When two columns score the
same for a field nobody guesses: the field is left unassigned and the
preview asks. Pure rules: no file, no database.
"""

import hashlib
import re
from dataclasses import dataclass, field

from workshop.domain.messages import Message, msg
from workshop.domain.text import normalise

# The fields a need is made of, then the details kept with it, then columns recognised only
# to be set aside (they must not be taken for another field).
NEED_FIELDS = ("collectivite", "theme", "title", "agents", "year")
DETAIL_FIELDS = ("code", "priority", "service", "public", "category", "category_a", "category_b",
                 "category_c", "days", "remarks")
IGNORED_FIELDS = ("requested_on",)
FIELDS = NEED_FIELDS + DETAIL_FIELDS + IGNORED_FIELDS
REQUIRED = ("title", "agents")

LABELS: dict[str, Message] = {
    "collectivite": msg("nom de la collectivité"), "theme": msg("thème"),
    "title": msg("intitulé de l'action"), "agents": msg("nombre d'agents"), "year": msg("année"),
    "code": msg("code de l'action (CNFPT)"),
    "priority": msg("priorité"), "service": msg("service"), "public": msg("public visé"),
    "category": msg("catégorie des agents (A, B, C)"),
    "category_a": msg("agents de catégorie A"), "category_b": msg("agents de catégorie B"),
    "category_c": msg("agents de catégorie C"), "days": msg("durée (jours)"),
    "remarks": msg("remarques"), "requested_on": msg("date de la demande (non reprise)"),
}

# Phrases (normalised words, all present in the header) and the score each gives a field.
# A longer, more specific phrase scores more; a lone generic word ("nombre", "date") little.
PHRASES: dict[str, tuple[tuple[str, int], ...]] = {
    "agents": (("agents", 80), ("agent", 80), ("nombre agents", 100), ("nb agents", 100),
               ("effectif", 80), ("effectifs", 80), ("stagiaires", 85), ("nombre stagiaires", 100),
               ("personnes", 70), ("participants", 75), ("nombre", 45), ("nb", 45),
               ("total agents", 100), ("total", 20)),
    "year": (("annee", 90), ("annee souhaitee", 100), ("an", 60), ("echeance", 80),
             ("periode", 50), ("millesime", 80), ("exercice", 60), ("date", 45),
             ("date souhaitee", 85), ("annee realisation", 100)),
    "requested_on": (("date demande", 100), ("date de la demande", 100), ("demande le", 90),
                     ("date saisie", 90), ("date entretien", 90)),
    "theme": (("theme", 90), ("thematique", 90), ("domaine", 85), ("famille", 60),
              ("categorie formation", 95), ("domaine formation", 100)),
    "title": (("intitule", 100), ("action", 80), ("formation", 70), ("libelle", 90),
              ("besoin", 70), ("besoins", 70), ("titre", 80), ("stage", 40), ("objet", 50),
              ("intitule action", 100), ("intitule formation", 100), ("formation souhaitee", 90),
              ("nom formation", 90)),
    "code": (("code", 90), ("code stage", 100), ("code action", 100), ("reference", 70),
             ("ref", 70), ("code cnfpt", 100), ("n stage", 80)),
    "priority": (("priorite", 100), ("prio", 90), ("urgence", 80), ("rang", 50)),
    "remarks": (("remarque", 90), ("remarques", 90), ("commentaire", 90), ("commentaires", 90),
                ("observation", 90), ("observations", 90), ("obs", 70), ("precision", 70),
                ("precisions", 70), ("note", 60), ("notes", 60)),
    "collectivite": (("collectivite", 100), ("commune", 90), ("structure", 70), ("employeur", 80),
                     ("etablissement", 70), ("organisme", 60), ("mairie", 80), ("ville", 70)),
    "service": (("service", 90), ("direction", 70), ("pole", 70), ("service demandeur", 100)),
    "public": (("public", 90), ("public vise", 100), ("publics", 90), ("metier", 70),
               ("cadre emplois", 80), ("grade", 60), ("fonction", 60), ("poste", 60)),
    # A column saying the agents' category (A, B or C) on each row; "Catégorie A" is category_a.
    "category": (("categorie", 85), ("cat", 70), ("categorie agents", 100), ("categorie agent", 100),
                 ("categorie statutaire", 100), ("cat agents", 95), ("categorie hierarchique", 100)),
    "category_a": (("cat a", 100), ("categorie a", 100), ("agents a", 90)),
    "category_b": (("cat b", 100), ("categorie b", 100), ("agents b", 90)),
    "category_c": (("cat c", 100), ("categorie c", 100), ("agents c", 90)),
    "days": (("jours", 95), ("jour", 90), ("nombre jours", 100), ("nb jours", 100),
             ("duree", 95), ("heures", 85), ("nombre heures", 100)),
}
MIN_SCORE = 40  # below, a header names nothing we know
_STOP = {"de", "d", "du", "des", "la", "le", "les", "l", "en", "par", "au", "aux", "et", "pour"}
_PHRASE_WORDS = {f: [(tuple(p.split()), s) for p, s in phrases] for f, phrases in PHRASES.items()}


def words(text: str) -> list[str]:
    """The normalised words of a cell ("Nb. d'agents" -> ["nb", "d", "agents"])."""
    return re.findall(r"[a-z0-9]+", normalise(text))


def score(header: str, field_: str) -> int:
    """0-100: how surely a header names a field: the best phrase of that field it contains."""
    present = [w for w in words(header) if w not in _STOP]
    if not present:
        return 0
    have = set(present)
    best = 0
    for phrase, points in _PHRASE_WORDS[field_]:
        if all(w in have for w in phrase if w not in _STOP):
            best = max(best, points)
    return best


@dataclass
class Columns:
    """The reading of one header row: which column holds which field, and what is left to ask."""

    headers: list[str]
    fields: dict[int, str] = field(default_factory=dict)  # column index -> field
    scores: dict[int, int] = field(default_factory=dict)  # column index -> score of its field
    ambiguous: dict[str, list[int]] = field(default_factory=dict)  # field -> the columns competing
    chosen: bool = False  # set by the user, or remembered from a file of the same shape

    @property
    def by_field(self) -> dict[str, int]:
        return {name: index for index, name in self.fields.items()}

    @property
    def complete(self) -> bool:
        return all(name in self.fields.values() for name in REQUIRED)

    @property
    def shape(self) -> str:
        return shape_of(self.headers)


def shape_of(headers: list) -> str:
    """The key of a header row's shape (normalised words of each header), to remember a mapping."""
    key = "|".join(" ".join(words(str(h or ""))) for h in headers).rstrip("|")
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def recognise(cells: list) -> Columns:
    """Columns of a header row, assigned by score; ties on a field are left to the user."""
    headers = ["" if c is None else str(c).strip() for c in cells]
    pairs = sorted(((score(h, f), i, f) for i, h in enumerate(headers) if h for f in FIELDS),
                   key=lambda p: (-p[0], p[1]))
    result = Columns(headers)
    taken_fields: set[str] = set()
    for points, index, name in pairs:
        if points < MIN_SCORE:
            break
        if index in result.fields or name in taken_fields:
            continue
        rivals = [i for s, i, f in pairs if f == name and s == points and i != index
                  and i not in result.fields and _best_field(headers[i]) == name]
        taken_fields.add(name)
        if rivals and _best_field(headers[index]) == name:
            result.ambiguous[name] = [index, *rivals]
            continue
        result.fields[index] = name
        result.scores[index] = points
    return result


def _best_field(header: str) -> str | None:
    best = max(FIELDS, key=lambda f: score(header, f))
    return best if score(header, best) >= MIN_SCORE else None


def chosen(headers: list, mapping: dict[int, str]) -> Columns:
    """The columns as the user set them (column index -> field; unknown fields dropped)."""
    result = Columns(["" if c is None else str(c).strip() for c in headers], chosen=True)
    seen: set[str] = set()
    for index, name in sorted(mapping.items()):
        if name in FIELDS and name not in seen and 0 <= index < len(result.headers):
            result.fields[index] = name
            result.scores[index] = 100
            seen.add(name)
    return result


def find_header(table: list[list], look: int = 200) -> tuple[int, Columns] | None:
    """The header row: the first row, within the first `look` rows, that names a title and agents.

    A field two columns compete for counts as named (the user will choose), so such a
    header is still found.
    """
    for index, cells in enumerate(table[:look]):
        if sum(1 for c in cells if c not in (None, "")) < 2:
            continue
        columns = recognise(cells)
        named = set(columns.fields.values()) | set(columns.ambiguous)
        if {"title", "agents"} <= named:
            return index, columns
    return None
