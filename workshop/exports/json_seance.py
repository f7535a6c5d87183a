"""The whole séance as JSON (docs/export-format.md), and its re-import into another instance.

References inside the file are local (`c1`, `p1`, `n1`), never database ids:
collectivités are matched by their INSEE/SIREN code on import, or created
when they were added by hand; participants get new secret tokens; the séance
gets a new join code and screen link.
"""

import json
from pathlib import Path

import jsonschema
from sqlmodel import Session, select

from workshop.domain.messages import msg
from workshop.domain.planning import LineKey
from workshop.domain.rules import Refusal
from workshop.models import (
    Collectivite,
    Demand,
    Event,
    Need,
    Participant,
    Perimetre,
    PlanAdjustment,
    Seance,
    Theme,
    Vote,
    utcnow,
)
from workshop.services import perimetres, seance_imports

FORMAT, VERSION = "workshop-seance", 1
SCHEMA = json.loads((Path(__file__).with_name("seance.schema.json")).read_text(encoding="utf-8"))


def _line_key(key: str, need_refs: dict[int, str]) -> str:
    """A stored key with the file's need reference (`n3:2027`); a key no line can have as is."""
    parsed = LineKey.parse(key)
    if parsed is None or parsed.need_id not in need_refs:
        return key
    return parsed.replace_need(need_refs[parsed.need_id])


def dump(db: Session, seance: Seance) -> dict:
    perimetre = db.get(Perimetre, seance.perimetre_id)
    members = perimetres.members(db, perimetre.id)
    c_ref = {m.id: f"c{i}" for i, m in enumerate(members, 1)}
    people = db.exec(select(Participant).where(Participant.seance_id == seance.id)
                     .order_by(Participant.id)).all()
    for person in people:  # a participant whose collectivité left the perimeter afterwards
        if person.collectivite_id not in c_ref:
            extra = db.get(Collectivite, person.collectivite_id)
            members.append(extra)
            c_ref[extra.id] = f"c{len(c_ref) + 1}"
    p_ref = {p.id: f"p{i}" for i, p in enumerate(people, 1)}
    needs = db.exec(select(Need, Theme).join(Theme).where(Need.seance_id == seance.id)
                    .order_by(Need.id)).all()
    n_ref = {n.id: f"n{i}" for i, (n, _) in enumerate(needs, 1)}
    demands = db.exec(select(Demand).join(Need).where(Need.seance_id == seance.id)
                      .order_by(Demand.need_id, Demand.collectivite_id, Demand.year)).all()
    votes = db.exec(select(Vote).where(Vote.seance_id == seance.id)
                    .order_by(Vote.participant_id, Vote.need_id)).all()
    adjustments = db.exec(select(PlanAdjustment).where(PlanAdjustment.seance_id == seance.id)
                          .order_by(PlanAdjustment.line_key)).all()
    log = db.exec(select(Event).where(Event.seance_id == seance.id).order_by(Event.id)).all()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "perimetre": {
            "name": perimetre.name,
            "coordinator": c_ref.get(perimetre.coordinator_id),
            "members": [{"ref": c_ref[m.id], "code": m.code, "name": m.name, "kind": m.kind}
                        for m in members],
        },
        "seance": {
            "title": seance.title, "held_on": seance.held_on.isoformat(),
            "horizon_start": seance.horizon_start, "horizon_years": seance.horizon_years,
            "dot_budget": seance.dot_budget, "max_dots_per_need": seance.max_dots_per_need,
            "weighting": seance.weighting, "tallies_visible": seance.tallies_visible,
            "phase": seance.phase, "closed": seance.closed_at is not None,
            "plan_capacity": {str(k): int(v) for k, v in (seance.plan_capacity or {}).items()},
            "theme_costs": {str(k): float(v) for k, v in (seance.theme_costs or {}).items()},
        },
        "participants": [{"ref": p_ref[p.id], "collectivite": c_ref[p.collectivite_id],
                          "role": p.role, "proxy": p.is_proxy} for p in people],
        "needs": [{"ref": n_ref[n.id], "theme": t.code, "title": n.title, "details": n.details,
                   "source": n.source, "author": p_ref.get(n.author_id), "hidden": n.hidden,
                   "merged_into": n_ref.get(n.merged_into_id), "kind": n.kind,
                   "pool_years": n.pool_years} for n, t in needs],
        "demands": [{"need": n_ref[d.need_id], "collectivite": c_ref[d.collectivite_id],
                     "year": d.year, "agents": d.agents, "category": d.category} for d in demands],
        "votes": [{"participant": p_ref[v.participant_id], "need": n_ref[v.need_id],
                   "dots": v.dots} for v in votes],
        "plan_adjustments": [{"line": _line_key(a.line_key, n_ref), "pin_year": a.pin_year,
                              "host": c_ref.get(a.host_id), "split": a.split} for a in adjustments],
        # The plan as built at export time (read by integrations; an import rebuilds it).
        "plan": _plan(db, seance, n_ref, c_ref),
        # The log travels for the record; an import starts a log of its own.
        "events": [{"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "payload": e.payload}
                   for e in log],
    }


def _plan(db: Session, seance: Seance, n_ref: dict[int, str], c_ref: dict[int, str]) -> dict:
    """The plan's lines with their stable keys, in the file's references (`n3:2027`, `c2`)."""
    from workshop.services import plan as plan_service
    from workshop.services.state import plan_data

    data = plan_data(plan_service.build(db, seance)[0])
    for line in data["lines"]:
        line["key"] = _line_key(line["key"], n_ref)
        line["need"] = n_ref.get(line.pop("need_id"))
        line["trainees"] = {c_ref.get(int(c), c): n for c, n in line["trainees"].items()}
        line["host"] = c_ref.get(line.pop("host_id"))
    for pin in data["stale_pins"] + data["lapsed_poolings"]:
        pin["key"] = _line_key(pin["key"], n_ref)
    data["costs"]["by_collectivite"] = {c_ref.get(int(c), c): e
                                        for c, e in data["costs"]["by_collectivite"].items()}
    return data


def load(db: Session, data, owner_id: int, progress=None) -> Seance | Refusal:
    """Create a séance (and its perimeter) from an export; nothing is written on a refusal.

    `progress(percent, text)`: told as the slices are written (`seance_imports.create`)."""
    try:
        # Formats checked too: a `held_on` of 2026-13-45 is refused here, not by date().
        jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or msg("racine")
        return Refusal("fichier_invalide", "Ce fichier n'est pas un export de séance valide "
                                           "(à l'endroit « %(where)s »).", where=where)
    refs = _check_refs(data)
    if refs:
        return refs
    # The writes are a service's.
    return seance_imports.create(db, data, owner_id, *(() if progress is None else (progress,)))


def _check_refs(data: dict) -> Refusal | None:
    members = {m["ref"] for m in data["perimetre"]["members"]}
    people = {p["ref"] for p in data["participants"]}
    needs = {n["ref"] for n in data["needs"]}
    wanted = [(data["perimetre"]["coordinator"], members)]
    wanted += [(p["collectivite"], members) for p in data["participants"]]
    wanted += [(n["author"], people) for n in data["needs"]]
    wanted += [(n["merged_into"], needs) for n in data["needs"]]
    wanted += [(d["need"], needs) for d in data["demands"]]
    wanted += [(d["collectivite"], members) for d in data["demands"]]
    wanted += [(v["participant"], people) for v in data["votes"]]
    wanted += [(v["need"], needs) for v in data["votes"]]
    wanted += [(a["host"], members) for a in data["plan_adjustments"]]
    for ref, pool in wanted:
        if ref is not None and ref not in pool:
            return Refusal("reference_inconnue", "Le fichier cite « %(ref)s » sans le définir.", ref=ref)
    return None
