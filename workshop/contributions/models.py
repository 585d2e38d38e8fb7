"""Needs, the dots spent on them, and the record of each phone's actions."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workshop.core.models import Timestamp, utcnow
from workshop.extensions import db

NEED_MAX_LENGTH = 280


class Need(db.Model):
    __tablename__ = "need"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    # On whose behalf it was posted: the participant's organisation at the time.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(NEED_MAX_LENGTH))
    # The text as first posted, kept when a facilitator corrects it.
    original_text: Mapped[str | None] = mapped_column(String(NEED_MAX_LENGTH))
    hidden: Mapped[bool] = mapped_column(default=False)
    pinned: Mapped[bool] = mapped_column(default=False)
    # A need merged into another of its table; its dots count for that one.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="SET NULL"), index=True)
    # At the plenary: merged into a need of another table of the same theme.
    theme_merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("need.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Dot(db.Model):
    """One dot: one participant's unit of support for one need."""

    __tablename__ = "dot"
    __table_args__ = (
        Index("ix_dot_table_need", "table_id", "need_id"),
        Index("ix_dot_participant_need", "participant_id", "need_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    # Set aside by a merge or a hide (the log entry of that action): the dot
    # counts nowhere and is back in the participant's budget until the merge
    # or hide is undone.
    set_aside_by_id: Mapped[int | None] = mapped_column(ForeignKey("facilitation_log.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ClientAction(db.Model):
    """An action a phone sent with its own id, and the answer it got.

    The unique constraint makes a repeated id (a retry after a lost
    acknowledgement, an outbox replayed after the Wi-Fi came back) the same
    action: it is answered with the stored result and changes nothing.
    """

    __tablename__ = "client_action"
    __table_args__ = (UniqueConstraint("participant_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
