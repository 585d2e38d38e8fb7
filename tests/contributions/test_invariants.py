"""The dot rules hold whatever a table's participants and facilitators do, in any order.

A hypothesis state machine drives random sequences of posts, dots, take-backs,
deletions, merges and unmerges (within a table and across the tables of a
theme), hides, unhides, table moves and phase changes over 2 themes x 2
tables, through the operations the socket handlers call (each in its own unit
of work, with real model objects), and a few through Socket.IO. After every
step it checks that no dot is lost, counted twice or spent beyond a budget or
a cap.
"""

import collections
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from tests.conftest import Phone
from workshop.accounts.models import Account
from workshop.contributions import merging, moderation, operations
from workshop.contributions.models import Dot, Need
from workshop.contributions.results import ranking, table_needs, table_root, theme_ranking, total_live_dots
from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError
from workshop.events.models import Event, EventStatus
from workshop.events.operations import add_theme, create_event
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.participants.operations import join_table
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.operations import change_phase, create_table

PEOPLE = 5
SETTINGS = settings(max_examples=25, stateful_step_count=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
_ids = itertools.count()
STEPS = (["dot"] * 6 + ["take_back"] * 2 + ["post"] * 2 + ["delete_own", "move_to_table", "socket_dot", "phase"]
         + ["merge"] * 2 + ["unmerge", "hide", "unhide"] + ["merge_across_tables"] * 2 + ["unmerge_across_tables"])


def action_id():
    return f"machine-{next(_ids):08d}"


def check_table(table):
    """The dot rules at one table; returns the dots its ranking counts."""
    needs = table_needs(table.id)
    by_id = {need.id: need for need in needs}
    live = db.session.scalars(select(Dot).where(Dot.table_id == table.id, Dot.set_aside_by_id.is_(None))).all()
    memberships = db.session.scalars(select(Membership).where(Membership.table_id == table.id)).all()
    for membership in memberships:
        db.session.refresh(membership)
        mine = sum(1 for dot in live if dot.participant_id == membership.participant_id)
        assert membership.dots_used == mine, (table.id, membership.participant_id, membership.dots_used, mine)
        assert 0 <= membership.dots_used <= table.dots_per_participant
    assert {dot.participant_id for dot in live} <= {m.participant_id for m in memberships}

    entries = ranking(table)
    for entry in entries:
        group = {entry["id"], *entry["merged"]}
        per_participant = {}
        for dot in live:
            if dot.need_id in group:
                per_participant[dot.participant_id] = per_participant.get(dot.participant_id, 0) + 1
        assert max(per_participant.values(), default=0) <= table.max_dots_per_need, (entry, per_participant)
        assert entry["dots"] == sum(per_participant.values())
    on_hidden = sum(1 for dot in live if table_root(by_id[dot.need_id], by_id).hidden)
    counted = sum(entry["dots"] for entry in entries)
    assert counted + on_hidden == len(live) == total_live_dots([table.id]), (counted, on_hidden, len(live))
    return counted, on_hidden


def check_plenary_cap(theme, plenary):
    """A participant who moved between tables holds no more than the cap on a
    need merged across them at the plenary (the smallest cap of its tables)."""
    caps = {table.id: table.max_dots_per_need for table in theme.tables}
    for entry in plenary:
        group = [entry["id"], *entry["merged"]]
        needs = db.session.scalars(select(Need).where(Need.id.in_(group))).all()
        held = collections.Counter(db.session.scalars(select(Dot.participant_id).where(
            Dot.need_id.in_(group), Dot.set_aside_by_id.is_(None))))
        assert max(held.values(), default=0) <= min(caps[need.table_id] for need in needs), (entry, held)


class NoNeed(DomainError):
    """Nothing to act on yet: the step does nothing."""


class Tables(RuleBasedStateMachine):
    """Set `app` and `organizer_id` on the class before running."""

    app = None
    organizer_id = None
    done = collections.Counter()  # the steps that went through, over all examples

    @initialize(dots=st.integers(2, 3), cap=st.integers(1, 2), moving=st.booleans(),
                start=st.sampled_from([Phase.VOTE, Phase.VOTE, Phase.COLLECT]))
    def open_event(self, dots, cap, moving, start):
        with self.app.app_context(), unit_of_work():
            organizer = db.session.get(Account, self.organizer_id)
            event = create_event(organizer, "Machine", dots_per_participant=dots, max_dots_per_need=cap)
            event.status = EventStatus.LIVE
            event.allow_table_change = moving
            tables = [create_table(theme, f"T{t}.{n}") for t in (1, 2)
                      for theme in [add_theme(event, f"Theme {t}")] for n in (1, 2)]
            self.event_id = event.id
            self.table_ids = [table.id for table in tables]
            self.codes = [table.join_code for table in tables]
            self.devices = [f"device-{self.event_id}-{n}" for n in range(PEOPLE)]
            # Everyone starts at a table, each table with two needs.
            for person, device in enumerate(self.devices):
                participant, _ = join_table(tables[person % 4], device)
                operations.post_need(tables[person % 4], participant, f"Need {person}", client_id=action_id())
                if person < 4:
                    operations.post_need(tables[person], participant, f"Need {person}b", client_id=action_id())
            if start is Phase.VOTE:
                for table in tables:
                    change_phase(table, organizer, Phase.REVIEW)
                    change_phase(table, organizer, Phase.VOTE)
                # Some dots already given, for the merges and hides to act on.
                for person, device in enumerate(self.devices):
                    participant, _ = join_table(tables[person % 4], device)
                    first = table_needs(tables[person % 4].id)[person % 2]
                    operations.cast_dot(tables[person % 4], participant, first.id, client_id=action_id())
        self.phones = {}

    # -- helpers ---------------------------------------------------------------

    def run(self, work, kind):
        """work(organizer) in one unit of work; a refusal changes nothing."""
        try:
            with self.app.app_context(), unit_of_work():
                work(db.session.get(Account, self.organizer_id))
            self.done[kind] += 1
        except DomainError:
            pass

    def table(self, index):
        return db.session.get(WorkingTable, self.table_ids[index % 4])

    def participant(self, index):
        return db.session.scalar(select(Participant).where(
            Participant.event_id == self.event_id, Participant.device_digest == self.devices[index % PEOPLE]))

    def membership(self, person, index):
        """The index-th table the person has joined: (table, participant)."""
        participant = self.participant(person)
        tables = db.session.scalars(select(Membership.table_id).where(
            Membership.participant_id == participant.id).order_by(Membership.table_id)).all()
        return db.session.get(WorkingTable, tables[index % len(tables)]), participant

    def chosen(self, index, *conditions):
        """The index-th need of the event that meets the conditions; NoNeed when there is none."""
        needs = db.session.scalars(select(Need).where(Need.table_id.in_(self.table_ids), *conditions)
                                   .order_by(Need.id)).all()
        if not needs:
            raise NoNeed()
        return needs[index % len(needs)]

    def need(self, index, table=None):
        """The index-th need of the event (or of one table); NoNeed when there is none."""
        query = select(Need).join(WorkingTable).where(WorkingTable.id.in_(self.table_ids)).order_by(Need.id)
        if table is not None:
            query = query.where(Need.table_id == table.id)
        needs = db.session.scalars(query).all()
        if not needs:
            raise NoNeed()
        return needs[index % len(needs)]

    # -- the steps: one rule picking one action, weighted by how often it appears ------

    @rule(kind=st.sampled_from(STEPS), person=st.integers(0, PEOPLE - 1), table=st.integers(0, 3),
          first=st.integers(0, 20), second=st.integers(0, 20), flag=st.booleans())
    def step(self, kind, person, table, first, second, flag):
        if kind in ("dot", "take_back"):
            self.dot(person, table, first, back=kind == "take_back")
        elif kind == "post":
            self.post(person, table)
        elif kind == "delete_own":
            self.delete_own(person, first)
        elif kind == "move_to_table":
            self.move_to_table(person, table)
        elif kind == "socket_dot":
            self.dot_through_socketio(person, table, first, back=flag and first % 3 == 0)
        elif kind == "phase":
            self.phase(table, forward=flag)
        elif kind == "merge":
            self.merge(table, first, second)
        elif kind in ("unmerge", "unmerge_across_tables"):
            getattr(self, kind)(first)
        elif kind in ("hide", "unhide"):
            self.hide(first, show=kind == "unhide")
        else:
            self.merge_across_tables(table % 2, flag, first, second)

    # -- what participants do --------------------------------------------------------

    def move_to_table(self, person, table):
        self.run(lambda _: join_table(self.table(table), self.devices[person]), "move_to_table")

    def post(self, person, table):
        def work(_):
            where, participant = self.membership(person, table)
            operations.post_need(where, participant, f"Posted by {person}", client_id=action_id())
        self.run(work, "post")

    def dot(self, person, table, need, back):
        def work(_):
            where, participant = self.membership(person, table)
            operation = operations.withdraw_dot if back else operations.cast_dot
            operation(where, participant, self.need(need, where).id, client_id=action_id())
        self.run(work, "take_back" if back else "dot")

    def delete_own(self, person, need):
        def work(_):
            participant = self.participant(person)
            target = self.chosen(need, Need.participant_id == participant.id)
            table = db.session.get(WorkingTable, target.table_id)
            operations.delete_own_need(table, participant, target.id, client_id=action_id())
        self.run(work, "delete_own")

    def dot_through_socketio(self, person, table, need, back):
        """The same as `dot`, from a real phone (its own participant, joining through the join link)."""
        key = (person, table % 4)
        if key not in self.phones:
            phone = Phone(self.app, self.codes[table % 4])
            if not phone.connected:
                return
            self.phones[key] = phone
        with self.app.app_context():
            try:
                target_id = self.need(need, self.table(table)).id
            except NoNeed:
                return
            finally:
                db.session.remove()
        phone = self.phones[key]
        ack = phone.take_back(target_id) if back else phone.dot(target_id)
        assert ack["ok"] or ack["error"]["code"] != "server_error", ack
        if ack["ok"]:
            self.done["socket_dot"] += 1

    # -- what facilitators do --------------------------------------------------------

    def phase(self, table, forward):
        def work(organizer):
            where = self.table(table)
            target = where.phase.next if forward else where.phase.previous
            if target is not None:
                change_phase(where, organizer, target)
        self.run(work, "phase")

    def merge(self, table, source, into):
        def work(organizer):
            where = self.table(table)
            merging.merge_needs(where, organizer, self.need(source, where), self.need(into, where))
        self.run(work, "merge")

    def unmerge(self, need):
        def work(organizer):
            target = self.chosen(need, Need.merged_into_id.is_not(None))
            merging.unmerge_need(db.session.get(WorkingTable, target.table_id), organizer, target)
        self.run(work, "unmerge")

    def hide(self, need, show):
        def work(organizer):
            target = self.chosen(need, Need.hidden.is_(show))
            operation = moderation.unhide_need if show else moderation.hide_need
            operation(db.session.get(WorkingTable, target.table_id), organizer, target)
        self.run(work, "unhide" if show else "hide")

    def merge_across_tables(self, theme, flip, source, into):
        def work(organizer):
            event = db.session.get(Event, self.event_id)
            here, there = self.table(2 * theme + flip), self.table(2 * theme + 1 - flip)
            merging.merge_across_tables(event, organizer, self.need(source, here), self.need(into, there))
        self.run(work, "merge_across_tables")

    def unmerge_across_tables(self, need):
        def work(organizer):
            target = self.chosen(need, Need.theme_merged_into_id.is_not(None))
            merging.unmerge_across_tables(db.session.get(Event, self.event_id), organizer, target)
        self.run(work, "unmerge_across_tables")

    # -- after every step ---------------------------------------------------------------

    @invariant()
    def no_dot_is_lost_counted_twice_or_over_spent(self):
        if not hasattr(self, "event_id"):
            return
        with self.app.app_context():
            event = db.session.get(Event, self.event_id)
            all_tables = 0
            for theme in event.themes:
                per_table = {table.id: check_table(table) for table in theme.tables}
                plenary = theme_ranking(theme)
                at_theme = sum(entry["dots"] for entry in plenary)
                check_plenary_cap(theme, plenary)
                assert at_theme == sum(counted for counted, _hidden in per_table.values()), (theme.name, per_table)
                all_tables += sum(counted + hidden for counted, hidden in per_table.values())
            assert total_live_dots(self.table_ids) == all_tables
            spent = db.session.scalar(select(func.sum(Membership.dots_used)).where(
                Membership.table_id.in_(self.table_ids)))
            assert (spent or 0) == all_tables
            db.session.remove()

    def teardown(self):
        for phone in getattr(self, "phones", {}).values():
            phone.sio.disconnect()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_the_dot_rules_hold_after_every_step(app, world):
    Tables.app = app
    Tables.organizer_id = world.account().id
    Tables.done.clear()
    run_state_machine_as_test(Tables, settings=SETTINGS)
    # The examples reached every kind of step, not only refusals.
    assert set(Tables.done) == set(STEPS), Tables.done
