"""Text helpers shared by search and duplicate checks."""

import re
import unicodedata

_SPACES = re.compile(r"[\s\-'’]+")


def normalise(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces: 'Saint-Amand' ~ 'st amand'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


def visible(text: str) -> str:
    """`text` without the invisible characters around it: spaces of every width, controls and
    format characters (U+200B zero-width space, U+FEFF, U+2060, the soft hyphen). A title
    that is only those is empty: "\u200b\u200b" left a need without a title on every screen.
    Inside the text nothing changes (a zero-width joiner holds an emoji together)."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def search_key(name: str, postcodes: str = "") -> str:
    return f"{normalise(name)} {postcodes}".strip()


def search_terms(query: str) -> list[str]:
    """The words of a search box, normalised; 'St' also finds 'Saint'."""
    terms = normalise(query).split()
    return ["saint" if t == "st" else "sainte" if t == "ste" else t for t in terms][:6]
