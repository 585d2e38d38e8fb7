"""The personal data an event holds, and deleting it.

What an event keeps about people, besides the accounts of its organizers and
facilitators (which are not the event's: they have their own life):
- each participant's display name, if they gave one, and the keyed hash of
  their phone's device token (device_digest), which recognises the phone when
  it comes back;
- the record of each phone's actions (client_action: the ids the phone made
  up and the answers it got), kept only so that a retried action is not done
  twice;
- the facilitator invitations of the event: an email and a name each;
- in events imported from an archive, the name and email of whoever wrote a
  log entry without having an account here (detail "archived_account").

delete_personal_data() removes all of that and keeps the results: needs,
dots, merges, rankings, the organisation each participant chose, and every
export with the same figures, only without names. The participants stay as
anonymous numbers. delete_event() removes the whole event. purge_personal_data()
applies the retention period (DATA_RETENTION_DAYS) to every closed event.

Never an IP address, a user agent or the device token itself is stored
anywhere, so there is nothing of them to delete.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from workshop.accounts.models import FacilitatorInvite
from workshop.contributions.models import ClientAction, Need
from workshop.core.errors import InvalidInput
from workshop.core.models import utcnow
from workshop.events.models import Event, EventStatus
from workshop.exports.archive import ARCHIVED_ACCOUNT
from workshop.extensions import db
from workshop.participants.models import Participant
from workshop.tables.models import FacilitationLog
from workshop.tables.operations import log_action

log = logging.getLogger(__name__)

DELETED_ACTION = "personal_data_deleted"
_ENDED = (EventStatus.CLOSED, EventStatus.ARCHIVED)


@dataclass(frozen=True)
class PersonalData:
    """How many records of each kind of personal data an event holds (or held)."""

    names: int = 0  # participants with a display name
    devices: int = 0  # participants whose device digest is kept
    client_actions: int = 0  # phones' action records
    invitations: int = 0  # facilitator invitations (email and name)
    archived_accounts: int = 0  # log entries naming someone without an account here

    @property
    def empty(self):
        return not any(asdict(self).values())

    def as_dict(self):
        return asdict(self)


def _participants_of(event):
    return select(Participant.id).where(Participant.event_id == event.id)


def _log_entries_naming_people(event):
    entries = db.session.scalars(select(FacilitationLog).where(FacilitationLog.event_id == event.id)).all()
    return [entry for entry in entries if ARCHIVED_ACCOUNT in (entry.detail or {})]


def personal_data_of(event):
    """What personal data the event holds now."""

    def count(statement):
        return db.session.scalar(statement) or 0

    return PersonalData(
        names=count(select(func.count()).where(Participant.event_id == event.id,
                                                Participant.display_name.is_not(None))),
        devices=count(select(func.count()).where(Participant.event_id == event.id,
                                                  Participant.device_digest.is_not(None))),
        client_actions=count(select(func.count()).where(ClientAction.participant_id.in_(_participants_of(event)))),
        invitations=count(select(func.count()).where(FacilitatorInvite.event_id == event.id)),
        archived_accounts=len(_log_entries_naming_people(event)),
    )


def personal_data_deleted_at(event):
    """When the event's personal data was last deleted, or None if never."""
    return db.session.scalar(
        select(func.max(FacilitationLog.at)).where(FacilitationLog.event_id == event.id,
                                                   FacilitationLog.action == DELETED_ACTION)
    )


def closed_since(event):
    """Since when the event has been over (closed, then maybe archived), or
    None while it is not. Read from the log of its status changes; an event
    over without one (imported that way) counts from its creation here."""
    if event.status not in _ENDED:
        return None
    entries = db.session.scalars(
        select(FacilitationLog).where(FacilitationLog.event_id == event.id, FacilitationLog.action == "status")
        .order_by(FacilitationLog.at, FacilitationLog.id)
    ).all()
    since = None
    for entry in entries:
        ended = (entry.detail or {}).get("to") in _ENDED
        if not ended:
            since = None
        elif since is None:
            since = entry.at
    return _aware(since or event.created_at)


def purge_date(event, retention_days):
    """When the retention period will delete the event's personal data, or
    None while the event is not over."""
    since = closed_since(event)
    return since + timedelta(days=retention_days) if since is not None else None


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite gives back naive UTC


def delete_personal_data(event, actor, reason="organizer"):
    """Delete the event's personal data (see the module's docstring) and keep
    its anonymous results. Returns what was deleted, as PersonalData.

    Only once the event is over: a phone that came back to a live event
    after its device digest was deleted would be a new participant with a
    new budget of dots. For the same reason the event cannot be opened
    again afterwards (change_event_status refuses). Deleting again finds
    nothing and logs nothing.
    """
    if event.status not in _ENDED:
        raise InvalidInput(_l("Close the event first: while it is open, phones still come back and need "
                              "what would be deleted."), code="event_not_closed")
    found = personal_data_of(event)
    if found.empty:
        return found
    db.session.execute(
        update(Participant).where(Participant.event_id == event.id)
        .values(display_name=None, device_digest=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(delete(ClientAction).where(ClientAction.participant_id.in_(_participants_of(event))),
                       execution_options={"synchronize_session": False})
    db.session.execute(delete(FacilitatorInvite).where(FacilitatorInvite.event_id == event.id),
                       execution_options={"synchronize_session": False})
    db.session.expire_all()  # the bulk statements went around the session's objects
    for entry in _log_entries_naming_people(event):
        entry.detail = {key: value for key, value in entry.detail.items() if key != ARCHIVED_ACCOUNT}
    log_action(event, actor, DELETED_ACTION, reason=reason, **found.as_dict())
    db.session.flush()
    log.info("personal data deleted", extra={"event": event.id, "account": actor.id if actor else None,
                                             "reason": reason, **found.as_dict()})
    return found


def delete_event(event, actor):
    """Delete the event and everything of it: themes, tables, participants,
    needs, dots, log, invitations, exports' sources. The organisations of the
    shared registry and the accounts stay. Refused while the event is live:
    close it first, so that no phone is in the middle of an action."""
    if event.status is EventStatus.LIVE:
        raise InvalidInput(_l("Close the event before deleting it."), code="event_live")
    event_id = event.id
    counts = {
        "tables": len(event.tables),
        "participants": db.session.scalar(select(func.count()).where(Participant.event_id == event_id)),
        "needs": db.session.scalar(
            select(func.count()).where(Need.table_id.in_([table.id for table in event.tables]))
        ),
    }
    db.session.flush()
    # The database's ON DELETE CASCADE removes everything that hangs from the
    # event, in the same statement; the session forgets what it had loaded.
    db.session.execute(delete(Event).where(Event.id == event_id), execution_options={"synchronize_session": False})
    db.session.expunge(event)
    db.session.expire_all()
    log.info("event deleted", extra={"event": event_id, "account": actor.id if actor else None, **counts})
    return counts


@dataclass(frozen=True)
class Purged:
    event_id: int
    closed_since: object
    deleted: PersonalData


def events_past_retention(retention_days, now=None):
    """Events over for longer than retention_days that still hold personal data."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    candidates = db.session.scalars(select(Event).where(Event.status.in_(_ENDED)).order_by(Event.id)).all()
    return [event for event in candidates
            if closed_since(event) <= cutoff and not personal_data_of(event).empty]


def purge_personal_data(retention_days, now=None):
    """Delete the personal data of every event over for longer than the
    retention period. Returns what it did, one Purged per event; running it
    again finds nothing to do."""
    purged = []
    for event in events_past_retention(retention_days, now):
        since = closed_since(event)
        purged.append(Purged(event.id, since, delete_personal_data(event, None, reason="retention")))
    return purged
