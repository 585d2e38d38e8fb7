"""Races against the real operations, as the server runs them: many threads,
each action in its own app context (so its own session and its own SQLite
connection) and its own unit of work, on a file database.

Used by tests/security/test_database_promises.py and by bench/dot_race.py.
"""

import itertools
import threading
from dataclasses import dataclass, field

from workshop.accounts.models import Account, Role
from workshop.accounts.operations import create_account
from workshop.contributions import operations
from workshop.contributions.models import ClientAction, Dot
from workshop.core.database import run_in_unit_of_work, unit_of_work
from workshop.core.errors import DomainError
from workshop.events.models import EventStatus
from workshop.events.operations import add_theme, create_event
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.participants.operations import join_table
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.operations import change_phase, create_table


def attempt(app, work, *args, **kwargs):
    """work(*args) in its own app context and unit of work, as a socket handler
    runs it; returns "ok", a refusal's code, or "server_error: ..." for
    anything else (a "database is locked", say)."""
    with app.app_context():
        try:
            run_in_unit_of_work(work, *args, **kwargs)
            return "ok"
        except DomainError as error:
            return error.code
        except Exception as error:  # what a user would get as server_error
            return f"server_error: {error!r}"
        finally:
            db.session.remove()


def cast(participant_id, table_id, need_id, client_id):
    """What the cast_dot handler does once it has parsed the payload."""
    table = db.session.get(WorkingTable, table_id)
    participant = db.session.get(Participant, participant_id)
    return operations.cast_dot(table, participant, need_id, client_id=client_id)


@dataclass
class Round:
    answers: list
    dots: int
    dots_used: int
    actions: int

    @property
    def accepted(self):
        return self.answers.count("ok")

    @property
    def refusals(self):
        return {answer for answer in self.answers if answer != "ok"}


@dataclass
class DotRace:
    """`threads` threads that, each round, give one dot at the same moment on
    behalf of one new participant with a budget of `budget` dots (and a cap
    per need high enough that only the budget can stop them)."""

    app: object
    threads: int = 50
    budget: int = 5
    needs: int = 10
    _ids: itertools.count = field(default_factory=itertools.count)

    def __enter__(self):
        with self.app.app_context(), unit_of_work():
            organizer = create_account(f"race-{id(self)}@example.org", "Race", "correct horse battery",
                                       Role.ORGANIZER)
            event = create_event(organizer, "Race", dots_per_participant=self.budget, max_dots_per_need=50)
            event.status = EventStatus.LIVE
            table = create_table(add_theme(event, "Theme"), "Table")
            author, _ = join_table(table, "race-author")
            need_ids = [operations.post_need(table, author, f"Need {n}", client_id=f"race-need-{n:04d}")["need"]["id"]
                        for n in range(self.needs)]
            change_phase(table, db.session.get(Account, organizer.id), Phase.REVIEW)
            change_phase(table, db.session.get(Account, organizer.id), Phase.VOTE)
            self.table_id, self.need_ids = table.id, need_ids
        self._start = threading.Barrier(self.threads + 1)
        self._done = threading.Barrier(self.threads + 1)
        self._answers = [None] * self.threads
        self._participant = None
        self._stop = False
        self._workers = [threading.Thread(target=self._work, args=(index,), daemon=True)
                         for index in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def _work(self, index):
        while True:
            self._start.wait()
            if self._stop:
                return
            self._answers[index] = attempt(self.app, cast, self._participant, self.table_id,
                                           self.need_ids[index % len(self.need_ids)],
                                           client_id=f"race-{self._participant}-{index:03d}")
            self._done.wait()

    def round(self):
        """One round: a new participant, then every thread's dot at once."""
        with self.app.app_context(), unit_of_work():
            participant, _ = join_table(db.session.get(WorkingTable, self.table_id), f"race-{next(self._ids)}")
            self._participant = participant.id
        self._start.wait()
        self._done.wait()
        with self.app.app_context():
            mine = self._participant
            result = Round(
                answers=list(self._answers),
                dots=db.session.scalar(db.select(db.func.count(Dot.id)).where(Dot.participant_id == mine)),
                dots_used=db.session.get(Membership, (mine, self.table_id)).dots_used,
                actions=db.session.scalar(
                    db.select(db.func.count(ClientAction.id)).where(ClientAction.participant_id == mine)),
            )
            db.session.remove()
        return result

    def __exit__(self, *exc_info):
        self._stop = True
        self._start.wait()
        for worker in self._workers:
            worker.join()
