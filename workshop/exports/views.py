"""Downloads of the minutes: a whole event for its organizers, one table for
whoever runs it (its facilitators and the event's organizers)."""

import re
import unicodedata

from flask import Blueprint, Response, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workshop.core.access import can_manage_event, can_run_table, require
from workshop.core.errors import NotAllowed
from workshop.events.models import Event
from workshop.exports.formats import FORMATS, render
from workshop.extensions import db
from workshop.tables.models import WorkingTable

blueprint = Blueprint("exports", __name__)


@blueprint.app_context_processor
def formats_for_links():
    return {"export_formats": list(FORMATS.values())}


@blueprint.get("/organize/events/<int:event_id>/export/<name>")
def event_export(event_id, name):
    event = db.session.get(Event, event_id) or abort(404)
    _require_account()
    require(can_manage_event(current_user, event))
    return _download(name, event, None, [event.title])


@blueprint.get("/tables/<int:table_id>/export/<name>")
def table_export(table_id, name):
    table = db.session.get(WorkingTable, table_id) or abort(404)
    _require_account()
    require(can_run_table(current_user, table))
    return _download(name, table.event, table, [table.event.title, table.name])


def _require_account():
    # A 403 with what to do, not a trip to the login page: participants, who
    # have no account, must see at once that the minutes are not for them.
    if not current_user.is_authenticated:
        raise NotAllowed(_l("Log in as an organizer of this event, or as the facilitator of this table, "
                            "to download its minutes."))


def _download(name, event, table, title_parts):
    export = FORMATS.get(name) or abort(404)
    disposition = "inline" if export.inline else "attachment"
    filename = f"{file_stem(title_parts)}.{export.extension}"
    return Response(render(export, event, table), mimetype=export.mimetype, headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "no-store",
    })


def file_stem(parts):
    """An ASCII file name from titles: "Tavolo di co-progettazione 2026" -> "tavolo-di-co-progettazione-2026"."""
    words = []
    for part in parts:
        folded = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode().lower()
        words.extend(re.findall(r"[a-z0-9]+", folded))
    return "-".join(["tavoli", *words])[:80].rstrip("-")
