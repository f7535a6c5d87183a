"""The JSON re-import written in slices: the séance stays hidden until its last slice, and a
failed or cancelled import leaves none of its rows."""

import pytest
from sqlmodel import Session, func, select

from tests import factories
from workshop.exports import json_seance
from workshop.models import Collectivite, Demand, Need, Participant, Perimetre, Seance, Vote, utcnow
from workshop.services import seances


@pytest.fixture
def seance(db, facilitator):
    return factories.populated_seance(db, facilitator)


def big_export(db, seance, needs: int, people: int) -> dict:
    """The séance's export grown to `needs` needs and `people` participants, each voting on
    two needs and declaring agents on one (what a big séance exports), plus a member that
    the import creates (no INSEE code)."""
    data = json_seance.dump(db, seance)
    theme = data["needs"][0]["theme"]
    new_ref = f"c{len(data['perimetre']['members']) + 1}"
    data["perimetre"]["members"].append({"ref": new_ref, "code": None, "name": "Syndicat des eaux",
                                         "kind": "syndicat"})
    members = [m["ref"] for m in data["perimetre"]["members"]]
    data["participants"] = [{"ref": f"p{i}", "collectivite": members[i % len(members)], "role": "agent",
                             "proxy": False} for i in range(people)]
    data["needs"] = [{"ref": f"n{i}", "theme": theme, "title": f"Action {i}", "details": "",
                      "source": "participant", "author": f"p{i % people}", "hidden": False,
                      "merged_into": "n0" if i == needs - 1 else None, "kind": None, "pool_years": None}
                     for i in range(needs)]
    data["demands"] = [{"need": f"n{i % needs}", "collectivite": members[i % len(members)], "year": 2027,
                        "agents": 2, "category": "B"} for i in range(people)]
    data["votes"] = [{"participant": f"p{i}", "need": f"n{(i + k) % needs}", "dots": 1}
                     for i in range(people) for k in range(2)]
    data["plan_adjustments"] = []
    return data


def counts(db) -> dict:
    db.expire_all()
    return {m.__name__: db.exec(select(func.count()).select_from(m)).one()
            for m in (Seance, Perimetre, Collectivite, Participant, Need, Demand, Vote)}


def test_a_big_import_is_written_in_slices_hidden_until_its_last(db, seance, facilitator, app):
    data = big_export(db, seance, needs=1200, people=700)
    before = counts(db)
    seen = []
    engine = app.extensions["workshop.engine"]

    def progress(percent, step):
        # Another connection sees each slice once written, and the séance hidden meanwhile.
        with Session(engine) as other:
            hidden = other.exec(select(Seance).where(Seance.title == seance.title,
                                                     Seance.id != seance.id)).first()
            seen.append((percent, str(step), other.exec(select(func.count()).select_from(Need)).one(),
                         hidden.importing, seances.by_join_code(other, hidden.join_code),
                         [r.seance.id for r in seances.owned(other, facilitator.id)]))

    result = json_seance.load(db, data, facilitator.id, progress)
    assert isinstance(result, Seance) and not result.importing
    assert len(seen) > 8  # 700 + 1,200 + 700 + 1,400 rows in slices of 500
    assert [p for p, *_ in seen] == sorted(p for p, *_ in seen)
    assert seen[-1][1].startswith("Écriture de la séance…")
    needs_seen = [n for _, _, n, *_ in seen]
    assert needs_seen[0] < needs_seen[-1]  # the needs arrived slice after slice, each committed
    assert all(importing and joined is None and result.id not in mine
               for *_, importing, joined, mine in seen)
    after = counts(db)
    assert after["Need"] - before["Need"] == 1200 and after["Vote"] - before["Vote"] == 1400
    assert after["Collectivite"] - before["Collectivite"] == 1  # the member without a code
    assert result.id in [r.seance.id for r in seances.owned(db, facilitator.id)]
    assert db.exec(select(Need).where(Need.seance_id == result.id, Need.title == "Action 1199")
                   ).one().merged_into_id is not None


class Stop(Exception):
    pass


def test_an_import_stopped_midway_leaves_none_of_its_rows(db, seance, facilitator):
    data = big_export(db, seance, needs=1200, people=700)
    before = counts(db)
    calls = []

    def progress(percent, step):
        calls.append(percent)
        if len(calls) == 5:  # cancelled by the facilitator after some slices were committed
            raise Stop

    with pytest.raises(Stop):
        json_seance.load(db, data, facilitator.id, progress)
    assert counts(db) == before


def test_duplicates_are_refused_before_anything_is_written(db, seance, facilitator):
    data = big_export(db, seance, needs=20, people=10)
    data["votes"].append(dict(data["votes"][0]))
    before = counts(db)
    assert json_seance.load(db, data, facilitator.id).code == "import_incoherent"
    assert counts(db) == before


def test_a_reimport_lands_in_the_same_perimeter_never_a_copy(db, seance, facilitator):
    """The tester's case: each re-import of a séance made another "Pévèle-Carembault", which
    pooling then offered to pool with itself. The facilitator's perimeter with the same name
    and collectivités is reused; with other collectivités the new one is named apart."""
    data = json_seance.dump(db, seance)
    before = counts(db)
    first, second = (json_seance.load(db, json_seance.dump(db, seance), facilitator.id) for _ in range(2))
    assert first.perimetre_id == second.perimetre_id == seance.perimetre_id
    after = counts(db)
    assert (after["Perimetre"], after["Collectivite"]) == (before["Perimetre"], before["Collectivite"])
    assert factories.events(db, first, "seance.imported")[0].payload["perimetre_reused"] is True
    # A member added by hand (no code): another perimeter, named apart; imported again, reused.
    data["perimetre"]["members"].append({"ref": "c999", "code": None, "name": "CCAS d'Orchies",
                                         "kind": "ccas"})
    grown = json_seance.load(db, data, facilitator.id)
    again = json_seance.load(db, data, facilitator.id)
    name = db.get(Perimetre, seance.perimetre_id).name
    assert grown.perimetre_id == again.perimetre_id != seance.perimetre_id
    assert db.get(Perimetre, grown.perimetre_id).name == f"{name} (import du {utcnow():%d/%m/%Y})"
    assert counts(db)["Collectivite"] == before["Collectivite"] + 1  # the CCAS, once
    # Another facilitator's import makes their own perimeter, with the file's name.
    other = factories.facilitator(db)
    theirs = json_seance.load(db, json_seance.dump(db, seance), other.id)
    assert db.get(Perimetre, theirs.perimetre_id).name == name and theirs.perimetre_id != seance.perimetre_id
def merged_file(db, seance, links: dict) -> dict:
    """The séance's export with its needs' `merged_into` set as `links` says (ref -> ref)."""
    data = json_seance.dump(db, seance)
    for need in data["needs"]:
        need["merged_into"] = links.get(need["ref"])
    return data


@pytest.mark.parametrize("links", [
    {"n1": "n1"},  # merged into itself
    {"n1": "n2", "n2": "n1"},  # a cycle
    {"n3": "n1", "n1": "n2", "n2": "n1"},  # a chain running into a cycle
])


def test_impossible_merges_are_refused_and_nothing_is_written(db, seance, facilitator, links):
    """Issue 14 (tester): such needs would vanish for good; the file is refused in French."""
    data = merged_file(db, seance, links)
    assert len(data["needs"]) >= 3
    before = counts(db)
    result = json_seance.load(db, data, facilitator.id)
    assert result.code == "regroupement_en_boucle"
    first = next(n for n in data["needs"] if n["ref"] in links)
    assert result.message == (f"Ce fichier contient un regroupement impossible : le besoin "
                           f"« {first['title']} » ({first['ref']}) est regroupé dans lui-même, "
                           "directement ou par une boucle de besoins regroupés les uns dans les "
                           "autres. Rien n'a été importé.")
    assert counts(db) == before


def test_a_chain_of_merges_is_flattened(db, seance, facilitator):
    """Nested merges (n3 into n2, n2 into n1) import with both merged straight into n1, the
    need their figures are on: each is shown merged into a need on the board."""
    data = merged_file(db, seance, {"n3": "n2", "n2": "n1"})
    titles = {n["ref"]: n["title"] for n in data["needs"]}
    result = json_seance.load(db, data, facilitator.id)
    assert isinstance(result, Seance)
    needs = {n.title: n for n in db.exec(select(Need).where(Need.seance_id == result.id))}
    kept = needs[titles["n1"]]
    assert needs[titles["n2"]].merged_into_id == kept.id
    assert needs[titles["n3"]].merged_into_id == kept.id
    assert kept.merged_into_id is None
