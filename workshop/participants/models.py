"""Participants: anonymous devices, one identity per event, and the tables they joined."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workshop.core.models import Timestamp, utcnow
from workshop.extensions import db


class Participant(db.Model):
    """One phone at one event. The device token itself is never stored: only
    its keyed hash, to recognise the same phone when it comes back."""

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("event_id", "device_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    device_digest: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(60))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    # A participant played by the rehearsal simulator, not a person: its needs
    # and dots are marked as such and never reach the exports or the plenary.
    simulated: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Membership(db.Model):
    """A participant at a table, with the dots they have spent there.

    dots_used is the budget counter: it only ever changes by a conditional
    update inside the transaction that adds, removes, sets aside or restores
    the dot itself (workshop/contributions/), so it always equals the number
    of the participant's live dots at the table (not set aside by a merge or
    a hide) and can never pass the budget.
    """

    __tablename__ = "table_membership"
    __table_args__ = (CheckConstraint("dots_used >= 0", name="dots_used"),)

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    table_id: Mapped[int] = mapped_column(
        ForeignKey("working_table.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    dots_used: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
