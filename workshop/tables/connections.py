"""A client's live connection to one table: who it is and what it may see.

Recorded in the Socket.IO session when the connection opens, so every later
event knows its table and participant without trusting the client to say.
"""

from flask import session
from flask_login import current_user

from workshop.core.access import can_run_table, require
from workshop.core.errors import NotAllowed, NotFound
from workshop.extensions import db
from workshop.participants.models import Participant
from workshop.tables.models import WorkingTable

PHONE_VIEW = "phone"
SCREEN_VIEWS = ("projector", "console")
_KEY = "tavoli_live"


def remember_connection(table_id, view, participant_id=None):
    session[_KEY] = {"table": table_id, "view": view, "participant": participant_id}


def connection():
    live = session.get(_KEY)
    if live is None:
        raise NotAllowed()
    return live


def connected_table():
    table = db.session.get(WorkingTable, connection()["table"])
    if table is None:
        raise NotFound()
    return table


def connected_participant():
    """The participant behind this connection; only phones have one."""
    participant_id = connection()["participant"]
    participant = db.session.get(Participant, participant_id) if participant_id else None
    if participant is None:
        raise NotAllowed()
    return participant


def connected_screen():
    """The table this projector or console shows, checked against the account
    on every event like connected_console; phones are refused."""
    if connection()["view"] not in SCREEN_VIEWS:
        raise NotAllowed()
    table = connected_table()
    require(can_run_table(current_user, table))
    return table


def connected_console():
    """The table this facilitator console runs, checked against the account
    on every event (a facilitator taken off the table loses it at once)."""
    if connection()["view"] != "console":
        raise NotAllowed()
    table = connected_table()
    require(can_run_table(current_user, table))
    return table
