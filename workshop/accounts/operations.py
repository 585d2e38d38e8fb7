"""Creating organizer accounts and the one-time set-up link."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from workshop.accounts.models import Account, Role, SetupLink
from workshop.core.errors import InvalidInput, LinkInvalid
from workshop.core.models import utcnow
from workshop.core.security import new_token, token_digest
from workshop.extensions import db

PASSWORD_MIN_LENGTH = 10


def normalise_email(email):
    return (email or "").strip().lower()


def create_account(email, name, password, role):
    """A new account; refuses a taken email or a short password."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(_l("Enter a valid email address."), code="email_invalid")
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            _l("The password must be at least %(n)d characters long.", n=PASSWORD_MIN_LENGTH),
            code="password_too_short",
        )
    name = (name or "").strip()[:120] or email.split("@", 1)[0]
    if db.session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise InvalidInput(_l("An account with this email already exists."), code="email_taken")
    account = Account(email=email, name=name, role=role)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account


def organizer_exists():
    return db.session.scalar(select(func.count(Account.id)).where(Account.role == Role.ORGANIZER)) > 0


def issue_setup_link(secret_key, valid_for_hours):
    """A fresh one-time token for creating the first organizer; older ones stop working."""
    db.session.execute(SetupLink.__table__.delete().where(SetupLink.used_at.is_(None)))
    token = new_token()
    db.session.add(
        SetupLink(
            token_digest=token_digest(secret_key, token),
            expires_at=utcnow() + timedelta(hours=valid_for_hours),
        )
    )
    db.session.flush()
    return token


def find_setup_link(secret_key, token):
    """The unused, unexpired link for this token, or LinkInvalid."""
    link = db.session.scalar(
        select(SetupLink).where(SetupLink.token_digest == token_digest(secret_key, token or ""))
    )
    if link is None or link.used_at is not None or _as_aware(link.expires_at) < utcnow() or organizer_exists():
        raise LinkInvalid()
    return link


def redeem_setup_link(secret_key, token, email, name, password):
    """Create the first organizer with a one-time link, which then stops working."""
    link = find_setup_link(secret_key, token)
    account = create_account(email, name, password, Role.ORGANIZER)
    link.used_at = utcnow()
    db.session.flush()
    return account


def _as_aware(moment):
    # SQLite hands timestamps back without their time zone; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
