"""Participants joining tables, and the profile they may give themselves."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workshop.core.errors import InvalidInput, NotAllowed, NotFound
from workshop.core.models import utcnow
from workshop.core.validation import normalise_text
from workshop.events.models import Event, EventStatus, Organisation
from workshop.extensions import db
from workshop.participants.models import Membership, Participant


def join_table(table, device_digest):
    """The participant this device is at the table's event, joined to the table.

    Idempotent: the same device joining again (a reload, a reconnect, a second
    tab) is the same participant with the same membership. New participants
    join only a live event; those already at the table may come back to read
    it once the event is closed. A second table of the event only if the
    event allows moving.
    """
    event = table.event
    participant = db.session.scalar(
        select(Participant).where(
            Participant.event_id == table.theme.event_id, Participant.device_digest == device_digest
        )
    )
    if participant is None:
        if not event.is_open:
            raise _event_not_open(event)
        participant = Participant(event_id=table.theme.event_id, device_digest=device_digest)
        db.session.add(participant)
        db.session.flush()
    participant.last_seen_at = utcnow()
    membership = db.session.get(Membership, (participant.id, table.id))
    if membership is None:
        if not event.is_open:
            raise _event_not_open(event)
        elsewhere = db.session.scalar(select(Membership.table_id).where(Membership.participant_id == participant.id))
        if elsewhere is not None and not event.allow_table_change:
            raise NotAllowed(
                _l("You already joined another table of this event; this event does not allow changing tables."),
                code="table_change_not_allowed",
            )
        membership = Membership(participant_id=participant.id, table_id=table.id)
        db.session.add(membership)
    db.session.flush()
    return participant, membership


def _event_not_open(event):
    if event.status is EventStatus.DRAFT:
        return NotAllowed(_l("This event has not started yet. Try again when the organizers open it."),
                          code="event_not_open")
    return NotAllowed(_l("This event is over: it no longer takes new participants."), code="event_closed")


def seat_participant(table, display_name=None, organisation_id=None, simulated=False):
    """A new participant with no phone, joined to the table: one of the demo
    event's people, or (simulated) one of a rehearsal's simulated participants.
    Either acts only through the operations; with no device digest, no phone
    can ever come back as them. The profile passes the phones' rules. A
    simulated participant may join a draft event too (the facilitator
    rehearses before phones can join); nobody joins a closed one."""
    event = table.event
    if event.is_read_only or not (event.is_open or simulated):
        raise _event_not_open(event)
    participant = Participant(event_id=event.id, device_digest=None, simulated=simulated)
    db.session.add(participant)
    db.session.flush()
    membership = Membership(participant_id=participant.id, table_id=table.id)
    db.session.add(membership)
    update_profile(participant, display_name or "", organisation_id)
    return participant, membership


DISPLAY_NAME_MAX_LENGTH = 60


def update_profile(participant, display_name, organisation_id):
    """Set the name a participant shows and the organisation they come from.

    Both are optional: an empty name or no organisation clears them. The
    organisation must be one taking part in the participant's event.
    """
    event = db.session.get(Event, participant.event_id)
    if event.is_read_only:
        raise _event_not_open(event)
    name = normalise_text(display_name, code="name_invalid")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise InvalidInput(_l("Your name can be at most %(n)d characters long.", n=DISPLAY_NAME_MAX_LENGTH),
                           code="display_name_too_long")
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound(_l("This organisation is not in the registry."), code="organisation_not_found")
        if organisation not in event.organisations:
            raise InvalidInput(_l("This organisation is not taking part in this event."),
                               code="organisation_not_in_event")
    participant.display_name = name or None
    participant.organisation_id = organisation_id
    db.session.flush()
    return participant


def organisation_summary(organisation):
    return {"id": organisation.id, "name": organisation.name, "kind": organisation.kind.value}


def participant_profile(participant):
    """{"name", "organisation": {"id", "name", "kind"} | None}, as the phone shows it."""
    organisation = db.session.get(Organisation, participant.organisation_id) if participant.organisation_id else None
    return {"name": participant.display_name,
            "organisation": organisation_summary(organisation) if organisation else None}
