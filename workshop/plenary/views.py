"""Organizer pages of the plenary: the live dashboard and the event projector."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from workshop.core.access import can_manage_event, require
from workshop.events.models import Event
from workshop.extensions import db

blueprint = Blueprint("plenary", __name__, url_prefix="/organize")

DEFAULT_ROTATION_S = 20
MIN_ROTATION_S, MAX_ROTATION_S = 2, 600


def _managed_event(event_id):
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require(can_manage_event(current_user, event))
    return event


@blueprint.get("/events/<int:event_id>/plenary")
@login_required
def dashboard(event_id):
    """Every theme's ranking across its tables, live, with cross-table merges."""
    event = _managed_event(event_id)
    return render_template("plenary/dashboard.html", event=event)


@blueprint.get("/events/<int:event_id>/plenary/screen")
@login_required
def screen(event_id):
    """The event projector: one theme's top needs at a time, rotating every
    `every` seconds (20 by default), or only the theme `theme`."""
    event = _managed_event(event_id)
    every = request.args.get("every", DEFAULT_ROTATION_S, type=int)
    every = min(max(every, MIN_ROTATION_S), MAX_ROTATION_S) if every else DEFAULT_ROTATION_S
    theme_id = request.args.get("theme", type=int)
    if theme_id is not None and theme_id not in {theme.id for theme in event.themes}:
        abort(404)
    return render_template("plenary/screen.html", event=event, every=every, theme_id=theme_id)
