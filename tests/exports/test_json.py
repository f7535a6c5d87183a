"""The JSON export: valid against its schema, and re-imported to an identical séance."""

import copy

import jsonschema

from tests import factories
from workshop.exports import json_seance
from workshop.models import Seance
from workshop.services import plan as plan_service


def comparable(data: dict) -> dict:
    """What must survive a round trip (the log and the export time are the record of the source)."""
    data = copy.deepcopy(data)
    data.pop("exported_at")
    data.pop("events")
    return data


def test_export_is_valid_against_its_schema(db, seance):
    data = json_seance.dump(db, seance)
    jsonschema.validate(data, json_seance.SCHEMA)
    assert data["format"] == "workshop-seance" and data["version"] == 1
    assert len(data["needs"]) == 8 and len(data["participants"]) == 12
    assert all("token" not in p for p in data["participants"])  # no secrets leave the instance
    assert data["events"] and data["events"][0]["kind"] == "seance.created"


def test_round_trip_gives_an_identical_seance(db, seance, facilitator):
    # Some facilitator work too: a merge, a hidden need, a pin, a capacity.
    from workshop.services import board

    snapshot = board.snapshot(db, seance)
    first, second, third = [v.need.id for v in snapshot.needs[:3]]
    board.merge(db, seance, first, second, facilitator.id)
    board.set_hidden(db, seance, third, True, facilitator.id)
    plan_service.set_capacity(db, seance, {2027: 30}, facilitator.id)
    line = plan_service.build(db, seance)[0].lines
    if line:
        plan_service.pin(db, seance, line[0].key, 2029, facilitator.id)

    exported = json_seance.dump(db, seance)
    other = factories.facilitator(db)
    imported = json_seance.load(db, copy.deepcopy(exported), other.id)
    assert isinstance(imported, Seance)
    assert imported.id != seance.id and imported.join_code != seance.join_code
    again = json_seance.dump(db, imported)
    assert comparable(again) == comparable(exported)
    assert [e["kind"] for e in again["events"]] == ["seance.imported"]
    # The same plan comes out of both.
    original, _ = plan_service.build(db, seance)
    copy_, _ = plan_service.build(db, imported)
    assert [(ln.title, ln.year, ln.total) for ln in original.all_lines] == \
        [(ln.title, ln.year, ln.total) for ln in copy_.all_lines]


def test_broken_files_are_refused_and_change_nothing(db, seance, facilitator):
    good = json_seance.dump(db, seance)
    count = len(db.exec(__import__("sqlmodel").select(Seance)).all())
    cases = {
        "not an export": ({"hello": "world"}, "fichier_invalide"),
        "bad version": ({**good, "version": 2}, "fichier_invalide"),
        "unknown theme": ({**good, "needs": [{**good["needs"][0], "theme": "inconnu"}],
                           "demands": [], "votes": []}, "theme_inconnu"),
        "dangling ref": ({**good, "votes": [{"participant": "p999", "need": "n1", "dots": 1}]},
                         "reference_inconnue"),
        "huge title": ({**good, "seance": {**good["seance"], "title": "x" * 5000}}, "fichier_invalide"),
        "negative agents": ({**good, "demands": [{**good["demands"][0], "agents": -4}]},
                            "fichier_invalide"),
    }
    for name, (data, code) in cases.items():
        result = json_seance.load(db, data, facilitator.id)
        assert getattr(result, "code", None) == code, name
        assert result.message, name
    assert len(db.exec(__import__("sqlmodel").select(Seance)).all()) == count


def test_an_imported_file_above_the_budget_or_cap_gives_the_dots_back(db, seance, facilitator):
    """A hand-edited (or older) file cannot bring a participant above the budget or the cap
    (issue 14, item 1): the dots that do not fit go back, with their event rows."""
    from sqlmodel import select

    from workshop.models import Vote

    exported = json_seance.dump(db, seance)
    person = exported["participants"][0]["ref"]
    mine = [v for v in exported["votes"] if v["participant"] == person]
    others = [n["ref"] for n in exported["needs"] if n["ref"] not in {v["need"] for v in mine}
              and not n["hidden"] and not n["merged_into"]]
    exported["votes"] = [v for v in exported["votes"] if v["participant"] != person] + \
        [{"participant": person, "need": ref, "dots": 4} for ref in others[:3]]  # 12 > 5, 4 > 3
    imported = json_seance.load(db, exported, factories.facilitator(db).id)
    assert isinstance(imported, Seance)
    by_person: dict[int, list[int]] = {}
    for vote in db.exec(select(Vote).where(Vote.seance_id == imported.id, Vote.dots > 0)):
        by_person.setdefault(vote.participant_id, []).append(vote.dots)
    assert all(sum(d) <= imported.dot_budget and max(d) <= imported.max_dots_per_need
               for d in by_person.values())
    [returned] = factories.events(db, imported, "vote.returned")
    assert sum(returned.payload["returned"].values()) == 12 - 5
