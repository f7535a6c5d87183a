"""Languages: French first (the source texts), English too.

The catalogues live in workshop/translations (see README, "Translations"); the
.mo files are compiled from the .po files when the app starts. The labels of
the domain (phases, kinds of collectivité, roles) stay French in the domain
and are translated where they are shown, through `Labels`; its sentences and
refusals (workshop.domain.messages) through `say()`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as babel_format_decimal
from flask import g
from flask_babel import force_locale, format_decimal, get_locale, get_translations, gettext

from workshop.domain.messages import Joined, Message
from workshop.domain.rules import Refusal
from workshop.schemas import check

log = logging.getLogger(__name__)


def compile_catalogues(directory: str | Path) -> list[Path]:
    """Compile every .po under directory whose .mo is missing or older; returns the .mo written."""
    written = []
    for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            # Written aside then renamed: several server processes may start at once.
            fd, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as target:
                write_mo(target, catalog)
            os.replace(temporary, mo)
        except OSError as error:  # a read-only install: serve with what is there
            log.warning("could not compile %s: %s", po, error)
            continue
        written.append(mo)
    return written


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a string for extraction without translating it (here, the domain's labels)."""
    return message


# The domain's labels, as written in workshop/domain (phases.LABELS, territories.KINDS,
# EPCI_TYPES, ROLES): listed here so that `pybabel extract` finds them. A test checks
# that every label of the domain has its translation.
DOMAIN_LABELS = (
    N_("Accueil"), N_("Recueil des besoins"), N_("Regroupement"), N_("Vote"), N_("Résultats"),
    N_("Plan prospectif"),
    N_("Commune"), N_("Intercommunalité (EPCI)"), N_("CCAS / CIAS"), N_("Syndicat intercommunal"),
    N_("Autre établissement public"),
    N_("Communauté de communes"), N_("Communauté d'agglomération"), N_("Communauté urbaine"),
    N_("Métropole"),
    N_("Maire ou élu·e"), N_("DGS / secrétaire général·e"), N_("Secrétaire de mairie"),
    N_("Ressources humaines"), N_("Encadrant·e"), N_("Agent"), N_("Autre"),
    N_("Intégration"), N_("Professionnalisation"), N_("Perfectionnement"),
    N_("Préparation aux concours et examens"), N_("Santé-sécurité réglementaire"),
)


def say(text: Refusal | Message | Joined | str | None, locale: str | None = None) -> str:
    """What to tell, in the current request's language, or in `locale` ("fr", "en").

    A refusal, a sentence of the domain, or a str (already said: a name, a text
    translated by `_()`). Outside the application, French, the source language.
    """
    if locale is not None:
        with force_locale(locale):
            return say(text)
    if isinstance(text, Refusal):
        text = text.why
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if not g:  # no application context: no catalogue to read
        return text.render()
    return text.render(_Catalogue(get_translations()))


class _Catalogue:
    """The request's catalogue, and its way of writing numbers (1 234, 1,234)."""

    def __init__(self, translations) -> None:
        self.gettext, self.ngettext = translations.gettext, translations.ngettext

    @staticmethod
    def number(n: int) -> str:
        return decimal(n)


def decimal(n) -> str:
    """A number as the current language writes it (1 234 in French, 1,234 in English).

    Whole numbers (the room's figures: agents, dots, days) are formatted once per
    language and value: a live refresh writes hundreds of them ten times a second,
    and Babel's formatting costs some 60 µs each. Anything else goes to Flask-Babel.
    """
    if type(n) is int:
        return _whole(n, str(get_locale() or "fr"))
    return format_decimal(n)


@lru_cache(maxsize=16384)
def _whole(n: int, locale: str) -> str:
    return babel_format_decimal(n, locale=locale)


def counted(text: str, num) -> str:
    """A plural sentence with its count (`%(num)d` or `%(num)s`) written as the language
    writes numbers: "1 234 lignes comprises", not "1234". Other placeholders stay."""
    if type(num) is not int:
        return text
    shown = decimal(num)
    return text.replace("%(num)d", shown).replace("%(num)s", shown)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's `ngettext`, the count written as the language writes numbers
    (`counted`): the one plural of the Python side (flashes, notices)."""
    return counted(get_translations().ungettext(singular, plural, num), num) % variables


def init_app(app) -> None:
    """The templates' `decimalformat` filter is `decimal`, and their `ngettext` writes its count
    as the language does (`counted`) (after Flask-Babel's init_app, which installs them)."""
    app.jinja_env.filters["decimalformat"] = decimal
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: counted(get_translations().ungettext(s, p, n), n),
        newstyle=True,
        # Installed together (Jinja replaces all four): as Flask-Babel installs them.
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: counted(get_translations().unpgettext(c, s, p, n), n))


class Labels(Mapping):
    """A domain dict of French labels, read in the current language."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = labels

    def __getitem__(self, key: str) -> str:
        return gettext(self._labels[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def live_texts() -> dict[str, str]:
    """What static/js/live.js says by itself (read from <body data-texts>)."""
    return {
        "offline": gettext("Connexion perdue : reconnexion en cours…"),
        "notSent": gettext("Hors connexion : rien n'a été envoyé, réessayez dans un instant."),
        "noAnswer": gettext("Pas de réponse du serveur : réessayez."),
    }


def parse(model, data):
    """`schemas.check`, its messages said in the current language: (model | None, {field: text})."""
    found, errors = check(model, data)
    return found, {field: say(message) for field, message in errors.items()}
