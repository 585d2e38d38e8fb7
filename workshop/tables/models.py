"""Working tables: where a group reads its needs, and the phases it goes through."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.core.errors import WrongPhase
from workshop.core.models import Timestamp, enum_column, utcnow
from workshop.extensions import db


class Phase(enum.StrEnum):
    COLLECT = "collect"
    VOTE = "vote"
    RESULTS = "results"
    CLOSED = "closed"

    @property
    def index(self):
        return PHASE_ORDER.index(self)

    @property
    def next(self):
        return PHASE_ORDER[self.index + 1] if self.index + 1 < len(PHASE_ORDER) else None

    @property
    def previous(self):
        return PHASE_ORDER[self.index - 1] if self.index > 0 else None


PHASE_ORDER = list(Phase)

table_facilitator = db.Table(
    "table_facilitator",
    Column("table_id", ForeignKey("working_table.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingTable(db.Model):
    __tablename__ = "working_table"
    __table_args__ = (
        CheckConstraint("dots_per_participant BETWEEN 1 AND 50", name="dots_per_participant"),
        CheckConstraint("max_dots_per_need BETWEEN 1 AND 50", name="max_dots_per_need"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    phase: Mapped[Phase] = mapped_column(enum_column(Phase, "table_phase"), default=Phase.COLLECT)
    # Grows with every change to what the table shows; every broadcast carries
    # it, so a client can tell what it has already seen.
    version: Mapped[int] = mapped_column(default=0)
    dots_per_participant: Mapped[int] = mapped_column(default=3)
    max_dots_per_need: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    theme = relationship("Theme", back_populates="tables", lazy="joined")
    facilitators = relationship("Account", secondary=table_facilitator, lazy="selectin")

    @property
    def event(self):
        return self.theme.event

    def move_to(self, phase):
        """Go one phase forward or back; refuse any other jump."""
        if phase not in (self.phase.next, self.phase.previous):
            raise WrongPhase(code="phase_jump")
        self.phase = phase

    def __repr__(self):
        return f"<WorkingTable {self.id} {self.join_code} {self.phase.value}>"


class PhaseChange(db.Model):
    """The log of who moved a table between phases, and when."""

    __tablename__ = "phase_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    from_phase: Mapped[Phase] = mapped_column(enum_column(Phase, "phase_change_from"))
    to_phase: Mapped[Phase] = mapped_column(enum_column(Phase, "phase_change_to"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
