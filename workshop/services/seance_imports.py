"""A séance re-created from its export (docs/export-format.md): the writes of the import.

The file's shape and references are checked by `exports/json_seance.load`;
here the séance, its perimeter, people, needs, figures and votes are written.
A big export (thousands of needs and votes) is written in slices of at most
IMPORT_SLICE_ROWS rows, each its own short transaction, so that the votes of
the other séances' phones go through between two slices (one long write
transaction would hold the database's write lock for seconds). The séance is
created `importing` (nobody sees or joins it) and marked ready, with its
`seance.imported` event, by the last slice; when anything fails or the job is
cancelled, the rows this import wrote are removed (they are its own: nobody
could reach the séance meanwhile) and the error goes up.
"""

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workshop.domain import codes, merging
from workshop.domain.limits import IMPORT_SLICE_ROWS
from workshop.domain.messages import Text, msg
from workshop.domain.rules import Refusal
from workshop.domain.text import search_key
from workshop.models import (
    Collectivite,
    Demand,
    Event,
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

Progress = Callable[[int, Text], None]  # (percent, what is written); may raise to stop the import
INCOHERENT = Refusal("import_incoherent", "Ce fichier contient des doublons incohérents "
                                          "(un même effectif ou vote deux fois).")


def _merge_loop(need: dict) -> Refusal:
    return Refusal("regroupement_en_boucle",
                   "Ce fichier contient un regroupement impossible : le besoin « %(title)s » "
                   "(%(ref)s) est regroupé dans lui-même, directement ou par une boucle de "
                   "besoins regroupés les uns dans les autres. Rien n'a été importé.",
                   title=need["title"], ref=need["ref"])


def _quiet(percent: int, step: Text) -> None:
    return None


def create(db: Session, data: dict, owner_id: int, progress: Progress = _quiet) -> Seance | Refusal:
    """`data`: an export already checked against its schema and its references.

    Returns the séance, ready; or a Refusal with nothing left written. Any other error
    (a cancel raised by `progress`, the database) removes what was written and goes up."""
    themes = {t.code: t for t in db.exec(select(Theme))}
    unknown = sorted({n["theme"] for n in data["needs"]} - themes.keys())
    if unknown:
        return Refusal("theme_inconnu", "Thèmes absents du catalogue de cette instance : %(codes)s.",
                       codes=", ".join(unknown))
    if _duplicates(data):
        return INCOHERENT
    # A need merged into itself or into a cycle would vanish for good (its figures counted
    # on no need): refused. A chain (nested merges) is flattened: each merged need is
    # merged straight into the need its chain ends on (docs/export-format.md).
    merges = merging.merge_roots({n["ref"]: n["merged_into"] for n in data["needs"]})
    if merges.loops:
        return _merge_loop(next(n for n in data["needs"] if n["ref"] == merges.loops[0]))
    written = _Written()
    try:
        return _create(db, data, owner_id, themes, progress, written, merges.roots)
    except IntegrityError:
        db.rollback()
        _remove(db, written)
        return INCOHERENT
    except BaseException:
        db.rollback()
        _remove(db, written)
        raise


def _duplicates(data: dict) -> bool:
    """Two figures of one collectivité for one need and year, or two votes of one person on
    one need (the database refuses them: told before anything is written)."""
    demands = [(d["need"], d["collectivite"], d["year"]) for d in data["demands"]]
    votes = [(v["participant"], v["need"]) for v in data["votes"]]
    return len(set(demands)) != len(demands) or len(set(votes)) != len(votes)


class _Written:
    """What this import wrote so far (to remove it if it fails)."""

    def __init__(self) -> None:
        self.seance_id: int | None = None
        self.perimetre_id: int | None = None
        self.collectivites: list[int] = []


def _slices(rows: list, size: int = IMPORT_SLICE_ROWS) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _create(db: Session, data: dict, owner_id: int, themes: dict, progress: Progress,
            written: _Written, roots: dict[str, str]) -> Seance:
    total = max(1, len(data["participants"]) + 2 * len(data["needs"]) + len(data["demands"])
                + len(data["votes"]) + len(data["plan_adjustments"]))
    done = 0

    def wrote(count: int) -> None:
        nonlocal done
        db.commit()  # one slice, one short transaction: the others' writes go between two
        done += count
        progress(30 + 65 * done // total, msg("Écriture de la séance… %(done)s lignes sur %(total)s",
                                             done=done, total=total))

    reused = _same_perimetre(db, data["perimetre"], owner_id)
    if reused is not None:  # the facilitator's own perimeter, same name and collectivités
        perimetre, c_id = reused
    else:
        c_id = {}
        for m in data["perimetre"]["members"]:
            found = db.exec(select(Collectivite).where(Collectivite.code == m["code"])).first() \
                if m["code"] else None
            if found is None:
                found = Collectivite(name=m["name"], kind=m["kind"], code=None, created_by_id=owner_id,
                                     search_key=search_key(m["name"]))
                db.add(found)
                db.flush()
                written.collectivites.append(found.id)
            c_id[m["ref"]] = found.id
        perimetre = Perimetre(name=_distinct_name(db, data["perimetre"]["name"], owner_id), owner_id=owner_id,
                              coordinator_id=c_id.get(data["perimetre"]["coordinator"]))
        db.add(perimetre)
        db.flush()
        written.perimetre_id = perimetre.id
        db.add_all(PerimetreMember(perimetre_id=perimetre.id, collectivite_id=i)
                   for i in dict.fromkeys(c_id.values()))
    s = data["seance"]
    seance = Seance(perimetre_id=perimetre.id, owner_id=owner_id, title=s["title"],
                    held_on=date.fromisoformat(s["held_on"]), horizon_start=s["horizon_start"],
                    horizon_years=s["horizon_years"], dot_budget=s["dot_budget"],
                    max_dots_per_need=s["max_dots_per_need"], weighting=s["weighting"],
                    tallies_visible=s["tallies_visible"], phase=s["phase"],
                    closed_at=utcnow() if s["closed"] else None, plan_capacity=s["plan_capacity"],
                    theme_costs=s.get("theme_costs", {}), importing=True,
                    join_code=codes.new_join_code(), screen_token=codes.new_secret())
    db.add(seance)
    db.flush()
    written.seance_id, seance_id = seance.id, seance.id
    wrote(0)
    p_id: dict[str, int] = {}
    for part in _slices(data["participants"]):
        people = [Participant(seance_id=seance_id, collectivite_id=c_id[p["collectivite"]], role=p["role"],
                              is_proxy=p["proxy"], token=codes.new_secret()) for p in part]
        db.add_all(people)
        db.flush()
        p_id.update((p["ref"], person.id) for p, person in zip(part, people, strict=True))
        wrote(len(part))
    n_id: dict[str, int] = {}
    for part in _slices(data["needs"]):
        needs = [Need(seance_id=seance_id, theme_id=themes[n["theme"]].id, title=n["title"],
                      details=n["details"], source=n["source"], author_id=p_id.get(n["author"]),
                      hidden=n["hidden"], kind=n.get("kind"), pool_years=n.get("pool_years"))
                 for n in part]
        db.add_all(needs)
        db.flush()
        n_id.update((n["ref"], need.id) for n, need in zip(part, needs, strict=True))
        wrote(len(part))
    merged = [n for n in data["needs"] if n["merged_into"]]
    for part in _slices(merged):
        for n in part:
            db.execute(update(Need).where(col(Need.id) == n_id[n["ref"]])
                       .values(merged_into_id=n_id[roots[n["ref"]]]))
        wrote(len(part))
    done += len(data["needs"]) - len(merged)
    for part in _slices(data["demands"]):
        db.add_all(Demand(need_id=n_id[d["need"]], collectivite_id=c_id[d["collectivite"]],
                          year=d["year"], agents=d["agents"], category=d.get("category")) for d in part)
        wrote(len(part))
    for part in _slices(data["votes"]):
        db.add_all(Vote(seance_id=seance_id, participant_id=p_id[v["participant"]],
                        need_id=n_id[v["need"]], dots=v["dots"]) for v in part)
        wrote(len(part))
    for part in _slices(data["plan_adjustments"]):
        db.add_all(PlanAdjustment(seance_id=seance_id, line_key=_stored_key(a["line"], n_id),
                                  pin_year=a["pin_year"], host_id=c_id.get(a["host"]), split=a["split"])
                   for a in part)
        wrote(len(part))
    # The last slice: the séance is ready, with its event.
    seance = db.get(Seance, seance_id)
    seance.importing = False
    events.record(db, "seance.imported", events.facilitator_actor(owner_id), seance_id=seance_id,
                  perimetre_id=perimetre.id, perimetre_reused=reused is not None,
                  needs=len(n_id), participants=len(p_id),
                  original_events=len(data.get("events", [])))
    # A file's dots above the budget or the cap (an older export, a hand-edited file) go
    # back, with their `vote.returned` rows: the room's invariants hold from the start.
    fitting.refit(db, seance, events.facilitator_actor(owner_id),
                  fitting.returned_for("settings", seance))
    db.commit()
    return seance


def _same_perimetre(db: Session, said: dict, owner_id: int) -> tuple[Perimetre, dict[str, int]] | None:
    """The owner's perimeter with the file's name (or a copy named by `_distinct_name`) and
    exactly its collectivités, and the file's member refs -> their ids there; None when there
    is none (a new perimeter is made). The perimeter's coordinator stays as it is.

    A member with a code is that collectivité; one without (a CCAS, a syndicat added by hand)
    is the perimeter's member without a code of the same name and kind. Re-importing a séance
    thus lands in the perimeter it came from, never in a copy of it (docs/export-format.md)."""
    named = or_(Perimetre.name == said["name"],
                col(Perimetre.name).startswith(said["name"][:150] + " (import du "))
    for perimetre in db.exec(select(Perimetre).where(Perimetre.owner_id == owner_id, named)
                             .order_by(col(Perimetre.id))):
        members = db.exec(select(Collectivite).join(
            PerimetreMember, PerimetreMember.collectivite_id == Collectivite.id)
            .where(PerimetreMember.perimetre_id == perimetre.id)).all()
        by_code = {m.code: m.id for m in members if m.code}
        uncoded = {(search_key(m.name), m.kind): m.id for m in members if not m.code}
        found: dict[str, int] = {}
        for m in said["members"]:
            found_id = by_code.get(m["code"]) if m["code"] \
                else uncoded.get((search_key(m["name"]), m["kind"]))
            if found_id is None:
                break
            found[m["ref"]] = found_id
        else:
            if set(found.values()) == {m.id for m in members}:
                return perimetre, found
    return None


def _distinct_name(db: Session, name: str, owner_id: int) -> str:
    """The file's perimeter name, or, when the owner has a perimeter of that name already (with
    other collectivités), "<name> (import du DD/MM/YYYY)" (then ", 2", ", 3"...): two of the
    owner's perimeters never read alike."""
    taken = set(db.exec(select(Perimetre.name).where(Perimetre.owner_id == owner_id,
                                                     col(Perimetre.name).startswith(name[:150]))))
    candidate, copy = name, 1
    while candidate in taken:
        suffix = f" (import du {utcnow():%d/%m/%Y}{'' if copy == 1 else f', {copy}'})"
        candidate, copy = name[:200 - len(suffix)] + suffix, copy + 1
    return candidate


def _remove(db: Session, written: _Written) -> None:
    """Remove the rows a failed import wrote (its séance was never seen nor joined)."""
    seance_id = written.seance_id
    if seance_id is not None:
        needs = select(Need.id).where(Need.seance_id == seance_id)
        db.execute(delete(Demand).where(col(Demand.need_id).in_(needs)))
        for model in (Vote, PlanAdjustment, Event):
            db.execute(delete(model).where(model.seance_id == seance_id))
        db.execute(update(Need).where(Need.seance_id == seance_id).values(merged_into_id=None))
        db.execute(delete(Need).where(Need.seance_id == seance_id))
        db.execute(delete(Participant).where(Participant.seance_id == seance_id))
        db.execute(delete(Seance).where(col(Seance.id) == seance_id))
    if written.perimetre_id is not None:
        db.execute(delete(PerimetreMember).where(PerimetreMember.perimetre_id == written.perimetre_id))
        db.execute(delete(Perimetre).where(col(Perimetre.id) == written.perimetre_id))
    if written.collectivites:
        db.execute(delete(Collectivite).where(col(Collectivite.id).in_(written.collectivites)))
    db.commit()


def _stored_key(key: str, need_ids: dict[str, int]) -> str:
    """The file's line key (`n3:2027`) with this instance's need id (`412:2027`)."""
    ref, colon, rest = key.partition(":")
    return f"{need_ids.get(ref, ref)}{colon}{rest}"
