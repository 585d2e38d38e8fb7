"""Organizer pages: the dashboard of events, and setting up one event."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from workshop.core.access import can_manage_event, require
from workshop.core.web import apply_to_form
from workshop.events import operations
from workshop.events.forms import EventForm, StatusForm, TableForm, ThemeForm, status_name
from workshop.events.models import Event, EventStatus, event_organizer
from workshop.extensions import db
from workshop.tables.operations import create_table

blueprint = Blueprint("events", __name__, url_prefix="/organize")


def _managed_event(event_id):
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require(can_manage_event(current_user, event))
    return event


def _require_organizer():
    if not current_user.is_organizer:
        abort(403)


@blueprint.route("/", methods=["GET", "POST"])
@login_required
def dashboard():
    """The organizer's events, and the form to create one."""
    _require_organizer()
    form = EventForm()
    if form.validate_on_submit():
        ok, event = apply_to_form(
            form, operations.create_event, current_user, form.title.data, form.starts_on.data,
            form.venue.data, form.language.data, form.dots_per_participant.data, form.max_dots_per_need.data,
        )
        if ok:
            flash(_("Event created. Now add its themes and tables."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    events = db.session.scalars(
        select(Event)
        .join(event_organizer, event_organizer.c.event_id == Event.id)
        .where(event_organizer.c.account_id == current_user.id)
        .order_by(Event.created_at.desc())
    ).all()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("events/dashboard.html", events=events, form=form), status


@blueprint.get("/events/<int:event_id>")
@login_required
def event(event_id):
    event = _managed_event(event_id)
    return render_template("events/event.html", **_event_forms(event))


def _event_forms(event, theme_form=None, table_form=None):
    table_form = table_form or TableForm(prefix="table")
    table_form.theme_id.choices = [SelectChoice(theme.id, theme.name) for theme in event.themes]
    return {"event": event, "theme_form": theme_form or ThemeForm(), "table_form": table_form,
            "status_name": status_name, "status_moves": _status_moves(event),
            "status_help": {
                "draft": _(
                    "Being prepared: facilitators can open their consoles and rehearse; phones cannot join yet."
                ),
                "live": _("The meeting is on: phones can join the tables."),
                "closed": _("The meeting is over: nobody can post or vote; results stay readable."),
                "archived": _("Kept for the record, out of the list of current events."),
            },
            "status_button": {
                "draft": _("Back to draft"), "live": _("Open the event"),
                "closed": _("Close the event"), "archived": _("Archive"),
            }}


def _status_moves(event):
    order = list(EventStatus)
    index = order.index(event.status)
    return [order[i] for i in (index - 1, index + 1) if 0 <= i < len(order)]


@blueprint.post("/events/<int:event_id>/themes")
@login_required
def add_theme(event_id):
    event = _managed_event(event_id)
    form = ThemeForm()
    if form.validate_on_submit():
        ok, _theme = apply_to_form(form, operations.add_theme, event, form.name.data, form.colour.data,
                                   form.description.data)
        if ok:
            flash(_("Theme added."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    return render_template("events/event.html", **_event_forms(event, theme_form=form)), 400


@blueprint.post("/events/<int:event_id>/tables")
@login_required
def add_table(event_id):
    event = _managed_event(event_id)
    form = TableForm(prefix="table")
    form.theme_id.choices = [SelectChoice(theme.id, theme.name) for theme in event.themes]
    if form.validate_on_submit():
        theme = next(theme for theme in event.themes if theme.id == form.theme_id.data)
        ok, _table = apply_to_form(form, create_table, theme, form.name.data,
                                   form.dots_per_participant.data, form.max_dots_per_need.data)
        if ok:
            flash(_("Table added. Open its console to run it."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    return render_template("events/event.html", **_event_forms(event, table_form=form)), 400


@blueprint.post("/events/<int:event_id>/status")
@login_required
def change_status(event_id):
    """Open the event to phones, close it, archive it, or step back."""
    event = _managed_event(event_id)
    form = StatusForm()
    if form.validate_on_submit():
        ok, _event = apply_to_form(form, operations.change_event_status, event, current_user, form.status.data)
        if ok:
            flash(_("The event is now: %(status)s.", status=status_name(event.status)), "success")
            return redirect(url_for("events.event", event_id=event.id))
    flash(" ".join(form.form_errors) or _("The status could not be changed."), "error")
    return redirect(url_for("events.event", event_id=event.id)), 303
