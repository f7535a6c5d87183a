"""Settings read from the environment, with defaults for the embedded mode.

The embedded mode is one process on SQLite in the instance folder; every
setting can be overridden by an environment variable of the same name
prefixed with ``WORKSHOP_`` (``DATABASE_URL`` is also read bare, as hosting
platforms set it that way).
"""

import os
import secrets
from pathlib import Path

from workshop.domain import clock
from workshop.domain.limits import SEANCE_FILE_MAX

LANGUAGES = ("fr", "en")  # the UI's languages, the default first


def _secret_key(instance_path: Path) -> str:
    """Generate the secret key once and keep it, so that restarts keep logins."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created readable by the owner only: the key signs every cookie.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = os.environ
    database_url = env.get("WORKSHOP_DATABASE_URL") or env.get("DATABASE_URL")
    if not database_url:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'workshop.sqlite3'}"
    return {
        "SECRET_KEY": env.get("WORKSHOP_SECRET_KEY") or _secret_key(instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": env.get("WORKSHOP_REDIS_URL") or env.get("REDIS_URL") or None,
        # Several deployments may share one Redis: each listens on its own channel.
        "SOCKETIO_CHANNEL": env.get("WORKSHOP_SOCKETIO_CHANNEL", "workshop"),
        "PUBLIC_URL": env.get("WORKSHOP_PUBLIC_URL", "").rstrip("/") or None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": clock.SEANCE_TIMEZONE_NAME,
        # Relative to the package (app.root_path): workshop/translations.
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("WORKSHOP_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # The largest body any route takes; each route's own limit is set per request
        # (web/guards.py: `upload_limit`, else schemas.FORM_MAX).
        "MAX_CONTENT_LENGTH": SEANCE_FILE_MAX + 64 * 1024,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host
        # (nginx: 1). 0 trusts none: the client's address is the socket's.
        "PROXIES": int(env.get("WORKSHOP_PROXIES", "0") or 0),
        # Static files carry a content hash in their URL (?v=...): browsers may keep them a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml", "text/csv"],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "RATELIMIT_STORAGE_URI": (env.get("WORKSHOP_REDIS_URL") or env.get("REDIS_URL")
                                  or "memory://"),
        "RATELIMIT_ENABLED": env.get("WORKSHOP_RATELIMIT", "1") == "1",
        # Heavy work (exports, imports) runs in a worker: "child" (started by `workshop serve`),
        # or "external" (its own service, docs/deploy.md). Its files: JOBS_DIR, shared by both.
        "WORKER": env.get("WORKSHOP_WORKER", "child"),
        "JOBS_DIR": env.get("WORKSHOP_JOBS_DIR") or None,
        # Each job in its own process, which exits after it (its memory with it): worker/process.py.
        "JOBS_ISOLATED": env.get("WORKSHOP_JOBS_ISOLATED", "1") == "1",
        # New participants per address and minute (a venue's NAT puts a whole room on one).
        "JOINS_PER_MINUTE": int(env.get("WORKSHOP_JOINS_PER_MINUTE", "600") or 600),
        # Socket flood control per participant (all their sockets, all processes): a burst,
        # then events per second.
        "LIVE_BURST": 20,
        "LIVE_RATE": 10.0,
    }
