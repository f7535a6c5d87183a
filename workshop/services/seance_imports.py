"""A séance re-created from its export (docs/export-format.md): the writes of the import.

The file's shape and references are checked by `exports/json_seance.load`;
here the séance, its perimeter, people, needs, figures and votes are written
in one transaction with their `seance.imported` event, or nothing is.
"""

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workshop.domain import codes
from workshop.domain.rules import Refusal
from workshop.domain.text import search_key
from workshop.models import (
    Collectivite,
    Demand,
    Need,
    Participant,
    Perimetre,
    PerimetreMember,
    PlanAdjustment,
    Seance,
    Theme,
    Vote,
    utcnow,
)
from workshop.services import events
from workshop.services.board import fitting


def create(db: Session, data: dict, owner_id: int) -> Seance | Refusal:
    """`data`: an export already checked against its schema and its references."""
    themes = {t.code: t for t in db.exec(select(Theme))}
    unknown = sorted({n["theme"] for n in data["needs"]} - themes.keys())
    if unknown:
        return Refusal("theme_inconnu", "Thèmes absents du catalogue de cette instance : %(codes)s.",
                       codes=", ".join(unknown))
    try:
        return _create(db, data, owner_id, themes)
    except IntegrityError:
        db.rollback()
        return Refusal("import_incoherent", "Ce fichier contient des doublons incohérents "
                                            "(un même effectif ou vote deux fois).")


def _create(db: Session, data: dict, owner_id: int, themes: dict) -> Seance:
    c_id: dict[str, int] = {}
    for m in data["perimetre"]["members"]:
        found = db.exec(select(Collectivite).where(Collectivite.code == m["code"])).first() \
            if m["code"] else None
        if found is None:
            found = Collectivite(name=m["name"], kind=m["kind"], code=None, created_by_id=owner_id,
                                 search_key=search_key(m["name"]))
            db.add(found)
            db.flush()
        c_id[m["ref"]] = found.id
    perimetre = Perimetre(name=data["perimetre"]["name"], owner_id=owner_id,
                          coordinator_id=c_id.get(data["perimetre"]["coordinator"]))
    db.add(perimetre)
    db.flush()
    db.add_all(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=i)
               for i in dict.fromkeys(c_id.values()))
    s = data["seance"]
    seance = Seance(perimetre_id=perimetre.id, owner_id=owner_id, title=s["title"],
                    held_on=date.fromisoformat(s["held_on"]), horizon_start=s["horizon_start"],
                    horizon_years=s["horizon_years"], dot_budget=s["dot_budget"],
                    max_dots_per_need=s["max_dots_per_need"], weighting=s["weighting"],
                    tallies_visible=s["tallies_visible"], phase=s["phase"],
                    closed_at=utcnow() if s["closed"] else None, plan_capacity=s["plan_capacity"],
                    theme_costs=s.get("theme_costs", {}),
                    join_code=codes.new_join_code(), screen_token=codes.new_secret())
    db.add(seance)
    db.flush()
    p_id: dict[str, int] = {}
    for p in data["participants"]:
        person = Participant(seance_id=seance.id, collectivite_id=c_id[p["collectivite"]],
                             role=p["role"], is_proxy=p["proxy"], token=codes.new_secret())
        db.add(person)
        db.flush()
        p_id[p["ref"]] = person.id
    n_id: dict[str, int] = {}
    rows = {}
    for n in data["needs"]:
        need = Need(seance_id=seance.id, theme_id=themes[n["theme"]].id, title=n["title"],
                    details=n["details"], source=n["source"], author_id=p_id.get(n["author"]),
                    hidden=n["hidden"], kind=n.get("kind"), pool_years=n.get("pool_years"))
        db.add(need)
        db.flush()
        n_id[n["ref"]], rows[n["ref"]] = need.id, need
    for n in data["needs"]:
        if n["merged_into"]:
            rows[n["ref"]].merged_into_id = n_id[n["merged_into"]]
    db.add_all(Demand(need_id=n_id[d["need"]], collectivite_id=c_id[d["collectivite"]],
                      year=d["year"], agents=d["agents"], category=d.get("category"))
               for d in data["demands"])
    db.add_all(Vote(seance_id=seance.id, participant_id=p_id[v["participant"]],
                    need_id=n_id[v["need"]], dots=v["dots"]) for v in data["votes"])
    for a in data["plan_adjustments"]:
        key = _stored_key(a["line"], n_id)
        db.add(PlanAdjustment(seance_id=seance.id, line_key=key, pin_year=a["pin_year"],
                              host_id=c_id.get(a["host"]), split=a["split"]))
    events.record(db, "seance.imported", events.facilitator_actor(owner_id), seance_id=seance.id,
                  perimetre_id=perimetre.id, needs=len(n_id), participants=len(p_id),
                  original_events=len(data.get("events", [])))
    # A file's dots above the budget or the cap (an older export, a hand-edited file) go
    # back, with their `vote.returned` rows: the room's invariants hold from the start.
    fitting.refit(db, seance, events.facilitator_actor(owner_id),
                  fitting.returned_for("settings", seance))
    db.commit()
    return seance


def _stored_key(key: str, need_ids: dict[str, int]) -> str:
    """The file's line key (`n3:2027`) with this instance's need id (`412:2027`)."""
    ref, colon, rest = key.partition(":")
    return f"{need_ids.get(ref, ref)}{colon}{rest}"
