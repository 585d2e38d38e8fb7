"""Events (one meeting) and their themes."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.core.models import Timestamp, utcnow
from workshop.extensions import db

event_organizer = db.Table(
    "event_organizer",
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("language IN ('it', 'en')", name="language"),
        CheckConstraint("dots_per_participant BETWEEN 1 AND 50", name="dots_per_participant"),
        CheckConstraint("max_dots_per_need BETWEEN 1 AND 50", name="max_dots_per_need"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    venue: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="it")
    # Voting rules every new table of the event starts with.
    dots_per_participant: Mapped[int] = mapped_column(default=3)
    max_dots_per_need: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    organizers = relationship("Account", secondary=event_organizer, lazy="selectin")
    themes: Mapped[list["Theme"]] = relationship(
        back_populates="event", order_by="Theme.position", cascade="all, delete-orphan"
    )

    def __repr__(self):
        return f"<Event {self.id} {self.title!r}>"


class Theme(db.Model):
    __tablename__ = "theme"
    __table_args__ = (CheckConstraint("length(colour) = 7", name="colour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7), default="#1f5fa8")
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="themes")
    tables: Mapped[list["WorkingTable"]] = relationship(  # noqa: F821
        back_populates="theme", order_by="WorkingTable.id", cascade="all, delete-orphan"
    )
