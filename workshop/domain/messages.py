"""Texts for people, kept translatable while the domain stays pure.

A rule says what to tell in French, the source language: a msgid of the
catalogues with named `%(name)s` params (README, "Translations"). `str()` gives
the French text (logs, the command line, tests); the web translates the same
value with `workshop.i18n.say()`. `pybabel extract` finds the msgids through
the keywords of babel.cfg: `msg`, `nmsg` (singular, plural) and `Refusal`
(its second argument), so a msgid is always a literal string (a test checks it).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol


class Translations(Protocol):
    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def number(self, n: int) -> str: ...


class French:
    """The msgids themselves: French, whose plural starts above one (0 or 1 stagiaire)."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return plural if n > 1 else singular

    def number(self, n: int) -> str:
        """1 234: French groups thousands with a narrow no-break space."""
        return f"{n:,}".replace(",", "\u202f")


FRENCH = French()


@dataclass(frozen=True)
class Message:
    text: str  # the French msgid
    params: Mapping[str, object] = field(default_factory=dict, hash=False)  # a value may be a Text
    plural: str | None = None  # the French plural msgid, chosen by n
    n: int | None = None

    def render(self, translations: Translations = FRENCH) -> str:
        if self.plural is None:
            text = translations.gettext(self.text)
        else:
            text = translations.ngettext(self.text, self.plural, self.n)
        if not self.params:
            return text
        return text % {name: render(value, translations) for name, value in self.params.items()}

    def with_params(self, **params) -> "Message":
        """The same msgid, told with these values (a template filled where it is used)."""
        return replace(self, params={**self.params, **params})

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Joined:
    """Texts said one after the other (a plain str is said as it is: a name, a year, a dot)."""

    parts: tuple["Text", ...]
    sep: "Text" = ""

    def render(self, translations: Translations = FRENCH) -> str:
        return render(self.sep, translations).join(render(p, translations) for p in self.parts)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Count:
    """A quantity in a sentence (1 234 stagiaires), grouped as the language groups it;
    the `n` of `nmsg` is one. Other numbers (a year, a rank) are said as they are."""

    n: int

    def render(self, translations: Translations = FRENCH) -> str:
        number = getattr(translations, "number", None)
        return number(self.n) if number else FRENCH.number(self.n)

    def __str__(self) -> str:
        return self.render()


Text = str | Message | Joined


def msg(text: str, **params) -> Message:
    """A French msgid, to be translated where it is shown."""
    return Message(text, params)


def nmsg(singular: str, plural: str, n: int, **params) -> Message:
    """A French msgid with its plural, chosen by n (also the `%(n)s` param)."""
    return Message(singular, {"n": Count(n), **params}, plural, n)


def joined(parts: Iterable[Text], sep: Text = "") -> Joined:
    return Joined(tuple(parts), sep)


def render(text, translations: Translations = FRENCH):
    """A Text in the given language; any other value (a number) is left to the % formatting."""
    if isinstance(text, Message | Joined | Count):
        return text.render(translations)
    return text
