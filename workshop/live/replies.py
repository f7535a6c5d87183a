"""What a phone's socket events answer: who is asking, and the refusal acks.

Every acknowledgement is `{"ok": true, ...}` or `{"ok": false, "code", "message"}`
with the message in the language of the phone's page; shared by the phones'
handlers (`phones`) and the vote's fast path (`votes`).
"""

from contextlib import contextmanager

from flask_babel import force_locale

from workshop.domain.rules import UNKNOWN_PARTICIPANT, Refusal
from workshop.i18n import say
from workshop.live import internals
from workshop.live.connections import Identity, connections
from workshop.live.flood import flood

SERVER_ERROR = Refusal("erreur_serveur", "Erreur inattendue : rien n'a été enregistré. Réessayez.")
FLOOD = Refusal("trop_rapide", "Trop d'envois d'un coup : patientez une seconde.")


def who(sid: str, config) -> Identity | Refusal:
    """The phone behind this socket, unless its participant floods (LIVE_BURST, then LIVE_RATE
    per second, counted per participant over all their sockets and processes: `flood`)."""
    found = connections.get(sid)
    if found is None or found.participant_id is None:
        return UNKNOWN_PARTICIPANT
    if not flood.allow(found.participant_id):
        return FLOOD
    return found


def refused(refusal: Refusal) -> dict:
    """The refusal, in the current language (see `speaking`)."""
    return {"ok": False, "code": refusal.code, "message": say(refusal)}


def invalid(errors: dict[str, str]) -> dict:
    """A payload that did not parse: its messages (already said), per field."""
    return {"ok": False, "code": "saisie_invalide", "message": " ".join(errors.values()),
            "errors": errors}


@contextmanager
def speaking(app, locale: str):
    """Contexts for a reply outside Flask-SocketIO's (the vote): messages in `locale`."""
    with internals.rendering(app), force_locale(locale):
        yield
