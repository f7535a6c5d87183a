"""The reference data as loaded: the facts DOMAIN.md checked in the source."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.factories import FLANDRE_LYS
from workshop.models import Collectivite, EpciMember, Theme
from workshop.services import reference


def count(db, statement) -> int:
    return db.exec(statement).one()


def epci_in(db, departement: str) -> int:
    """EPCI with at least one member commune in the departement."""
    return count(db, select(func.count(func.distinct(EpciMember.epci_id)))
                 .join(Collectivite, Collectivite.id == EpciMember.commune_id)
                 .where(Collectivite.departement == departement))


def test_nord_and_pas_de_calais_counts(db):
    communes = select(func.count()).select_from(Collectivite).where(Collectivite.kind == "commune")
    assert count(db, communes.where(Collectivite.departement == "59")) == 647
    assert count(db, communes.where(Collectivite.departement == "62")) == 887
    assert epci_in(db, "59") == 17
    assert epci_in(db, "62") == 20


def test_flandre_lys_straddles_both_departements(db):
    epci = db.exec(select(Collectivite).where(Collectivite.code == FLANDRE_LYS)).one()
    assert epci.name == "CC Flandre Lys"
    departements = set(db.exec(
        select(Collectivite.departement).join(EpciMember, EpciMember.commune_id == Collectivite.id)
        .where(EpciMember.epci_id == epci.id)))
    assert departements == {"59", "62"}


def test_every_commune_belongs_to_exactly_one_epci(db):
    per_commune = db.exec(select(EpciMember.commune_id, func.count())
                          .group_by(EpciMember.commune_id)).all()
    communes = count(db, select(func.count()).select_from(Collectivite)
                     .where(Collectivite.kind == "commune"))
    assert len(per_commune) == communes
    assert {n for _, n in per_commune} == {1}


def test_reloading_the_seeds_changes_nothing(db):
    before = count(db, select(func.count()).select_from(Collectivite))
    members = count(db, select(func.count()).select_from(EpciMember))
    assert reference.load_territories(db)["added"] == 0
    assert reference.load_themes(db)["added"] == 0
    assert count(db, select(func.count()).select_from(Collectivite)) == before
    assert count(db, select(func.count()).select_from(EpciMember)) == members


def test_theme_catalogue_rules(db):
    themes = {t.code: t for t in db.exec(select(Theme))}
    assert len(themes) >= 25
    assert themes["hs-caces"].financing == "payant"
    assert themes["hs-f3sct"].financing == "payant"
    assert themes["pm-armement"].financing == "payant"
    assert all(t.financing_reason for t in themes.values())
    assert {t.threshold for t in themes.values()} >= {12, 13, 15}
    assert all(t.threshold <= t.max_group for t in themes.values())
    assert themes["hs-caces"].recurrence_years == 5


def test_a_broken_seed_file_is_refused_before_writing(db, tmp_path):
    bad = tmp_path / "territories.json"
    bad.write_text('{"communes": [], "epci": [{"code": "1", "nom": "X", "type": "CC", '
                   '"departements": ["59"], "membres": ["99999"]}]}')
    before = count(db, select(func.count()).select_from(Collectivite))
    try:
        reference.load_territories(db, bad)
    except reference.SeedError as error:
        assert "99999" in str(error)
    else:
        raise AssertionError("a seed with unknown members must be refused")
    assert count(db, select(func.count()).select_from(Collectivite)) == before


def test_a_dropped_theme_stays_inactive(db, tmp_path):
    catalogue = tmp_path / "themes.toml"
    catalogue.write_text(
        'version = 1\n[[theme]]\ncode = "hs-caces"\nname = "CACES"\ndomain = "HS"\n'
        'threshold = 12\nmax_group = 12\ndays = 3\nfinancing = "payant"\n'
        'financing_reason = "Payant."\nrecurrence_years = 5\npoolable = false\nsynonyms = []\n')
    reference.load_themes(db, catalogue)
    themes = {t.code: t for t in db.exec(select(Theme))}
    assert themes["hs-caces"].active
    assert not themes["rh-rps"].active


def _one_theme(**fields) -> str:
    base = {"code": "hs-caces", "name": "CACES", "domain": "HS", "threshold": 12, "max_group": 12,
            "days": 3, "financing": "payant", "financing_reason": "Payant.", "recurrence_years": 5,
            "poolable": False, "synonyms": []}
    base.update(fields)

    def toml(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return repr(v).replace("'", '"') if not isinstance(v, str) else f'"{v}"'

    return "version = 1\n[[theme]]\n" + "".join(f"{k} = {toml(v)}\n" for k, v in base.items())


@pytest.mark.parametrize("field, value", [
    ("threshold", 0), ("max_group", 10), ("days", -2), ("days", 0), ("financing", "gratuit"),
    ("kind", "loisirs"), ("cost_per_day", -5), ("recurrence_years", -1), ("threshold", 1.5),
])
def test_impossible_theme_figures_are_refused_naming_theme_and_field(db, tmp_path, field, value):
    """Issue 17, rule 5: max 10 under threshold 12, threshold 0, negative days..."""
    catalogue = tmp_path / "themes.toml"
    catalogue.write_text(_one_theme(**{field: value}), encoding="utf-8")
    before = {t.code: (t.threshold, t.max_group, t.days) for t in db.exec(select(Theme))}
    with pytest.raises(reference.SeedError) as refused:
        reference.load_themes(db, catalogue)
    assert "hs-caces" in str(refused.value) and f"champ {field}" in str(refused.value)
    db.rollback()
    assert {t.code: (t.threshold, t.max_group, t.days) for t in db.exec(select(Theme))} == before


def test_the_engine_cannot_be_given_a_zero_threshold():
    from workshop.domain.planning import ThemeRule

    with pytest.raises(ValueError, match="champ threshold"):
        ThemeRule("x", "X", 0, 10, 1, "cotisation", "")
    with pytest.raises(ValueError, match="champ max_group"):
        ThemeRule("x", "X", 15, 10, 1, "cotisation", "")
    with pytest.raises(ValueError, match="champ days"):
        ThemeRule("x", "X", 15, 20, -2, "cotisation", "")


def test_the_catalogue_follows_its_sources():
    """Issue 17, rule 6 (sources in seeds/README.md)."""
    import tomllib

    from workshop.domain.planning import ThemeRule

    themes = {t["code"]: t for t in tomllib.loads(
        (reference.SEEDS / "themes.toml").read_text(encoding="utf-8"))["theme"]}
    for t in themes.values():  # every theme can be built by the engine
        ThemeRule(t["code"], t["name"], t["threshold"], t["max_group"], t["days"], t["financing"],
                  t["financing_reason"], t["recurrence_years"], t["poolable"], t["kind"],
                  t["cost_per_day"], t["renewal_days"])
        assert len(t["name"]) <= 60
        assert (t["cost_per_day"] > 0) == (t["financing"] == "payant"), t["code"]
    sst, mac = themes["hs-sst"], themes["hs-mac-sst"]
    assert sst["max_group"] == 10 and 4 <= sst["threshold"] <= 10  # INRS: 4 to 10 trainees
    assert (sst["recurrence_years"], sst["renewal_days"]) == (2, 1)  # MAC SST: 1 day / 2 years
    assert (mac["days"], mac["recurrence_years"]) == (1, 2)
    assert "psc1" not in sst["synonyms"] and "psc1" in themes["hs-psc1"]["synonyms"]
    assert (themes["pm-fco"]["days"], themes["pm-fco"]["recurrence_years"]) == (10, 5)
    assert (themes["pm-fco-chefs"]["days"], themes["pm-fco-chefs"]["recurrence_years"]) == (10, 3)
    arms = themes["pm-armement"]
    assert arms["recurrence_years"] == 1 and arms["days"] >= 2 and arms["max_group"] <= 6
    assert themes["trans-fimo"]["days"] == 20 and themes["trans-fimo"]["recurrence_years"] == 0
    assert (themes["trans-fimo-fco"]["days"], themes["trans-fimo-fco"]["recurrence_years"]) == (5, 5)
    assert themes["hs-caces-r482"]["recurrence_years"] == 10
    prevention = themes["hs-assistant-prevention-continue"]
    assert (prevention["days"], prevention["renewal_days"], prevention["recurrence_years"]) == (2, 1, 1)
    for code in ("num-bureautique", "hs-gestes-postures"):
        assert themes[code]["max_group"] > themes[code]["threshold"]
    kinds = {t["kind"] for t in themes.values()}
    assert kinds == {"integration", "professionnalisation", "perfectionnement", "concours",
                     "sante_securite"}
    header = (reference.SEEDS / "themes.toml").read_text(encoding="utf-8").split("version")[0]
    assert "/work/" not in header and "Accompagnement à l'élaboration des plans de formation" in header
