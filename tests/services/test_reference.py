"""The reference data as loaded: the facts DOMAIN.md checked in the source."""

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
