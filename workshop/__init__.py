"""workshop: live co-design sessions for a territory's training plan."""

import os

from flask import Flask, has_request_context, redirect, render_template, request, session, url_for

from workshop.config import LANGUAGES

# No inline script or style anywhere: everything comes from static/.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    from workshop import config, db, i18n
    from workshop.extensions import babel, compress, csrf, limiter, socketio

    app.config.from_mapping(config.load(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    from workshop.web import guards

    guards.init_app(app)  # before CSRF (it reads the form) and the blueprints (the id converter)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    for directory in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"):
        i18n.compile_catalogues(os.path.join(app.root_path, directory))
    babel.init_app(app, locale_selector=_locale)
    i18n.init_app(app)
    # With a Redis URL, several server processes share the rooms through its pub/sub.
    socketio.init_app(app, async_mode=app.config.get("ASYNC_MODE"),
                      message_queue=app.config["REDIS_URL"],
                      channel=app.config["SOCKETIO_CHANNEL"],
                      cors_allowed_origins=app.config.get("CORS_ORIGINS"),
                      # Each socket's events run in its own reader, in order, instead of a new
                      # task per event (a tenth of a vote's time in a room voting at once).
                      async_handlers=False)
    if app.config["PROXIES"]:
        # Outermost, so that Engine.IO's origin check and the rate limits see the client's
        # scheme, host and address as the proxies in front of us tell them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    from workshop import live, worker
    from workshop.web import auth, exports, lang, perimetres, phone, pilotage, plan, plans, screen, seances
    from workshop.web import jobs as job_pages
    from workshop.web.clock import bp as clock_bp

    for blueprint in (auth.bp, perimetres.bp, seances.bp, pilotage.bp, plan.bp, exports.bp,
                      plans.bp, phone.bp, screen.bp, lang.bp, clock_bp, job_pages.bp):
        app.register_blueprint(blueprint)
    live.init_app(app)
    worker.init_app(app)

    from flask_babel import get_locale

    from workshop import cli
    from workshop.domain import codes, phases, planning, territories
    from workshop.domain.planning import explain
    from workshop.identity import current_facilitator
    from workshop.services.seances import timer_minutes_left

    # Labels every template may need, also when rendered for a socket push (no blueprint).
    app.jinja_env.globals.update(
        current_facilitator=current_facilitator, get_locale=get_locale,
        PHASES=phases.PHASES, PHASE_LABELS=i18n.Labels(phases.LABELS),
        KINDS=i18n.Labels(territories.KINDS), HAND_KINDS=territories.HAND_KINDS,
        EPCI_TYPES=i18n.Labels(territories.EPCI_TYPES), ROLES=i18n.Labels(territories.ROLES),
        TRAINING_KINDS=i18n.Labels(planning.KIND_LABELS), below_brief=explain.brief,
        display_code=codes.display, live_texts=i18n.live_texts, say=i18n.say, LANGUAGES=LANGUAGES,
        timer_minutes_left=timer_minutes_left)
    cli.register(app)
    _static_versions(app)
    _register_pages(app)
    return app


def _locale() -> str:
    if not has_request_context():  # a render for a socket push: the default language
        return "fr"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr")


def _static_versions(app: Flask) -> None:
    """`url_for('static', ...)` adds the file's content hash: a new file is a new URL."""
    import hashlib
    from functools import lru_cache
    from pathlib import Path

    @lru_cache(maxsize=256)
    def version(filename: str) -> str | None:
        path = Path(app.static_folder) / filename
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            tag = version(values["filename"])
            if tag:
                values["v"] = tag


def _register_pages(app: Flask) -> None:
    @app.get("/")
    def home():
        from workshop.identity import current_facilitator

        if current_facilitator():
            return redirect(url_for("seances.index"))
        return render_template("home.html")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    from flask_babel import gettext as _

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/error.html", status=404,
                               message=_("Cette page n'existe pas, ou elle ne vous est pas ouverte.")), 404

    @app.errorhandler(405)
    def not_allowed(_error):
        return render_template("errors/error.html", status=405,
                               message=_("Cette action n'est pas possible ici.")), 405

    @app.errorhandler(400)
    def bad_request(error):
        # CSRF failures land here: an expired or forged form.
        return render_template("errors/error.html", status=400,
                               message=_("La demande n'a pas pu être traitée : rechargez la page "
                                         "et réessayez.")), 400

    @app.errorhandler(429)
    def too_many(_error):
        message = _("Trop de tentatives en peu de temps : patientez une minute avant de réessayer.")
        if request.is_json or request.path.endswith("/participants"):
            return {"ok": False, "code": "trop_de_tentatives", "message": message}, 429
        return render_template("errors/error.html", status=429, message=message), 429

    @app.errorhandler(413)
    def too_large(_error):
        from workshop.web.guards import route_limit

        size = route_limit() // (1024 * 1024)
        return render_template("errors/error.html", status=413, message=_(
            "Le fichier ou le formulaire envoyé est trop volumineux (%(mb)s Mo au plus).",
            mb=size)), 413

    @app.errorhandler(500)
    def server_error(_error):
        return render_template("errors/error.html", status=500,
                               message=_("Une erreur inattendue s'est produite ; rien n'a été "
                                         "enregistré. Réessayez.")), 500
