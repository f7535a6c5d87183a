"""Reading a collectivité's training plan as people write it: pure rules, no file or database.

A table (rows of cells, as read from a CSV or a sheet, merged cells already
filled) becomes rows that are accepted (with their fields) or refused (with
the line number and why). Columns are recognised by `plan_columns`; title
rows above the header, blank lines and totals are skipped; "3 agents" is a
number, "2 à 3" or "N+1" are not guessed but offered for correction; the
theme is matched against the catalogue and always shown with its score and
the next candidates, so that a human can correct it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from workshop.domain import limits
from workshop.domain.messages import Message, Text, msg
from workshop.domain.plan_columns import DETAIL_FIELDS, LABELS, NEED_FIELDS, Columns, words
from workshop.domain.text import normalise, visible

TOTAL_WORDS = ("total", "sous total", "totaux", "ensemble")
RECAP_WORDS = ("recap", "recapitulatif", "synthese", "total", "totaux", "bilan", "consolide")
FORMULA = ("=", "+", "@")
MATCH_MIN = 67  # below, a theme is "not recognised" rather than guessed (share of the words found)
WORD_MIN = 85  # two words are the same word above this similarity (typos, plurals)
MAX_AGENTS = limits.MAX_AGENTS
UNKNOWN_THEME = msg("thème non reconnu : choisissez-le dans la liste")  # the facilitator may fix it
# Words too common in titles to tell themes apart.
_GENERIC = {"de", "d", "du", "des", "la", "le", "les", "l", "a", "au", "aux", "et", "en", "pour",
            "sur", "un", "une", "formation", "formations", "stage", "session", "action", "initiale",
            "agents", "agent", "module", "niveau", "1", "2"}
_NUMBER = re.compile(r"(\d+)(?:[.,]0+)?\s*(?:agents?|ag|pers|personnes?|stagiaires?|pax)?")
_RANGE = re.compile(r"\d+\s*(?:a|-|/|ou|~|et|\s)\s*\d+")
_RELATIVE_YEAR = re.compile(r"\bn\s*[+-]\s*\d\b|\bn\b")


@dataclass(frozen=True)
class UnsavedFormula:
    """A formula cell saved without its value (files written by software that does not compute):
    it is never evaluated, so the row cannot be read."""

    formula: str

    def __str__(self) -> str:
        return ""


@dataclass(frozen=True)
class ThemeEntry:
    code: str
    name: str
    synonyms: tuple[str, ...] = ()
    domain: str = ""


@dataclass(frozen=True)
class ThemeMatch:
    code: str | None
    method: str  # "exact", "synonym", "fuzzy", "chosen" (by the facilitator), "none"
    score: int = 0  # 0-100
    alternatives: tuple[tuple[str, int], ...] = ()  # the next candidates (code, score), best first

    @property
    def label(self) -> Message:
        if self.method == "fuzzy":
            return msg("approché (%(score)s %%)", score=self.score)
        return {"exact": msg("nom exact"), "synonym": msg("autre nom du même thème"),
                "chosen": msg("choisi à la main"), "none": msg("non reconnu")}[self.method]


@dataclass
class Row:
    line: int  # 1-based, as a spreadsheet numbers it
    sheet: str = ""
    key: str = ""  # "sheet index:line", how corrections find the row again
    values: dict = field(default_factory=dict)  # field -> text as read (then agents, year as int)
    details: dict = field(default_factory=dict)  # detail field -> text (code, service, public...)
    theme: ThemeMatch | None = None
    error: Text | None = None  # why the row is refused, translatable
    skipped: str | None = None  # blank, total: not an error, not a need
    corrected: tuple[str, ...] = ()  # the fields the user corrected in the preview
    category: str | None = None  # the agents' category (A, B or C) when the file says one
    added: int = 0  # rows of the file (this one included) added up with it; 0 when alone

    @property
    def same_need(self) -> tuple:
        """What makes two rows of a file one need: the action (theme and title) and the year
        (the collectivité is the caller's: it comes from the cell, the sheet or the upload)."""
        return (self.theme.code if self.theme else None, normalise(self.values.get("title", "")),
                self.values.get("year"))

    @property
    def accepted(self) -> bool:
        return self.error is None and self.skipped is None


def _vocabulary(entry: ThemeEntry) -> set[str]:
    found = set()
    for text in (entry.name, *entry.synonyms):
        found.update(w for w in words(text) if w not in _GENERIC)
    return found


class Catalogue:
    """The theme catalogue as the matcher needs it (built once per import)."""

    def __init__(self, themes: list[ThemeEntry]) -> None:
        self.themes = {t.code: t for t in themes}
        self.exact = {normalise(t.name): t.code for t in themes}
        self.exact.update({normalise(t.code): t.code for t in themes})
        self.synonyms = {normalise(s): t.code for t in themes for s in t.synonyms}
        self._phrases = sorted(((" ".join(words(s)), t.code) for t in themes for s in t.synonyms),
                               key=lambda p: -len(p[0]))
        self._index: dict[str, set[str]] = {}  # a word of a name or synonym -> the themes using it
        for t in themes:
            for word in _vocabulary(t):
                self._index.setdefault(word, set()).add(t.code)
        self._words = list(self._index)
        self._known: dict[str, frozenset[str]] = {}  # a word of a file -> the themes it names
        self._matched: dict[tuple[str, str], ThemeMatch] = {}  # plans repeat their titles
        self._domains = {normalise(t.domain): t.domain for t in themes if t.domain}

    def by_name(self, text: str) -> str | None:
        """The code of a theme named exactly (name or code), as a person picks it in the list."""
        return self.exact.get(normalise(text or ""))

    def match(self, theme_text: str, title: str = "") -> ThemeMatch:
        """The theme of a row, from its title first (more precise), its theme cell second.

        Rules, in order: a title or theme cell that is a theme's exact name; a title that
        is a synonym; a synonym phrase inside the title (the longest wins); the theme whose
        name and synonyms hold most of the title's words (a theme cell naming a domain
        favours that domain's themes); then the same on the theme cell alone. A domain name
        such as "Management" in the theme cell never overrides a precise title.
        """
        theme_key, title_key = normalise(theme_text or ""), normalise(title or "")
        known = self._matched.get((theme_key, title_key))
        if known is None:
            known = self._matched[(theme_key, title_key)] = self._match(theme_text, title, theme_key,
                                                                        title_key)
        return known

    def _match(self, theme_text: str, title: str, theme_key: str, title_key: str) -> ThemeMatch:
        for key in (title_key, theme_key):
            if key in self.exact:
                return ThemeMatch(self.exact[key], "exact", 100)
        if title_key in self.synonyms:
            return ThemeMatch(self.synonyms[title_key], "synonym", 100)
        domain = self._domains.get(theme_key, "")
        for text in (title, theme_text):
            if not text:
                continue
            ranked = self._rank(text, domain)
            if ranked and ranked[0][1] >= MATCH_MIN:
                code, points = ranked[0]
                method = "synonym" if points >= 95 else "fuzzy"
                return ThemeMatch(code, method, min(points, 100), tuple(ranked[1:3]))
        if theme_key in self.synonyms:
            return ThemeMatch(self.synonyms[theme_key], "synonym", 90)
        ranked = self._rank(title or theme_text or "", domain)
        return ThemeMatch(None, "none", 0, tuple(ranked[:3]))

    def _rank(self, text: str, domain: str) -> list[tuple[str, int]]:
        """Themes with a score 0-100, best first: a synonym inside the text scores 95 or more,
        else the share of the text's words found in the theme's name and synonyms."""
        joined = " " + " ".join(words(text)) + " "
        content = [w for w in words(text) if w not in _GENERIC] or words(text)
        scores: dict[str, float] = {}
        for phrase, code in self._phrases:
            if phrase and f" {phrase} " in joined and code not in scores:
                scores[code] = 95 + min(len(phrase), 40) / 10  # a longer synonym is more specific
        found: dict[str, int] = {}
        for word in content:
            for code in self._themes_of(word):
                found[code] = found.get(code, 0) + 1
        for code, theme in self.themes.items():
            share = 90 * found.get(code, 0) / len(content) if content else 0
            if domain and theme.domain == domain:
                share += 10
            scores[code] = max(scores.get(code, 0), share)
        ranked = sorted(((c, int(s)) for c, s in scores.items() if s > 0), key=lambda p: -p[1])
        return ranked


    def _themes_of(self, word: str) -> frozenset[str]:
        """The themes whose name or synonyms hold this word, or a word within WORD_MIN of it."""
        known = self._known.get(word)
        if known is None:
            codes = set(self._index.get(word, ()))
            if len(word) > 3:
                for other, _, _ in process.extract(word, self._words, scorer=fuzz.ratio,
                                                   score_cutoff=WORD_MIN, limit=None):
                    codes |= self._index[other]
            known = self._known[word] = frozenset(codes)
        return known


_CATEGORY = re.compile(r"(?:cat(?:egorie)?\.?\s*)?([abc])")


def category(value) -> str | None:
    """The agents' category as written: "B", "cat. B", "Catégorie C" -> "B", "C"; anything
    else ("B et C", "A+") says no single category: None (the text stays in the details)."""
    match = _CATEGORY.fullmatch(normalise(str(value or "")).rstrip(". "))
    return match.group(1).upper() if match else None


def number(value) -> int | None | Message:
    """A count of agents as written: 4, 4.0, "4", "3 agents", "3 pers.", "4 stagiaires".

    Returns the integer (0 to MAX_AGENTS), None when the cell says nothing readable, or a
    Message when the cell says something that must not be guessed (a range, "2 à 3").
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if value != int(value) or not 0 <= value <= MAX_AGENTS:
            return None
        return int(value)
    if str(value).strip().startswith("-"):
        return None  # normalise() would read the minus as a space
    text = normalise(str(value).replace("\u00a0", " ")).rstrip(". ")
    if _RANGE.search(text):
        return msg("fourchette « %(value)s » : indiquez un nombre d'agents", value=str(value).strip())
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    count = int(match.group(1))
    return count if count <= MAX_AGENTS else None


def year(value, default: int) -> int | None | Message:
    """The year asked: 2027, "2027", 27, a date; empty -> default; "N+1" is not guessed."""
    if value is None or str(value).strip() == "":
        return default
    if hasattr(value, "year"):  # a date cell
        return value.year
    if isinstance(value, float) and value == int(value):
        value = int(value)
    text = str(value).strip()
    found = re.findall(r"\b(20\d\d)\b", text)
    if len(set(found)) == 1:
        return int(found[0])
    if len(set(found)) > 1:
        return msg("plusieurs années « %(value)s » : indiquez une seule année", value=text)
    if _RELATIVE_YEAR.search(normalise(text)):
        return msg("année relative « %(value)s » : indiquez l'année (par exemple %(example)s)",
                   value=text, example=default)
    if re.fullmatch(r"\d\d", text):
        return 2000 + int(text)
    return None


def _text(value) -> str:
    """A cell as text, without the invisible characters around it (`text.visible`): a cell
    of zero-width spaces is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return visible(str(value))


def parse(table: list[list], columns: Columns, start: int, catalogue: Catalogue, default_year: int,
          sheet: str = "", years: range | None = None, sheet_index: int = 0,
          corrections: dict[str, dict[str, str]] | None = None,
          progress: Callable[[int], None] | None = None, every: int = 500) -> list[Row]:
    """Rows of one sheet below its header row `start` (0-based), read through `columns`.

    `corrections` ("sheet index:line" -> field -> text) are the user's fixes from the
    preview: they replace the cells before the rules run. `progress(rows read)` is called
    every `every` rows (it may raise to stop the reading).
    """
    rows = []
    fields = columns.fields
    for index in range(start + 1, len(table)):
        if progress is not None and index % every == 0:
            progress(index)
        cells = table[index]
        row = Row(line=index + 1, sheet=sheet, key=f"{sheet_index}:{index + 1}")
        values = {name: cells[i] if i < len(cells) else None for i, name in fields.items()}
        fixes = (corrections or {}).get(row.key, {})
        values.update({k: v for k, v in fixes.items() if k in NEED_FIELDS})
        row.corrected = tuple(sorted(fixes))
        texts = {k: _text(v) for k, v in values.items()}
        row.values = {k: t for k, t in texts.items() if k not in DETAIL_FIELDS and k != "requested_on"}
        row.details = {k: t for k, t in texts.items() if k in DETAIL_FIELDS and t}
        if row.details.get("category"):
            row.category = category(row.details["category"])
            row.details["category"] = row.category or row.details["category"]
        if not any(texts.values()):
            row.skipped = "ligne vide"
        elif _is_total(cells, fields, texts.get("title", "")):
            row.skipped = "ligne de total"
        else:
            _check(row, values, texts, catalogue, default_year, years)
        rows.append(row)
    return rows


def _is_total(cells: list, fields: dict[int, str], title: str) -> bool:
    """A totals row: "Total" in a cell that is neither the title nor a detail (often a column
    with no header), or a title that is only that word ("TOTAL GÉNÉRAL", "Sous-total")."""
    if re.fullmatch(r"(sous )?total(ux)?( general)?|totaux", normalise(title)):
        return True
    return any(isinstance(c, str) and normalise(c).startswith(TOTAL_WORDS)
               for i, c in enumerate(cells) if fields.get(i) not in ("title", *DETAIL_FIELDS))


def _check(row: Row, values: dict, texts: dict, catalogue: Catalogue, default_year: int,
           years: range | None) -> None:
    unsaved = next((k for k, v in values.items() if isinstance(v, UnsavedFormula)), None)
    if unsaved:
        row.error = msg("cellule « %(column)s » : formule enregistrée sans sa valeur, jamais calculée ici ; "
                        "ouvrez et enregistrez le fichier dans le tableur, ou saisissez la valeur",
                        column=LABELS[unsaved])
        return
    formula = next((k for k, t in texts.items() if t.startswith(FORMULA) and not _signed(t)), None)
    if formula:
        row.error = msg("cellule « %(column)s » contenant une formule : ignorée par sécurité",
                        column=LABELS[formula])
        return
    if not texts.get("title"):
        row.error = msg("intitulé de l'action manquant")
        return
    if len(texts["title"]) > 200:
        row.error = msg("intitulé trop long (200 caractères au plus)")
        return
    # The theme is shown even on a row refused for another reason, so that one correction suffices.
    row.theme = catalogue.match(texts.get("theme", ""), texts["title"])
    if "theme" in row.corrected and catalogue.by_name(texts.get("theme", "")):
        row.theme = ThemeMatch(catalogue.by_name(texts["theme"]), "chosen", 100)
    agents = number(values.get("agents"))
    if isinstance(agents, Message):
        row.error = agents
        return
    if agents is None:
        row.error = msg("nombre d'agents illisible : « %(value)s »", value=texts.get("agents", ""))
        return
    asked = year(values.get("year"), default_year)
    if isinstance(asked, Message):
        row.error = asked
        return
    if asked is None or (years is not None and asked not in years):
        value = texts.get("year", "")
        row.error = msg("année hors de l'horizon : « %(value)s »", value=value) if years is None else \
            msg("année hors de l'horizon (de %(first)s à %(last)s) : « %(value)s »", value=value,
                first=years.start, last=years.stop - 1)
        return
    row.values.update(agents=agents, year=asked)
    if row.theme.code is None:
        row.error = UNKNOWN_THEME


def _signed(text: str) -> bool:
    """"+2" is a number someone typed, not a formula."""
    return bool(re.fullmatch(r"\+\d+", text))


def is_recap(name: str, totals: dict[str, int], others: list[dict[str, int]]) -> bool:
    """Whether a sheet totals the others (a recap sheet in a workbook of one sheet per commune).

    `totals` is this sheet's agents per normalised title, `others` the same for each other
    sheet. It is a recap when its name says so and other sheets have rows, or when every
    title's agents equal the sum over at least two other sheets.
    """
    filled = [o for o in others if o]
    if not totals or not filled:
        return False
    if any(w in RECAP_WORDS for w in words(name)):
        return True
    if len(filled) < 2:
        return False
    summed: dict[str, int] = {}
    for other in filled:
        for title, agents in other.items():
            summed[title] = summed.get(title, 0) + agents
    return summed == totals
