"""Languages: every text of the templates goes through gettext, and the catalogues are complete.

French is the source language (the msgids) and the default; English is complete.
"""

import ast
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlmodel import select

from tests import factories
from workshop import i18n
from workshop.domain import phases, planning, territories
from workshop.models import Collectivite

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "workshop" / "translations"
LANGUAGES = ("fr", "en")

# --- (a) no user-visible text outside the translation functions ------------------

# Attributes a person reads (or hears from a screen reader) when they are written literally.
READ_ATTRIBUTES = {"aria-label", "aria-description", "aria-roledescription", "aria-valuetext",
                   "placeholder", "title", "alt", "label", "hx-confirm", "data-done"}
# Words that are the same in every language: file formats and names of systems.
ALLOWED_WORDS = {"PDF", "CSV", "XLSX", "JSON", "IEL", "QR", "htmx"}
# Whole texts that are data, not language: the join code's shape, as printed on the screen.
ALLOWED_TEXTS = {"ABC-DEF"}
# Blocks that child templates fill with attributes, not text (see base.html, phone/layout.html).
ATTRIBUTE_BLOCKS = {"body_attrs": "<x {}>", "main_class": '<x class="{}">',
                    "body_class": '<x class="{}">'}

JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
BLOCK = re.compile(r"\{%-?\s*block\s+(\w+)\s*-?%\}(.*?)\{%-?\s*endblock(?:\s+\w+)?\s*-?%\}", re.S)
LETTER = re.compile(r"[^\W\d_]")
WORD = re.compile(r"[^\W\d_]+")


class _Texts(HTMLParser):
    """Collects the text nodes and the read attributes left once Jinja is removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._keep(f'{tag} {name}="{" ".join(value.split())}"', value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button", "reset"):
            self._keep(f'input value="{dict(attrs).get("value")}"', dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw:
            self._keep(data.strip(), data)

    def _keep(self, shown: str, text: str) -> None:
        text = " ".join(text.split())
        if text in ALLOWED_TEXTS or not LETTER.search(text):
            return
        if all(word in ALLOWED_WORDS for word in WORD.findall(text)):
            return
        self.found.append((self.getpos()[0], shown))


def untranslated_texts(source: str) -> list[tuple[int, str]]:
    """(line, text) of what a person would read that is not produced by Jinja."""
    def attributes(match):
        wrapper = ATTRIBUTE_BLOCKS.get(match.group(1))
        return wrapper.format(match.group(2)) if wrapper else match.group()

    if "{% extends" in source:  # a child fills its parent's blocks: some are attributes
        source = BLOCK.sub(attributes, source)
    # Jinja removed, lines kept: every {{ }}, {% %} and {# #} becomes blank.
    source = JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    parser = _Texts()
    parser.feed(source)
    parser.close()
    return parser.found


def test_the_checker_finds_literal_text():
    assert untranslated_texts('<p>{{ _("Bonjour") }} {{ name }} · 3</p>') == []
    assert untranslated_texts('<button aria-label="{{ _(\'Fermer\') }}">×</button>') == []
    assert untranslated_texts("<title>{{ _('Séance') }}</title><a>PDF</a>") == []
    assert [t for _, t in untranslated_texts("<p>Bonjour {{ name }}</p>")] == ["Bonjour"]
    assert [t for _, t in untranslated_texts('<button aria-label="Fermer">×</button>')] \
        == ['button aria-label="Fermer"']
    assert [t for _, t in untranslated_texts('<input placeholder="ex. {{ x }}">')] \
        == ['input placeholder="ex."']
    assert untranslated_texts("{# Un commentaire #}{% set x = 'oui' %}") == []
    child = "{% extends 'base.html' %}{% block main_class %}wide{% endblock %}"
    assert untranslated_texts(child + "{% block body_attrs %}data-x='{\"a\": 1}'{% endblock %}") == []
    assert [t for _, t in untranslated_texts(child + "{% block head %}{% endblock %}Oui")] == ["Oui"]
    assert [t for _, t in untranslated_texts("{% block title %}Accueil{% endblock %}")] == ["Accueil"]


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_text_outside_gettext(path):
    found = untranslated_texts(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{path.relative_to(ROOT)}:{line}: {text!r}" for line, text in found)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_title_blocks_hold_text_only(path):
    """<title> is read as plain text: markup pasted into the block would show as such."""
    for name, body in BLOCK.findall(path.read_text(encoding="utf-8")):
        if name == "title":
            assert "<" not in JINJA.sub("", body), f"{path.relative_to(ROOT)}: markup in the title block"


# --- (b) the catalogues are complete ---------------------------------------------


def catalogue(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def template():
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(lang):
    cat = catalogue(lang)
    problems = []
    for message in list(cat)[1:]:  # the first one is the header
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings) or len(strings) != (cat.num_plurals if message.pluralizable else 1):
            problems.append(f"untranslated: {message.id!r}")
    problems += [f"{message.id!r}: {errors}" for message, errors in cat.check()]
    assert not problems, "\n".join(problems)
    assert len(list(cat)) > 300


def test_french_is_the_source_and_english_has_its_plural_rule():
    fr, en = catalogue("fr"), catalogue("en")
    assert fr.plural_expr == "(n > 1)" and en.plural_expr == "(n != 1)"
    assert fr.num_plurals == en.num_plurals == 2
    for message in list(fr)[1:]:
        source = message.id if message.pluralizable else (message.id,)
        assert tuple(message.string if message.pluralizable else (message.string,)) == tuple(source)


# --- (c) the template (.pot) and the catalogues follow the code --------------------


def extracted() -> set:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {(context, msgid) for _, _, msgid, _, context in
            extract_from_dir(str(ROOT), method_map, options_map)}


def keys(cat) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in list(cat)[1:]}


def test_pot_and_catalogues_are_up_to_date():
    found = {(context, msgid if isinstance(msgid, str) else tuple(msgid)) for context, msgid in extracted()}
    assert len(found) > 300
    in_pot = keys(template())
    assert found - in_pot == set(), "run pybabel extract (README, Translations)"
    assert in_pot - found == set(), "the .pot has messages the code no longer uses: run pybabel extract"
    for lang in LANGUAGES:
        assert found - keys(catalogue(lang)) == set(), f"run pybabel update, then translate ({lang})"


def test_every_label_of_the_domain_is_marked_for_translation():
    labels = [*phases.LABELS.values(), *territories.KINDS.values(), *territories.EPCI_TYPES.values(),
              *territories.ROLES.values(), *planning.KIND_LABELS.values()]
    assert sorted(labels) == sorted(i18n.DOMAIN_LABELS)


def test_catalogues_are_compiled_when_missing_or_older(tmp_path):
    po = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").read_bytes())
    assert i18n.compile_catalogues(tmp_path) == [po.with_suffix(".mo")]
    assert i18n.compile_catalogues(tmp_path) == []  # up to date: left alone
    assert po.with_suffix(".mo").stat().st_size > 1000


# --- (d) the language switch -------------------------------------------------------


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_french_by_default_then_english_when_chosen(client):
    french = page(client.get("/connexion"))
    assert 'lang="fr"' in french and "Espace animateur" in french
    assert ">English</a>" in french and 'hreflang="en"' in french

    response = client.get("/langue/en?next=/connexion")
    assert response.status_code == 302 and response.location == "/connexion"
    english = page(client.get("/connexion"))
    assert '<html lang="en">' in english
    assert "Facilitator area" in english and "Password" in english
    assert "Espace animateur" not in english
    assert ">Français</a>" in english
    assert "This page does not exist" in page(client.get("/nulle-part"))

    client.get("/langue/fr")
    assert "Espace animateur" in page(client.get("/connexion"))


def test_the_browser_language_is_followed_until_a_choice_is_made(client):
    assert "Facilitator area" in page(client.get("/connexion", headers={"Accept-Language": "en-GB,en"}))
    assert "Espace animateur" in page(client.get("/connexion", headers={"Accept-Language": "de"}))
    client.get("/langue/fr")
    assert "Espace animateur" in page(client.get("/connexion", headers={"Accept-Language": "en"}))


def test_an_unknown_language_is_a_404(client):
    assert client.get("/langue/xx").status_code == 404
    assert client.get("/langue/EN").status_code == 404


@pytest.mark.parametrize("target", ["//evil.example", "//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "/\t/evil.example", "evil.example",
                                    "javascript:alert(1)", ""])
def test_next_never_leaves_the_site(client, target):
    response = client.get("/langue/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_next_keeps_a_local_path_with_its_query(client):
    response = client.get("/langue/en", query_string={"next": "/j/?x=1"})
    assert response.location == "/j/?x=1"


def test_the_language_survives_logging_in_and_out(client, facilitator):
    client.get("/langue/en")
    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    assert "Sessions" in page(client.get("/seances/"))
    client.post("/deconnexion")
    assert "Facilitator area" in page(client.get("/connexion"))


# --- (e) the phone in English -------------------------------------------------------


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator),
                            title="Plan de formation de la Pévèle")


def test_the_phone_switches_to_english(client, db, seance):
    join = page(client.get(f"/j/{seance.join_code}"))
    assert "Rejoindre" in join and ">English</a>" in join
    link = re.search(r'<a class="lang-switch" href="([^"]+)"', join).group(1)
    assert client.get(unescape(link)).location == f"/j/{seance.join_code}"

    join = page(client.get(f"/j/{seance.join_code}"))
    assert "Your local authority: name or postcode" in join and "Your role" in join
    assert "Mayor or elected official" in join  # the roles of the domain, translated where shown
    assert "Rejoindre" not in join and ">Français</a>" in join

    person = factories.participant(db, seance, "Orchies")
    client.set_cookie(f"p_{seance.id}", person.token)
    factories.phase(db, seance, "recueil")
    board = page(client.get(f"/j/{seance.join_code}"))
    assert "Add a need" in board and "Collecting needs" in board
    assert "Add the training needs" in board
    assert "Connection lost: reconnecting" in board  # what live.js says by itself
    assert "Ajouter un besoin" not in board


def test_the_phone_stays_french_by_default(client, seance):
    join = page(client.get(f"/j/{seance.join_code}"))
    assert '<html lang="fr">' in join and "Votre fonction" in join and "Maire ou élu·e" in join


# --- (f) the texts built in Python: extracted, translated, said in the reader's language ---

# English texts of the code that are rightly the same as their French msgid.
SAME_IN_ENGLISH = {"Vote", "Agent", "CCAS / CIAS"}
PARAM = re.compile(r"%\((\w+)\)")


def python_setup():
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    [python] = [pattern for pattern, method in method_map if method == "python"]
    return method_map, options_map, {**DEFAULT_KEYWORDS, **options_map[python].get("keywords", {})}


def code_msgids() -> set:
    """The msgids pybabel finds in workshop/**.py (with babel.cfg's keywords)."""
    method_map, options_map, _ = python_setup()
    return {msgid if isinstance(msgid, str) else tuple(msgid)
            for filename, _, msgid, _, _ in extract_from_dir(str(ROOT), method_map, options_map)
            if filename.startswith("workshop")}


def test_every_text_of_the_code_is_translated_in_both_catalogues():
    fr, en = catalogue("fr"), catalogue("en")
    found = code_msgids()
    assert len(found) > 200 and "Besoin inconnu." in found  # a refusal of the domain
    assert ("%(n)s stagiaire", "%(n)s stagiaires") in found  # a plural of the domain
    problems = []
    for msgid in sorted(found, key=str):
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        if fr.get(sources[0]) is None or en.get(sources[0]) is None:
            problems.append(f"not in the catalogues: {msgid!r}")
            continue
        entry = en.get(sources[0])
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        for source, string in zip(sources, strings, strict=True):
            if not string:
                problems.append(f"untranslated: {source!r}")
            elif string == source and source not in SAME_IN_ENGLISH:
                problems.append(f"English copies the French: {source!r}")
            elif set(PARAM.findall(string)) != set(PARAM.findall(source)):
                problems.append(f"other params in English: {source!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def not_literal(source: str, keywords: dict) -> list[str]:
    """The calls of a gettext keyword whose msgid is not a literal string: pybabel cannot see it."""
    wrong = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in keywords):
            continue
        spec = keywords[node.func.id] or (1,)
        for number in (s[0] if isinstance(s, tuple) else s for s in spec):
            arg = node.args[number - 1] if len(node.args) >= number else None
            literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            # A refusal may carry a text built by the markers (checked in turn) or already said.
            built = node.func.id == "Refusal" and isinstance(arg, ast.Call) \
                and isinstance(arg.func, ast.Name) and arg.func.id in ("msg", "nmsg", "joined")
            if not (literal or built):
                wrong.append(f"{node.lineno}: {ast.unparse(node)[:90]}")
    return wrong


def test_the_literal_check_finds_what_extraction_would_miss():
    keywords = python_setup()[2]
    assert not_literal('Refusal("a", "Au plus %(n)s agents.", "agents", n=3)', keywords) == []
    assert not_literal('Refusal("a", nmsg("%(n)s gommette", "%(n)s gommettes", 2))', keywords) == []
    assert not_literal('_("Séance « %(t)s » créée.", t=title)', keywords) == []
    assert len(not_literal('Refusal("a", f"Au plus {n} agents.")', keywords)) == 1
    assert len(not_literal('Refusal("a", "Au plus " + str(n))', keywords)) == 1
    assert len(not_literal('Refusal("a", TEXTS[action])', keywords)) == 1
    assert len(not_literal('msg(text)', keywords)) == 1
    assert len(not_literal('nmsg("%(n)s jour", f"{n} jours", n)', keywords)) == 1
    assert len(not_literal('_(f"Bonjour {name}")', keywords)) == 1


def test_every_msgid_of_the_code_is_a_literal_string():
    """An f-string or a variable given to Refusal(), msg(), _()... escapes the catalogues."""
    keywords = python_setup()[2]
    files = [p for p in sorted((ROOT / "workshop").rglob("*.py"))
             if p.name != "i18n.py" and "migrations" not in p.parts]  # i18n.py translates labels
    found = {str(p.relative_to(ROOT)): not_literal(p.read_text(encoding="utf-8"), keywords) for p in files}
    assert sum(p.read_text(encoding="utf-8").count("Refusal(") for p in files) > 80
    assert {name: wrong for name, wrong in found.items() if wrong} == {}


def test_say_translates_refusals_and_sentences_in_any_language(app):
    from workshop.domain import thresholds
    from workshop.domain.rules import Refusal, vote

    refusal = vote({1: 2}, 2, 4, budget=5, max_per_need=3)
    assert refusal.message == "Au plus 3 gommettes sur un même besoin."  # French, for the logs
    with app.app_context():
        assert i18n.say(refusal, "en") == "At most 3 dots on a single need."
        assert i18n.say(refusal, "fr") == "Au plus 3 gommettes sur un même besoin."
        assert i18n.say(thresholds.missing_text(1, 15), "en") == "1 trainee missing to reach 15"
        assert i18n.say(thresholds.status({2027: 0}, 12).sentence(), "en") == \
            "No staff declared (threshold: 12)"
        assert i18n.say(Refusal("x", "Intercommunalité inconnue : %(code)s.", code="12"), "en") == \
            "Unknown intermunicipal body: 12."
        assert i18n.say("Orchies", "en") == "Orchies" and i18n.say(None) == ""
    assert i18n.say(refusal) == refusal.message  # outside the application: French


def test_a_plural_writes_its_count_as_the_language_writes_numbers(app):
    """Templates and the Python side (flashes) alike: `%(num)d` and `%(num)s` both."""
    from flask_babel import force_locale

    page = app.jinja_env.from_string(
        '{{ ngettext("%(num)d ligne comprise", "%(num)d lignes comprises", n) }}')
    with app.test_request_context("/"):
        for locale, rows, needs in (
                ("fr", "1\u202f234 lignes comprises", "12\u202f000 besoins importés depuis « a.csv »."),
                ("en", "1,234 rows understood", "12,000 needs imported from “a.csv”.")):
            with force_locale(locale):
                assert page.render(n=1234) == rows
                assert i18n.ngettext("%(num)s besoin importé depuis « %(file)s ».",
                                     "%(num)s besoins importés depuis « %(file)s ».", 12000,
                                     file="a.csv") == needs
        with force_locale("fr"):
            assert page.render(n=1) == "1 ligne comprise"
            assert i18n.counted("%(num)d sur %(total)s", 1500) == "1\u202f500 sur %(total)s"


@pytest.fixture
def logged_in_english(client, facilitator):
    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    client.get("/langue/en")
    return client


SETTINGS = {"dot_budget": "5", "max_dots_per_need": "3", "weighting": "participant"}


def test_refusals_and_form_errors_are_said_in_english_when_chosen(logged_in_english, db, seance):
    settings = f"/seances/{seance.id}/reglages"
    refused = page(logged_in_english.post(settings, data={**SETTINGS, "max_dots_per_need": "9"}))
    assert "The maximum number of dots per need cannot exceed the budget." in refused
    assert "ne peut pas dépasser" not in refused
    invalid = page(logged_in_english.post(settings, data={**SETTINGS, "dot_budget": "beaucoup"}))
    assert "Enter a whole number." in invalid and "Entrez un nombre entier." not in invalid

    perimeter = page(logged_in_english.post("/perimetres/nouveau",
                                            data={"name": "X", "epci_codes": ["000000000"]}))
    assert "Unknown intermunicipal body: 000000000." in perimeter
    too_long = page(logged_in_english.post("/perimetres/nouveau",
                                           data={"name": "x" * 300, "epci_codes": ["000000000"]}))
    assert "Text too long (200 characters at most)." in too_long

    members, htmx = f"/perimetres/{seance.perimetre_id}/membres", {"HX-Request": "true"}
    orchies = factories.collectivite_id(db, seance, "Orchies")
    again = page(logged_in_english.post(members, data={"collectivite_id": orchies}, headers=htmx))
    assert "Orchies is already part of the perimeter." in again
    lille = db.exec(select(Collectivite).where(Collectivite.name == "Lille")).one()
    added = page(logged_in_english.post(members, data={"collectivite_id": lille.id}, headers=htmx))
    assert "Lille added to the perimeter." in added


def test_refusals_and_form_errors_are_french_by_default(logged_in, seance):
    settings = f"/seances/{seance.id}/reglages"
    refused = page(logged_in.post(settings, data={**SETTINGS, "max_dots_per_need": "9"}))
    assert "Le nombre maximal de gommettes par besoin ne peut pas dépasser le budget." in refused
    invalid = page(logged_in.post(settings, data={**SETTINGS, "dot_budget": "beaucoup"}))
    assert "Entrez un nombre entier." in invalid
    perimeter = page(logged_in.post("/perimetres/nouveau", data={"name": "X", "epci_codes": ["000000000"]}))
    assert "Intercommunalité inconnue : 000000000." in perimeter


def test_the_plan_and_the_thresholds_are_said_in_english_when_chosen(logged_in_english, db, seance):
    from workshop.services import board

    factories.phase(db, seance, "recueil")
    conflicts = factories.need(db, seance, "Gestion des conflits", "mgt-encadrement-proximite")
    few = factories.need(db, seance, "Accueil des publics", "acc-accueil-public")
    for name, agents in (("Orchies", 20), ("Cysoing", 15)):
        board.declare(db, seance, factories.participant(db, seance, name), conflicts.id, 2027, agents)
    board.declare(db, seance, factories.participant(db, seance, "Templeuve-en-Pévèle"), few.id, 2027, 2)

    plan = page(logged_in_english.get(f"/seances/{seance.id}/plan/"))
    assert "2027: year asked" in plan
    assert "35 trainees in 2 groups, threshold of" in plan and "funded by the contribution" in plan
    assert "2027: 2 trainees" in plan and "no demand in 2028 to make it up" in plan
    assert "trainees missing to reach" in plan
    assert "année demandée" not in plan and "stagiaires manquants" not in plan

    board_page = page(logged_in_english.get(f"/seances/{seance.id}/pilotage"))
    assert "Threshold of" in board_page and "reached in 2027" in board_page
    assert "Seuil de" not in board_page

    logged_in_english.get("/langue/fr")
    french = page(logged_in_english.get(f"/seances/{seance.id}/plan/"))
    assert "2027 : année demandée" in french and "stagiaires manquants pour atteindre" in french
