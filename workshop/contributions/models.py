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
    text: Mapped[str] = mapped_column(String(NEED_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


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
