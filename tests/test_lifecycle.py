"""Backups, restores, password resets and the RGPD purge, through the `workshop` command."""

import sqlite3
from datetime import date

from click.testing import CliRunner
from sqlmodel import Session, select

from tests import factories
from workshop.cli import main
from workshop.db import make_engine
from workshop.models import Participant, Vote
from workshop.services import facilitators


def run(args, url, input_=None):
    return CliRunner().invoke(main, args, env={"WORKSHOP_DATABASE_URL": url,
                                               "WORKSHOP_SECRET_KEY": "k"}, input=input_)


def test_backup_then_restore_round_trip(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as db:
        owner = factories.facilitator(db)
        seance = factories.populated_seance(db, owner, people=4, needs=3)
        votes_before = len(db.exec(select(Vote)).all())
    backup = tmp_path / "sauvegarde.sqlite3"
    result = run(["backup", str(backup)], db_url)
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    with Session(engine) as db:  # damage after the backup
        db.connection().exec_driver_sql("DELETE FROM vote")
        db.commit()
        assert db.exec(select(Vote)).all() == []
    engine.dispose()

    result = run(["restore", str(backup), "--yes"], db_url)
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    with Session(engine) as db:
        assert len(db.exec(select(Vote)).all()) == votes_before
        assert db.get(type(seance), seance.id).title == seance.title
    engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(db_url, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = run(["restore", str(junk), "--yes"], db_url)
    assert result.exit_code != 0
    assert "pas une sauvegarde" in result.output


def test_reset_password(db_url):
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as db:
        owner = factories.facilitator(db, "claire@example.fr")
    result = run(["reset-password", "claire@example.fr"], db_url, "nouveau-secret\nnouveau-secret\n")
    assert "Mot de passe changé" in result.output
    with Session(engine) as db:
        assert not isinstance(facilitators.authenticate(db, "claire@example.fr", "nouveau-secret"),
                              type(facilitators.WRONG_LOGIN))
        assert owner.id
    assert run(["reset-password", "nobody@example.fr"], db_url, "abcdefghi\nabcdefghi\n").exit_code != 0
    engine.dispose()


def test_purge_keeps_results_and_drops_identities(db_url):
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as db:
        owner = factories.facilitator(db)
        old = factories.populated_seance(db, owner, people=3, needs=2, held_on=date(2020, 1, 10))
        recent = factories.populated_seance(db, owner, people=2, needs=2, held_on=date.today())
        tokens = {p.id: p.token for p in db.exec(select(Participant))}
        votes = {(v.participant_id, v.need_id): v.dots for v in db.exec(select(Vote))}
    result = run(["purge-identities", "--older-than", "365"], db_url)
    assert "3 participants anonymisés." in result.output
    with Session(engine) as db:
        people = db.exec(select(Participant)).all()
        purged = [p for p in people if p.seance_id == old.id]
        kept = [p for p in people if p.seance_id == recent.id]
        assert all(p.anonymised_at and p.token != tokens[p.id] for p in purged)
        assert all(p.anonymised_at is None and p.token == tokens[p.id] for p in kept)
        assert {(v.participant_id, v.need_id): v.dots for v in db.exec(select(Vote))} == votes
    assert "0 participant anonymisé." in run(["purge-identities", "--older-than", "365"], db_url).output
    engine.dispose()


def test_restore_refuses_while_a_server_uses_the_base(db_url, tmp_path):
    from tests.conftest import ServerProcess, free_port

    backup = tmp_path / "sauvegarde.sqlite3"
    assert run(["backup", str(backup)], db_url).exit_code == 0
    server = ServerProcess(free_port(), db_url, tmp_path / "server.log")
    server.start()
    try:
        refused = run(["restore", str(backup), "--yes"], db_url)
        assert refused.exit_code != 0 and "Un serveur utilise cette base" in refused.output
        forced = run(["restore", str(backup), "--yes", "--force"], db_url)
        assert forced.exit_code == 0, forced.output
    finally:
        server.stop()
    assert run(["restore", str(backup), "--yes"], db_url).exit_code == 0  # stopped: allowed


def test_a_new_password_ends_the_sessions_opened_before(app, client, db):
    owner = factories.facilitator(db, "claire@example.fr")
    client.post("/connexion", data={"email": owner.email, "password": factories.PASSWORD})
    assert client.get("/seances/").status_code == 200
    url = app.config["DATABASE_URL"]
    assert run(["reset-password", owner.email], url, "nouveau-secret\nnouveau-secret\n").exit_code == 0
    assert client.get("/seances/").status_code == 302
    client.post("/connexion", data={"email": owner.email, "password": "nouveau-secret"})
    assert client.get("/seances/").status_code == 200
