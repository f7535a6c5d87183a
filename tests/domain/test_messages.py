"""Texts for people: a French msgid and its params, French by str(), translatable by anyone."""

from workshop.domain.messages import joined, msg, nmsg
from workshop.domain.rules import Refusal


class Upper:
    """A stand-in catalogue: it shows which texts went through it."""

    def gettext(self, message):
        return message.upper().replace("%(N)S", "%(n)s").replace("%(WHO)S", "%(who)s")

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


def test_str_is_the_french_text_with_its_params():
    assert str(msg("Besoin inconnu.")) == "Besoin inconnu."
    assert str(msg("Seuil de %(t)s atteint en %(y)s", t=12, y=2028)) == "Seuil de 12 atteint en 2028"


def test_the_french_plural_starts_above_one():
    said = [str(nmsg("%(n)s stagiaire", "%(n)s stagiaires", n)) for n in (0, 1, 2)]
    assert said == ["0 stagiaire", "1 stagiaire", "2 stagiaires"]


def test_params_that_are_texts_are_translated_too():
    sentence = joined([msg("%(who)s en %(n)s groupes", who=nmsg("%(n)s stagiaire", "%(n)s stagiaires", 3),
                           n=2), "Orchies"], msg(" ; "))
    assert str(sentence) == "3 stagiaires en 2 groupes ; Orchies"
    # The name is data: said as it is; every msgid goes through the catalogue.
    assert sentence.render(Upper()) == "3 STAGIAIRES EN 2 GROUPES ; Orchies"


def test_a_template_is_filled_where_it_is_used():
    template = msg("Texte trop long (%(max_length)s caractères au plus).")
    assert str(template.with_params(max_length=200, other="ignored")) == \
        "Texte trop long (200 caractères au plus)."
    assert template.params == {}


def test_a_refusal_keeps_its_msgid_and_says_french():
    refusal = Refusal("epci_inconnu", "Intercommunalité inconnue : %(code)s.", "epci_codes", code="123")
    assert refusal.message == "Intercommunalité inconnue : 123."
    assert refusal.why == msg("Intercommunalité inconnue : %(code)s.", code="123")
    assert (refusal.code, refusal.field) == ("epci_inconnu", "epci_codes")
    assert refusal == Refusal("epci_inconnu", "Intercommunalité inconnue : %(code)s.", "epci_codes",
                              code="123")
    counted = Refusal("budget_epuise", nmsg("il reste %(n)s gommette", "il reste %(n)s gommettes", 2))
    assert counted.message == "il reste 2 gommettes" and counted.field is None


def test_counts_are_grouped_as_the_language_groups_them_and_years_are_not():
    sentence = msg("%(trainees)s en %(year)s", trainees=nmsg("%(n)s stagiaire", "%(n)s stagiaires",
                                                              1234), year=2027)
    assert str(sentence) == "1\u202f234 stagiaires en 2027"

    class English:
        gettext = staticmethod(lambda message: message.replace(" en ", " in "))
        ngettext = staticmethod(lambda singular, plural, n: "%(n)s trainees")
        number = staticmethod(lambda n: f"{n:,}")

    assert sentence.render(English()) == "1,234 trainees in 2027"
