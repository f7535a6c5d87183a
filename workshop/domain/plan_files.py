"""Reading a collectivité's training plan as people write it: pure rules, no file or database.

A table (rows of cells, as read from a CSV or a sheet) becomes rows that are
accepted (with their fields) or refused (with the line number and why).
Headers are recognised in other words and orders; title rows above the
header, blank lines and totals are skipped; the theme is matched against
the catalogue, exactly, then by synonym, then fuzzily, and always shown so
that a human can correct it.
"""

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from workshop.domain import limits
from workshop.domain.messages import Message, Text, msg
from workshop.domain.text import normalise

FIELDS = ("collectivite", "theme", "title", "agents", "year", "priority", "remarks")

# Header words (normalised, whole words) for each field. The order matters: the first
# field a header names wins ("Nombre d'agents de la collectivité" is a count of agents,
# "Domaine de formation" a theme).
HEADER_WORDS = {
    "agents": ("agents", "agent", "effectif", "effectifs", "nombre", "nb", "stagiaires"),
    "year": ("annee", "an", "echeance", "periode", "date", "millesime"),
    "priority": ("priorite", "prio", "urgence"),
    "theme": ("theme", "thematique", "domaine", "categorie", "famille"),
    "title": ("action", "intitule", "formation", "libelle", "besoin", "besoins", "stage", "titre"),
    "remarks": ("remarque", "remarques", "commentaire", "commentaires", "observation",
                "observations", "precision", "precisions", "note", "notes"),
    "collectivite": ("collectivite", "commune", "structure", "employeur", "etablissement",
                     "organisme", "mairie"),
}
TOTAL_WORDS = ("total", "sous total", "totaux", "ensemble")
FORMULA = ("=", "+", "@")
FUZZY_MIN = 82  # below, a theme is "not recognised" rather than guessed
MAX_AGENTS = limits.MAX_AGENTS
UNKNOWN_THEME = msg("thème non reconnu : choisissez-le dans la liste")  # the facilitator may fix it


@dataclass(frozen=True)
class ThemeEntry:
    code: str
    name: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThemeMatch:
    code: str | None
    method: str  # "exact", "synonym", "fuzzy", "chosen" (by the facilitator), "none"
    score: int = 0

    @property
    def label(self) -> Message:
        if self.method == "fuzzy":
            return msg("approché (%(score)s %%)", score=self.score)
        return {"exact": msg("nom exact"), "synonym": msg("synonyme"), "chosen": msg("choisi à la main"),
                "none": msg("non reconnu")}[self.method]


@dataclass
class Row:
    line: int  # 1-based, as a spreadsheet numbers it
    sheet: str = ""
    values: dict = field(default_factory=dict)
    theme: ThemeMatch | None = None
    error: Text | None = None  # why the row is refused, translatable
    skipped: str | None = None  # blank, total: not an error, not a need

    @property
    def accepted(self) -> bool:
        return self.error is None and self.skipped is None


class Catalogue:
    """The theme catalogue as the matcher needs it (built once per import)."""

    def __init__(self, themes: list[ThemeEntry]) -> None:
        self.exact = {normalise(t.name): t.code for t in themes}
        self.exact.update({normalise(t.code): t.code for t in themes})
        self.synonyms = {normalise(s): t.code for t in themes for s in t.synonyms}
        self._choices = {**{k: v for k, v in self.exact.items()}, **self.synonyms}
        self._keys = list(self._choices)

    def match(self, *texts: str) -> ThemeMatch:
        """The theme of a row: from its theme cell first, then from its title."""
        for text in texts:
            key = normalise(text or "")
            if not key:
                continue
            if key in self.exact:
                return ThemeMatch(self.exact[key], "exact", 100)
            if key in self.synonyms:
                return ThemeMatch(self.synonyms[key], "synonym", 100)
            for synonym, code in self.synonyms.items():  # a synonym inside a longer text
                if re.search(rf"\b{re.escape(synonym)}\b", key):
                    return ThemeMatch(code, "synonym", 95)
        for text in texts:
            key = normalise(text or "")
            if not key:
                continue
            best = process.extractOne(key, self._keys, scorer=fuzz.token_set_ratio)
            if best and best[1] >= FUZZY_MIN:
                return ThemeMatch(self._choices[best[0]], "fuzzy", int(best[1]))
        return ThemeMatch(None, "none", 0)


def header_map(cells: list) -> dict[int, str]:
    """Column index -> field, for a header row ('Nb d'agents', 'Intitulé de l'action', ...)."""
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        key = normalise(str(cell or ""))
        if not key:
            continue
        words_of_key = set(key.split())
        for name, words in HEADER_WORDS.items():
            if name not in found.values() and words_of_key & set(words):
                found[index] = name
                break
    return found


def find_header(table: list[list], look: int = 15) -> tuple[int, dict[int, str]] | None:
    """The first row (within the first lines) naming a title and an agents column."""
    for index, cells in enumerate(table[:look]):
        columns = header_map(cells)
        if {"title", "agents"} <= set(columns.values()):
            return index, columns
    return None


def _int(value, low: int, high: int) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.0+)?", text):
            return None
        number = float(text)
    if number != int(number) or not low <= number <= high:
        return None
    return int(number)


def _year(value, default: int) -> int | None:
    if value is None or str(value).strip() == "":
        return default
    if hasattr(value, "year"):  # a date cell
        return value.year
    text = str(value).strip()
    match = re.search(r"(20\d\d)", text)
    if match:
        return int(match.group(1))
    short = _int(text, 0, 99)
    return 2000 + short if short is not None else None


def parse(table: list[list], catalogue: Catalogue, default_year: int, sheet: str = "",
          years: range | None = None) -> tuple[list[Row], Message | None]:
    """Rows of one sheet, or a refusal of the whole sheet (no recognisable header)."""
    header = find_header(table)
    if header is None:
        return [], msg("aucune ligne d'en-tête reconnue (il faut au moins une colonne « action » "
                       "et une colonne « nombre d'agents »)")
    start, columns = header
    rows = []
    for index in range(start + 1, len(table)):
        cells = table[index]
        row = Row(line=index + 1, sheet=sheet)
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        texts = {k: ("" if v is None else str(v).strip()) for k, v in values.items()}
        row.values = texts
        if not any(texts.values()):
            row.skipped = "ligne vide"
        elif any(normalise(t).startswith(TOTAL_WORDS) for t in texts.values() if t):
            row.skipped = "ligne de total"
        else:
            _check(row, values, texts, catalogue, default_year, years)
        rows.append(row)
    return rows, None


def _check(row: Row, values: dict, texts: dict, catalogue: Catalogue, default_year: int,
           years: range | None) -> None:
    formula = next((k for k, t in texts.items() if t.startswith(FORMULA)), None)
    if formula:
        row.error = msg("cellule « %(column)s » contenant une formule : ignorée par sécurité",
                        column=formula)
        return
    if not texts.get("title"):
        row.error = msg("intitulé de l'action manquant")
        return
    if len(texts["title"]) > 200:
        row.error = msg("intitulé trop long (200 caractères au plus)")
        return
    agents = _int(values.get("agents"), 0, MAX_AGENTS)
    if agents is None:
        row.error = msg("nombre d'agents illisible : « %(value)s »", value=texts.get("agents", ""))
        return
    year = _year(values.get("year"), default_year)
    if year is None or (years is not None and year not in years):
        value = texts.get("year", "")
        row.error = msg("année hors de l'horizon : « %(value)s »", value=value) if years is None else \
            msg("année hors de l'horizon (de %(first)s à %(last)s) : « %(value)s »", value=value,
                first=years.start, last=years.stop - 1)
        return
    row.values.update(agents=agents, year=year)
    row.theme = catalogue.match(texts.get("theme", ""), texts["title"])
    if row.theme.code is None:
        row.error = UNKNOWN_THEME
