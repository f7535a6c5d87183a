"""The command line, driven as a user would (in-process through click's runner)."""

from click.testing import CliRunner
from sqlmodel import Session, func, select

from workshop.cli import main
from workshop.db import make_engine
from workshop.models import Collectivite, Facilitator, Seance


def run(args, env, input_=None):
    result = CliRunner().invoke(main, args, env=env, input=input_, catch_exceptions=False)
    return result


def test_fresh_database_upgrade_seed_facilitator_and_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {"WORKSHOP_DATABASE_URL": url, "WORKSHOP_SECRET_KEY": "k"}
    assert "Schéma à jour" in run(["db", "upgrade"], env).output
    seeded = run(["seed"], env)
    assert "1535 communes, 36 EPCI" in seeded.output
    assert "1535 communes" in run(["seed"], env).output  # rerun is safe

    created = run(["add-facilitator", "claire@example.fr", "--name", "Claire"], env,
                  input_="motdepasse-long\nmotdepasse-long\n")
    assert "Compte animateur créé : claire@example.fr" in created.output
    refused = run(["add-facilitator", "claire@example.fr"], env, input_="autre-long-mdp\nautre-long-mdp\n")
    assert refused.exit_code != 0 and "Un compte existe déjà" in refused.output

    demo = run(["demo", "--no-serve"], env)
    assert "demo@atelier.test" in demo.output and "/ecran/" in demo.output and "/j/" in demo.output
    run(["demo", "--no-serve"], env)  # twice: still one demo séance

    engine = make_engine(url)
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Collectivite)).one() == 1535 + 36
        assert db.exec(select(func.count()).select_from(Facilitator)).one() == 2
        assert db.exec(select(func.count()).select_from(Seance)).one() == 1
    engine.dispose()
