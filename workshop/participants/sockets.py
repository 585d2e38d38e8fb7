"""Socket.IO events a participant's phone sends about the participant: their profile.

A profile is optional and has no account behind it: a display name and the
organisation the participant comes from, both changeable at any time.
"""

from flask_babel import lazy_gettext as _l

from workshop.core.errors import InvalidInput
from workshop.core.sockets import is_record_id, socket_action
from workshop.events.models import Event
from workshop.extensions import db, socketio
from workshop.participants import operations
from workshop.tables.connections import connected_participant


@socketio.on("get_profile")
@socket_action(write=False)
def on_get_profile(payload):
    """A phone opening its profile form. Payload: {}. Answers {"ok": true,
    "profile": {"name", "organisation"}, "organisations": [{"id", "name", "kind"}]}:
    the organisations taking part in the event, to choose from."""
    participant = connected_participant()
    event = db.session.get(Event, participant.event_id)
    return {"profile": operations.participant_profile(participant),
            "organisations": [operations.organisation_summary(o) for o in event.organisations]}


@socketio.on("set_profile")
@socket_action(limit="RATELIMIT_PROFILE")
def on_set_profile(payload):
    """A phone saving its profile. Payload: {"name": text or null, "organisation":
    organisation id or null}. Answers {"ok": true, "profile": {"name", "organisation"}}."""
    name = payload.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidInput(_l("Write your name as text."), code="name_invalid")
    organisation_id = payload.get("organisation")
    if organisation_id is not None and not is_record_id(organisation_id):
        raise InvalidInput(_l("Choose an organisation from the list."), code="organisation_invalid")
    participant = operations.update_profile(connected_participant(), name, organisation_id)
    return {"profile": operations.participant_profile(participant)}
