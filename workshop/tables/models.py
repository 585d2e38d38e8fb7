"""Working tables: where a group reads its needs, and the phases it goes through."""

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshop.core.errors import WrongPhase
from workshop.core.models import Timestamp, enum_column, utcnow
from workshop.extensions import db


class Phase(enum.StrEnum):
    COLLECT = "collect"
    REVIEW = "review"
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
        CheckConstraint("timer_duration_s BETWEEN 0 AND 86400", name="timer_duration_s"),
        CheckConstraint("timer_banked_s >= 0", name="timer_banked_s"),
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
    # With results hidden, phones and the projector see the ranking only once
    # a facilitator reveals it; the console always sees it.
    results_hidden: Mapped[bool] = mapped_column(default=False)
    results_revealed: Mapped[bool] = mapped_column(default=False)
    # The phase timer, kept by the server: the time allowed, the seconds
    # already run in earlier stretches, and since when it runs (None: paused).
    timer_duration_s: Mapped[int] = mapped_column(default=0)
    timer_banked_s: Mapped[int] = mapped_column(default=0)
    timer_started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # While a facilitator rehearses: simulated participants' actions per
    # minute (None: no rehearsal running).
    rehearsal_pace: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    theme = relationship("Theme", back_populates="tables", lazy="joined")
    facilitators = relationship("Account", secondary=table_facilitator)

    @property
    def event(self):
        return self.theme.event

    def clear_timer(self):
        """No timer: each phase starts without one."""
        self.timer_duration_s = 0
        self.timer_banked_s = 0
        self.timer_started_at = None

    @property
    def results_kept_hidden(self):
        """Results hidden until revealed, and not revealed yet: only the console sees them."""
        return self.results_hidden and not self.results_revealed

    def timer_remaining(self, now):
        """Seconds left on the phase timer at `now` (negative once overrun), or None without a timer."""
        if not self.timer_duration_s:
            return None
        run = self.timer_banked_s
        if self.timer_started_at is not None:
            started = self.timer_started_at
            if started.tzinfo is None:  # SQLite returns naive UTC
                started = started.replace(tzinfo=now.tzinfo)
            run += (now - started).total_seconds()
        return self.timer_duration_s - run

    def timer_state(self, now=None):
        """{"duration", "remaining", "running"} in seconds, as clients are told, or None with no timer set."""
        remaining = self.timer_remaining(now or utcnow())
        if remaining is None:
            return None
        return {
            "duration": self.timer_duration_s,
            "remaining": round(remaining, 1),
            "running": self.timer_started_at is not None,
        }

    def move_to(self, phase):
        """Go one phase forward or back; refuse any other jump."""
        if phase not in (self.phase.next, self.phase.previous):
            raise WrongPhase(code="phase_jump")
        self.phase = phase

    def __repr__(self):
        return f"<WorkingTable {self.id} {self.join_code} {self.phase.value}>"


class FacilitationLog(db.Model):
    """Every action a facilitator or organizer takes on a table or on the
    plenary: who, what, on which need, and when.

    A merge or a hide that sets dots aside points at its entry
    (Dot.set_aside_by_id), which is how an unmerge or unhide knows exactly
    which dots to give back.
    """

    __tablename__ = "facilitation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # None for plenary-level actions (a merge across the tables of a theme).
    table_id: Mapped[int | None] = mapped_column(ForeignKey("working_table.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    account = relationship("Account", lazy="joined")
