"""Text helpers shared by search and duplicate checks."""

import re
import unicodedata

_SPACES = re.compile(r"[\s\-'’]+")


def normalise(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces: 'Saint-Amand' ~ 'st amand'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


def search_key(name: str, postcodes: str = "") -> str:
    return f"{normalise(name)} {postcodes}".strip()


def search_terms(query: str) -> list[str]:
    """The words of a search box, normalised; 'St' also finds 'Saint'."""
    terms = normalise(query).split()
    return ["saint" if t == "st" else "sainte" if t == "ste" else t for t in terms][:6]
