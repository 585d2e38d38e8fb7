"""Participants joining tables."""

from sqlalchemy import select

from workshop.core.models import utcnow
from workshop.extensions import db
from workshop.participants.models import Membership, Participant


def join_table(table, device_digest):
    """The participant this device is at the table's event, joined to the table.

    Idempotent: the same device joining again (a reload, a reconnect, a second
    tab) is the same participant with the same membership.
    """
    participant = db.session.scalar(
        select(Participant).where(
            Participant.event_id == table.theme.event_id, Participant.device_digest == device_digest
        )
    )
    if participant is None:
        participant = Participant(event_id=table.theme.event_id, device_digest=device_digest)
        db.session.add(participant)
        db.session.flush()
    participant.last_seen_at = utcnow()
    membership = db.session.get(Membership, (participant.id, table.id))
    if membership is None:
        membership = Membership(participant_id=participant.id, table_id=table.id)
        db.session.add(membership)
    db.session.flush()
    return participant, membership


def find_participant(event_id, device_digest):
    return db.session.scalar(
        select(Participant).where(Participant.event_id == event_id, Participant.device_digest == device_digest)
    )
