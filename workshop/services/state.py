"""A séance's full state as plain data (JSON), for its facilitator, scripts and load tests."""

from collections.abc import Callable

from sqlmodel import Session, select

from workshop.domain.planning import Line, NeedStatus, Plan
from workshop.models import Need, Participant, Seance, Vote
from workshop.services import board
from workshop.services import plan as plan_service


def status_data(status: NeedStatus) -> dict:
    """A need's status per year (domain.planning.need_status), as JSON."""
    return {
        "reached": status.reached, "open_years": list(status.open_years),
        "missing": status.missing, "missing_year": status.missing_year,
        "sentence": str(status.sentence()),
        "years": [{"year": y.year, "agents": y.asked, "pool": y.pool, "state": y.state,
                   "at": y.at, "missing": y.missing} for y in status.years],
    }


def line_data(line: Line, status: str) -> dict:
    """One plan line with its stable key (`<need>:<year>[:reste][:g<i>][:r<n>]`, `<need>:apres`)."""
    return {
        "key": str(line.key), "need_id": line.need_id, "status": status, "year": line.year,
        "asked_year": line.asked_year, "theme": line.theme.code, "kind": line.kind,
        "categories": list(line.categories), "groups": line.groups, "days": line.days,
        "trainees": {str(c): n for c, n in line.trainees.items()}, "missing": line.missing,
        "host_id": line.host_id, "pinned": line.pinned, "renewal": line.renewal,
        "financing": line.financing, "cost": line.cost, "why": line.reason,
        "pooling": pooling_data(line),
    }


def pooling_data(line: Line) -> dict | None:
    """A line pooled with another perimeter's séance (issue 17, item 9): who, their trainees
    (per collectivité name), the session's total and its host; None for any other line."""
    p = line.pooling
    if p is None:
        return None
    return {"id": p.id, "partner": p.partner, "seance_id": p.seance_id, "seance": p.seance_title,
            "their_key": str(p.their_key), "theirs": dict(p.theirs), "total": line.pooled_total,
            "host": line.pool_host}


def plan_data(plan: Plan) -> dict:
    costs = plan.costs()
    return {
        "years": list(plan.years),
        "capacity": {str(y): c for y, c in plan.capacity.items()},
        "used": {str(y): d for y, d in plan.used.items()},
        "lines": [line_data(ln, "territorialised") for ln in plan.lines]
        + [line_data(ln, "no_room") for ln in plan.unplaced]
        + [line_data(ln, "below_threshold") for ln in plan.below]
        + [line_data(ln, "statutory") for ln in plan.statutory],
        "stale_pins": [{"key": str(p.key), "year": p.year, "why": str(p.why)} for p in plan.stale_pins],
        "lapsed_poolings": [{"key": str(lp.pooling.key), "id": lp.pooling.id, "partner": lp.pooling.partner,
                             "seance_id": lp.pooling.seance_id, "why": str(lp.why)}
                            for lp in plan.lapsed_poolings],
        "costs": {"by_year": {str(y): e for y, e in costs.by_year.items()},
                  "by_collectivite": {str(c): e for c, e in costs.by_collectivite.items()},
                  "total": costs.total},
    }


def seance_state(db: Session, seance: Seance, pause: Callable[[], None] = lambda: None) -> dict:
    """The state as JSON-ready data (docs/protocol.md). `pause` is called between its parts
    (a thousand participants' séance: a few tens of ms each): the live server passes one that
    gives its loop back to the phones (`offloop.give_way`)."""
    snapshot = board.snapshot(db, seance)
    pause()
    # The dots that count: on the needs of the board (a hidden need's stay stored, freed).
    votes = db.exec(select(Vote.participant_id, Vote.need_id, Vote.dots).join(Need)
                    .where(Vote.seance_id == seance.id, Vote.dots > 0, Need.hidden.is_(False),
                           Need.merged_into_id.is_(None))).all()
    pause()
    people = db.exec(select(Participant.id, Participant.collectivite_id, Participant.role,
                            Participant.is_proxy)
                     .where(Participant.seance_id == seance.id).order_by(Participant.id)).all()
    pause()
    plan = plan_data(plan_service.build(db, seance, snapshot)[0])
    pause()

    def need(view: board.NeedView) -> dict:
        return {
            "id": view.need.id, "title": view.need.title, "details": view.need.details,
            "theme": view.theme.code, "source": view.need.source,
            "kind": view.need.kind or view.theme.kind,
            "agents": view.status.total,
            "agents_by_year": {str(y): a for y, a in sorted(view.by_year.items())},
            "threshold": view.theme.threshold, "threshold_reached": view.status.reached,
            "missing": view.status.missing, "status": status_data(view.status),
            "collectivites": view.collectivites,
            "dots": view.dots, "voters": view.voters, "score": view.score, "rank": view.rank,
        }

    return {
        "version": 1,
        "seance": {
            "id": seance.id, "title": seance.title, "phase": seance.phase,
            "join_code": seance.join_code, "held_on": seance.held_on.isoformat(),
            "horizon": [seance.horizon_start, seance.horizon_start + seance.horizon_years - 1],
            "dot_budget": seance.dot_budget, "max_dots_per_need": seance.max_dots_per_need,
            "weighting": seance.weighting, "tallies_visible": seance.tallies_visible,
            "closed": seance.closed_at is not None,
            "timer_ends_at": seance.timer_ends_at.isoformat() if seance.timer_ends_at else None,
            "revision": seance.revision,  # what a control form sends back (docs/protocol.md)
        },
        "needs": [need(v) for v in snapshot.ranked],
        "hidden": [need(v) for v in snapshot.hidden],
        "merged": [{"source": s.id, "target": t.id} for s, t in snapshot.merged],
        "participants": [{"id": pid, "collectivite_id": collectivite, "role": role,
                          "proxy": proxy} for pid, collectivite, role, proxy in people],
        "votes": [{"participant_id": p, "need_id": n, "dots": d} for p, n, d in votes],
        # Participants: the people with their own phone, the board's count that every surface
        # shows (tally.Participation); the facilitator's proxy entries apart.
        "totals": {"dots": sum(d for _, _, d in votes), "participants": snapshot.participants,
                   "proxies": sum(1 for *_, proxy in people if proxy)},
        "plan": plan,
    }
