"""The `workshop` command: thin wrappers over services.

    workshop db upgrade            create or upgrade the database schema
    workshop seed                  load the territories and the theme catalogue
    workshop add-facilitator EMAIL add a facilitator account
    workshop demo                  all of the above plus a demo séance, then serve
    workshop serve                 serve the app (gevent, WebSocket), with its job worker
    workshop worker                run the job worker alone (the cluster's own service)
"""

import os
import sys

import click

from workshop.domain.rules import Refusal


def _app():
    from workshop import create_app

    return create_app()


@click.group()
def main():
    """workshop: séances de co-conception des plans de formation."""


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Create or upgrade the schema to the latest migration."""
    from workshop import migrate
    from workshop.db import engine

    with _app().app_context():
        migrate.upgrade(engine())
        click.echo(f"Schéma à jour ({engine().url.render_as_string()}).")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Autogenerate a migration from the models (read it before committing)."""
    from workshop import migrate
    from workshop.db import engine

    with _app().app_context():
        migrate.revision(engine(), message)


@main.command()
def seed():
    """Load the reference data (safe to rerun)."""
    from workshop.db import session_scope
    from workshop.services import reference

    with _app().app_context(), session_scope() as session:
        territories = reference.load_territories(session)
        themes = reference.load_themes(session)
    click.echo(f"Référentiel : {territories['communes']} communes, {territories['epci']} EPCI, "
               f"{themes['themes']} thèmes.")


@main.command("add-facilitator")
@click.argument("email")
@click.option("--name", default="", help="Nom affiché.")
@click.password_option(help="Mot de passe (8 caractères au moins).")
def add_facilitator(email, name, password):
    """Add a facilitator account."""
    from workshop.db import session_scope
    from workshop.services import facilitators

    with _app().app_context(), session_scope() as session:
        result = facilitators.add(session, email, name, password)
    if isinstance(result, Refusal):
        raise click.ClickException(result.message)
    click.echo(f"Compte animateur créé : {result.email}")


@main.command("reset-password")
@click.argument("email")
@click.password_option(help="Nouveau mot de passe (8 caractères au moins).")
def reset_password(email, password):
    """Set a facilitator's password (there is no e-mail reset)."""
    from workshop.db import session_scope
    from workshop.services import facilitators

    with _app().app_context(), session_scope() as session:
        result = facilitators.set_password(session, email, password)
    if isinstance(result, Refusal):
        raise click.ClickException(result.message)
    click.echo(f"Mot de passe changé pour {result.email}.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path):
    """Copy the SQLite database to PATH while the app runs (PostgreSQL: pg_dump)."""
    from workshop.db import engine
    from workshop.services import lifecycle

    with _app().app_context():
        result = lifecycle.backup(engine(), path)
    if isinstance(result, Refusal):
        raise click.ClickException(result.message)
    click.echo(f"Sauvegarde écrite dans {path} ({result} événements).")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@click.option("--force", is_flag=True, help="Restaurer même si un serveur utilise la base.")
def restore(path, yes, force):
    """Replace the SQLite database by the backup PATH (refused while a server runs on it)."""
    from workshop.db import engine
    from workshop.services import lifecycle

    if not yes:
        click.confirm("Remplacer toute la base par cette sauvegarde ?", abort=True)
    with _app().app_context():
        result = lifecycle.restore(engine(), path, force=force)
    if isinstance(result, Refusal):
        raise click.ClickException(result.message)
    click.echo(f"Base restaurée ({result} événements).")


@main.command("purge-identities")
@click.option("--older-than", "days", type=click.IntRange(min=0), default=365, show_default=True,
              help="Séances tenues il y a plus de N jours.")
def purge_identities(days):
    """Anonymise the participants of old séances (RGPD); the results stay."""
    from workshop.db import session_scope
    from workshop.services import lifecycle

    with _app().app_context(), session_scope() as session:
        count = lifecycle.purge_identities(session, days)
    click.echo(f"{count} participant anonymisé." if count <= 1 else f"{count} participants anonymisés.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, help="Serve once the demo is ready.")
def demo(host, port, serve):
    """Prepare the database, the reference data and a demo séance, then serve."""
    from workshop import migrate
    from workshop.db import engine, session_scope
    from workshop.domain import codes
    from workshop.services import demo as demo_service
    from workshop.services import reference

    app = _app()
    with app.app_context():
        migrate.upgrade(engine())
        with session_scope() as session:
            reference.load_territories(session)
            reference.load_themes(session)
            info = demo_service.ensure(session)
    base = app.config["PUBLIC_URL"] or f"http://{host}:{port}"
    click.echo("\n".join([
        "",
        "  Démo prête :",
        f"    Animateur    {base}/connexion",
        f"                 identifiant {info.email}  mot de passe {info.password}",
        f"    Pilotage     {base}/seances/{info.seance_id}/pilotage",
        f"    Écran        {base}/ecran/{info.screen_token}",
        f"    Téléphone    {base}/j/{info.join_code}   (code {codes.display(info.join_code)})",
        "",
    ]))
    if serve:
        _exec_server(host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host, port):
    """Serve the app with gevent (hundreds of WebSockets in one process)."""
    _exec_server(host, port)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def worker(args):
    """Run the job worker (exports, imports); `serve` starts one itself unless WORKSHOP_WORKER=external."""
    from workshop.worker import consumer

    consumer.main(list(args))


def _exec_server(host: str, port: int) -> None:
    # gevent must patch the standard library before anything else imports it,
    # and this process already imported Flask: start a fresh interpreter.
    code = "from gevent import monkey; monkey.patch_all(); from workshop import server; server.main()"
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-c", code, "--host", host, "--port", str(port)])


def register(app) -> None:
    """Also expose the commands under `flask --app workshop ...`."""
    for command in main.commands.values():
        app.cli.add_command(command)
