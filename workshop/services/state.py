"""A séance's full state as plain data (JSON), for its facilitator, scripts and load tests."""

from sqlmodel import Session, select

from workshop.models import Participant, Seance, Vote
from workshop.services import board


def seance_state(db: Session, seance: Seance) -> dict:
    snapshot = board.snapshot(db, seance)
    votes = db.exec(select(Vote.participant_id, Vote.need_id, Vote.dots)
                    .where(Vote.seance_id == seance.id, Vote.dots > 0)).all()
    people = db.exec(select(Participant).where(Participant.seance_id == seance.id)).all()

    def need(view: board.NeedView) -> dict:
        return {
            "id": view.need.id, "title": view.need.title, "details": view.need.details,
            "theme": view.theme.code, "source": view.need.source,
            "agents": view.status.total,
            "agents_by_year": {str(y): a for y, a in sorted(view.by_year.items())},
            "threshold": view.theme.threshold, "threshold_reached": view.status.reached,
            "missing": view.status.missing, "collectivites": view.collectivites,
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
        },
        "needs": [need(v) for v in snapshot.ranked],
        "hidden": [need(v) for v in snapshot.hidden],
        "merged": [{"source": s.id, "target": t.id} for s, t in snapshot.merged],
        "participants": [{"id": p.id, "collectivite_id": p.collectivite_id, "role": p.role,
                          "proxy": p.is_proxy} for p in people],
        "votes": [{"participant_id": p, "need_id": n, "dots": d} for p, n, d in votes],
        "totals": {"dots": sum(d for _, _, d in votes), "participants": len(people)},
    }
