"""Events (one meeting), their themes, and the organisations that take part."""

import enum
import re
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.core.errors import InvalidInput
from workshop.core.models import Timestamp, enum_column, utcnow
from workshop.extensions import db


class EventStatus(enum.StrEnum):
    """draft: being prepared (facilitators may rehearse, phones cannot join);
    live: the meeting is on; closed: over, read-only; archived: kept, out of sight."""

    DRAFT = "draft"
    LIVE = "live"
    CLOSED = "closed"
    ARCHIVED = "archived"


STATUS_ORDER = list(EventStatus)

COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}\Z")  # \Z: "$" would let a final newline through
# The languages an event's minutes can be written in.
EVENT_LANGUAGES = ("it", "en")


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    VOLUNTEER = "volunteer"
    ASSOCIATION = "association"
    SOCIAL_ENTERPRISE = "social_enterprise"
    SOCIAL_COOPERATIVE = "social_cooperative"
    OTHER = "other"


event_organizer = db.Table(
    "event_organizer",
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)

# The facilitators an event's organizers have brought in (by invitation); its
# tables are given to them from this list.
event_facilitator = db.Table(
    "event_facilitator",
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)

# The organisations taking part in an event.
event_organisation = db.Table(
    "event_organisation",
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(f"language IN {EVENT_LANGUAGES!r}", name="language"),
        CheckConstraint("dots_per_participant BETWEEN 1 AND 50", name="dots_per_participant"),
        CheckConstraint("max_dots_per_need BETWEEN 1 AND 50", name="max_dots_per_need"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    venue: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="it")
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT)
    # Voting rules every new table of the event starts with.
    dots_per_participant: Mapped[int] = mapped_column(default=3)
    max_dots_per_need: Mapped[int] = mapped_column(default=1)
    results_hidden: Mapped[bool] = mapped_column(default=False)
    # Whether a participant may join a second table of the event (their posts
    # and dots stay where they were made).
    allow_table_change: Mapped[bool] = mapped_column(default=False)
    # Made by `flask demo` (or the dashboard's demo button): marked as a demo
    # wherever it is shown, and removed in one step.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    organizers = relationship("Account", secondary=event_organizer)
    facilitators = relationship("Account", secondary=event_facilitator, order_by="Account.name")
    organisations = relationship(
        "Organisation", secondary=event_organisation, order_by="Organisation.name"
    )
    themes: Mapped[list["Theme"]] = relationship(
        back_populates="event", order_by="Theme.position", cascade="all, delete-orphan"
    )

    @property
    def tables(self):
        return [table for theme in self.themes for table in theme.tables]

    @property
    def is_open(self):
        """Phones may join and act only while the event is live."""
        return self.status is EventStatus.LIVE

    @property
    def is_read_only(self):
        return self.status in (EventStatus.CLOSED, EventStatus.ARCHIVED)

    def move_to(self, status):
        """Go one status forward or back; refuse any other jump."""
        index = STATUS_ORDER.index(self.status)
        if STATUS_ORDER.index(status) not in (index - 1, index + 1):
            raise InvalidInput(code="status_jump")
        self.status = status

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


class Organisation(db.Model):
    """An organisation in the registry, kept across events."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name folded for comparison (case, accents' composition, spaces), so
    # "ARCI  Lecco" and "Arci Lecco" are one organisation.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind"), default=OrganisationKind.OTHER
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    def __repr__(self):
        return f"<Organisation {self.id} {self.name!r}>"
