"""Accounts of the people who prepare and run meetings (participants have none)."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from workshop.core.models import Timestamp, enum_column, utcnow
from workshop.extensions import db


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    FACILITATOR = "facilitator"


class Account(UserMixin, db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "account_role"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_organizer(self):
        return self.role is Role.ORGANIZER

    def __repr__(self):
        return f"<Account {self.id} {self.role.value}>"


class SetupLink(db.Model):
    """A one-time link that lets its holder create the first organizer account."""

    __tablename__ = "setup_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)


class FacilitatorInvite(db.Model):
    """A one-time link an organizer sends to bring a facilitator into an event.

    Only the keyed hash of the token is stored. Redeeming it creates the
    facilitator's account (they choose the password) and adds them to the
    event's facilitators.
    """

    __tablename__ = "facilitator_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
