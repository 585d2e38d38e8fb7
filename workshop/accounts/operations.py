"""Creating accounts: the first organizer by a one-time set-up link, facilitators by invitation."""

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from workshop.accounts.models import Account, FacilitatorInvite, Role, SetupLink
from workshop.core.errors import InvalidInput, LinkInvalid, NotFound
from workshop.core.models import utcnow
from workshop.core.security import new_token, token_digest
from workshop.core.validation import normalise_text, optional_text
from workshop.extensions import db

PASSWORD_MIN_LENGTH = 10


def normalise_email(email):
    return normalise_text(email, code="email_invalid").lower()


def _valid_email(email):
    """email, normalised; refused unless it is one word with an @ inside, of at most 254 characters."""
    email = normalise_email(email)
    local, _at, domain = email.rpartition("@")
    if not local or not domain or " " in email or len(email) > 254:
        raise InvalidInput(_l("Enter a valid email address."), code="email_invalid")
    return email


def _account_name(name, email):
    return optional_text(name, 120, "name_invalid") or email.split("@", 1)[0][:120]


def create_account(email, name, password, role):
    """A new account; refuses a taken email or a short password."""
    email = _valid_email(email)
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            _l("The password must be at least %(n)d characters long.", n=PASSWORD_MIN_LENGTH),
            code="password_too_short",
        )
    name = _account_name(name, email)
    if db.session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise InvalidInput(_l("An account with this email already exists."), code="email_taken")
    account = Account(email=email, name=name, role=role)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account


# Checked against when nobody has the email typed, so that a wrong email takes
# as long as a wrong password and the login form does not tell which emails exist.
_NOBODY_PASSWORD_HASH = generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email, password):
    """The account with this email and password, or None; as slow for an unknown email as for a known one."""
    account = db.session.scalar(select(Account).where(Account.email == normalise_email(email)))
    if account is None:
        check_password_hash(_NOBODY_PASSWORD_HASH, password or "")
        return None
    return account if account.check_password(password or "") else None


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


def invite_facilitator(secret_key, event, inviter, email, name, valid_for_hours):
    """A one-time token inviting `email` to facilitate at `event`.

    Refuses an email that already has an account (email_taken): an existing
    facilitator is added with add_event_facilitator instead. Inviting the same
    email again replaces the earlier unused link.
    """
    email = _valid_email(email)
    if _account_by_email(email) is not None:
        raise InvalidInput(
            _l("An account with this email already exists. If it is a facilitator, add them to the event instead."),
            code="email_taken",
        )
    db.session.execute(FacilitatorInvite.__table__.delete().where(
        FacilitatorInvite.event_id == event.id, FacilitatorInvite.email == email, FacilitatorInvite.used_at.is_(None)
    ))
    token = new_token()
    db.session.add(FacilitatorInvite(
        token_digest=token_digest(secret_key, token),
        event_id=event.id,
        email=email,
        name=_account_name(name, email),
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(hours=valid_for_hours),
    ))
    db.session.flush()
    return token


def add_event_facilitator(event, actor, account):
    """Bring an existing facilitator account (an Account, or its email) into
    the event, no link needed."""
    if isinstance(account, str):
        account = _account_by_email(normalise_email(account))
    if account is None:
        raise NotFound(_l("No facilitator has an account with this email: invite them instead."),
                       code="account_not_found")
    if account.role is not Role.FACILITATOR:
        raise InvalidInput(_l("Organizers cannot be added as facilitators."), code="not_a_facilitator")
    if account not in event.facilitators:
        event.facilitators.append(account)
    db.session.flush()
    return account


def pending_invites(event):
    """The event's invites not yet used, newest first (expired ones included)."""
    return db.session.scalars(
        select(FacilitatorInvite)
        .where(FacilitatorInvite.event_id == event.id, FacilitatorInvite.used_at.is_(None))
        .order_by(FacilitatorInvite.created_at.desc(), FacilitatorInvite.id.desc())
    ).all()


def revoke_invite(event, actor, invite_id):
    """Cancel one of the event's unused invites: its link stops working."""
    invite = db.session.get(FacilitatorInvite, invite_id)
    if invite is None or invite.event_id != event.id or invite.used_at is not None:
        raise NotFound(code="invite_not_found")
    db.session.delete(invite)
    db.session.flush()


def find_invite(secret_key, token):
    """The unused, unexpired invite for this token, or LinkInvalid."""
    invite = db.session.scalar(
        select(FacilitatorInvite).where(FacilitatorInvite.token_digest == token_digest(secret_key, token or ""))
    )
    if invite is None or invite.used_at is not None or _as_aware(invite.expires_at) < utcnow():
        raise LinkInvalid()
    return invite


def redeem_invite(secret_key, token, name, password):
    """Create the invited facilitator's account and bring it into the event;
    the link then stops working."""
    from workshop.events.models import Event  # events build on accounts, not the other way round

    invite = find_invite(secret_key, token)
    account = create_account(invite.email, name or invite.name, password, Role.FACILITATOR)
    event = db.session.get(Event, invite.event_id)
    event.facilitators.append(account)
    invite.used_at = utcnow()
    invite.account_id = account.id
    db.session.flush()
    return account


def _account_by_email(email):
    return db.session.scalar(select(Account).where(Account.email == email))
