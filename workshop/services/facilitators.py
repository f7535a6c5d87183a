"""Facilitator accounts: creation and password check."""

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from workshop.domain.rules import Refusal
from workshop.models import Facilitator
from workshop.offloop import off_loop
from workshop.services import events

MIN_PASSWORD = 8
# Checked against when the e-mail is unknown, so that both failures take as long.
_DUMMY_HASH = generate_password_hash("not a password")
WRONG_LOGIN = Refusal("identifiants_incorrects", "Adresse e-mail ou mot de passe incorrect.")


def add(db: Session, email: str, name: str, password: str) -> Facilitator | Refusal:
    email = email.strip().lower()
    if "@" not in email:
        return Refusal("email_invalide", "Adresse e-mail invalide.", "email")
    if len(password) < MIN_PASSWORD:
        return Refusal(
            "mot_de_passe_court",
            "Le mot de passe doit compter au moins %(min)s caractères.",
            "password",
            min=MIN_PASSWORD,
        )
    if db.exec(select(Facilitator).where(Facilitator.email == email)).first():
        return Refusal("email_pris", "Un compte existe déjà pour cette adresse.", "email")
    # scrypt, werkzeug's default: memory-hard, salted.
    facilitator = Facilitator(email=email, name=name.strip() or email,
                              password_hash=off_loop(generate_password_hash, password))
    db.add(facilitator)
    db.flush()
    events.record(db, "facilitator.added", "system", facilitator_id=facilitator.id)
    db.commit()
    return facilitator


def authenticate(db: Session, email: str, password: str) -> Facilitator | Refusal:
    facilitator = db.exec(
        select(Facilitator).where(Facilitator.email == email.strip().lower())
    ).first()
    if facilitator is None or not facilitator.active:
        off_loop(check_password_hash, _DUMMY_HASH, password)
        return WRONG_LOGIN
    if not off_loop(check_password_hash, facilitator.password_hash, password):
        return WRONG_LOGIN
    return facilitator


def set_password(db: Session, email: str, password: str) -> Facilitator | Refusal:
    """A new password, from the command line (there is no e-mail reset by design: no mail server)."""
    facilitator = db.exec(select(Facilitator).where(Facilitator.email == email.strip().lower())).first()
    if facilitator is None:
        return Refusal("compte_inconnu", "Aucun compte pour cette adresse.")
    if len(password) < MIN_PASSWORD:
        return Refusal("mot_de_passe_court",
                       "Le mot de passe doit compter au moins %(min)s caractères.", min=MIN_PASSWORD)
    facilitator.password_hash = off_loop(generate_password_hash, password)
    facilitator.session_epoch += 1  # whoever was logged in with the old password is out
    db.add(facilitator)
    events.record(db, "facilitator.password_reset", "system", facilitator_id=facilitator.id)
    db.commit()
    return facilitator


def end_sessions(db: Session, facilitator: Facilitator) -> None:
    """Log the account out everywhere: every login cookie issued so far stops working."""
    facilitator.session_epoch += 1
    db.add(facilitator)
    events.record(db, "facilitator.logged_out", events.facilitator_actor(facilitator.id),
                  facilitator_id=facilitator.id)
    db.commit()
