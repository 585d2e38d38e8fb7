"""Ending a rehearsal and removing its simulated participants: every row they
made goes, and real people get back what they had put into it."""

from sqlalchemy import func, select

from tests.conftest import set_phase
from tests.contributions.test_live_table import wait_for
from tests.rehearsal.conftest import rehearsing_table, start_without_loop, steps
from workshop.contributions.models import ClientAction, Dot, Need
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.models import FacilitationLog, Phase
from workshop.tables.rehearsal import REHEARSAL_NEEDS


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_end_and_clear_removes_every_simulated_row_and_gives_real_dots_back(app, world):
    at = rehearsing_table(world, dots=3, max_per_need=1)
    phone = world.phone(at.table)
    real = phone.post("Evening buses to the villages")["need"]["id"]
    start_without_loop(app, at)
    steps(app, at.table.id, 9)  # three join, six needs
    with app.app_context():
        fake, other_fake = db.session.scalars(
            select(Need.id).where(Need.text.in_(REHEARSAL_NEEDS["it"])).order_by(Need.id).limit(2)).all()
    set_phase(at.console, Phase.VOTE)
    assert phone.dot(fake)["ok"] and phone.dot(real)["ok"]
    steps(app, at.table.id, 12, seed=3)  # the simulated participants spend their dots
    # Back in review, the facilitator merges the real need into a simulated one:
    # the phone's two dots on the group are one too many, and its dot on the
    # real need is set aside (given back to its budget).
    set_phase(at.console, Phase.REVIEW)
    assert at.console.emit("moderate", {"action": "merge", "need": real, "into": fake})["ok"]
    # ...and hides another simulated need.
    assert at.console.emit("moderate", {"action": "hide", "need": other_fake})["ok"]
    with app.app_context():
        budget = db.session.scalar(select(Membership.dots_used).where(
            Membership.participant_id.not_in(select(Participant.id).where(Participant.simulated.is_(True)))))
    assert budget == 1  # the dot on the simulated need

    phone.received()
    ack = at.console.emit("rehearsal", {"action": "clear"})
    assert ack["ok"], ack
    assert ack["rehearsal"] == {"running": False, "pace": None, "simulated": 0}

    simulated = select(Participant.id).where(Participant.simulated.is_(True))
    assert _count(app, Participant, Participant.simulated.is_(True)) == 0
    assert _count(app, Membership) == 1
    assert _count(app, Need) == 1
    assert _count(app, Dot, Dot.participant_id.in_(simulated)) == 0
    assert _count(app, ClientAction) == _count(app, ClientAction, ClientAction.participant_id.not_in(simulated))
    with app.app_context():
        need = db.session.get(Need, real)
        assert need.merged_into_id is None  # split out of the simulated need first
        dots = db.session.scalars(select(Dot)).all()
        # The phone's dot on the simulated need is gone and refunded; the one
        # the merge had set aside is live again.
        assert [(dot.need_id, dot.set_aside_by_id) for dot in dots] == [(real, None)]
        assert db.session.scalar(select(Membership.dots_used)) == 1
        actions = db.session.scalars(select(FacilitationLog.action).where(
            FacilitationLog.table_id == at.table.id).order_by(FacilitationLog.id)).all()
    assert actions[-2:] == ["unmerge", "rehearsal_clear"]
    assert "rehearsal_start" in actions
    me = wait_for(phone, "me", lambda message: message["me"]["left"] == 2)
    assert me["me"]["dots"] == {str(real): 1}
    # The phone's banner goes: nothing simulated is left.
    table = wait_for(phone, "table", lambda message: message["table"]["rehearsal"]["simulated"] == 0)
    assert table["table"]["rehearsal"]["running"] is False
    assert [need["id"] for need in phone.emit("sync", {})["snapshot"]["needs"]] == [real]
