"""Organizer pages: the dashboard of events, and setting up one event."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from workshop.accounts import operations as accounts
from workshop.core.access import can_manage_event, require
from workshop.core.database import forget_deleted_pages
from workshop.core.network import public_base_url
from workshop.core.web import apply_to_form
from workshop.demo.build import build_demo, demo_events, remove_demo
from workshop.events import operations, privacy
from workshop.events.forms import (
    ButtonForm,
    DeleteEventForm,
    DeletePersonalDataForm,
    DuplicateForm,
    EventForm,
    EventSettingsForm,
    ExistingFacilitatorForm,
    InviteForm,
    RemoveDemoForm,
    StatusForm,
    TableForm,
    TableSettingsForm,
    ThemeForm,
    status_name,
)
from workshop.events.models import Event, EventStatus, Theme, event_organizer
from workshop.extensions import db
from workshop.tables.cards import render_cards
from workshop.tables.models import WorkingTable
from workshop.tables.operations import add_table as add_table_to_theme
from workshop.tables.operations import update_table

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
    show_archived = request.args.get("archived") == "1"
    query = (
        select(Event)
        .join(event_organizer, event_organizer.c.event_id == Event.id)
        .where(event_organizer.c.account_id == current_user.id)
        .order_by(Event.created_at.desc(), Event.id.desc())
    )
    if not show_archived:
        query = query.where(Event.status != EventStatus.ARCHIVED)
    events = db.session.scalars(query).all()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("events/dashboard.html", events=events, form=form, show_archived=show_archived,
                           status_name=status_name, demo=_demo_for_page(current_user),
                           demo_form=ButtonForm(formdata=None)), status


def _demo_for_page(account):
    """The organizer's demo event in the page's language (else the other), or None."""
    events = demo_events(account)
    language = str(get_locale() or "it")[:2]
    return next((event for event in events if event.language == language), events[0] if events else None)


@blueprint.post("/demo")
@login_required
def load_demo():
    """Build the demo event for this organizer (or find theirs) and land on it."""
    _require_organizer()
    form = ButtonForm()
    if _demo_for_page(current_user) is None and form.validate_on_submit():
        ok, _events = apply_to_form(form, build_demo, current_user)
        if not ok:
            flash(" ".join(form.form_errors), "error")
            return redirect(url_for("events.dashboard")), 303
        flash(_("The demo event is ready: a morning of five themes and ten tables, with invented organisations, "
                "needs and dots. Open the plenary dashboard, a table's console and its projector, and the "
                "minutes. Remove it at the bottom of this page when you are done."), "success")
    demo = _demo_for_page(current_user)
    return redirect(url_for("events.event", event_id=demo.id) if demo else url_for("events.dashboard"))


@blueprint.get("/events/<int:event_id>")
@login_required
def event(event_id):
    event = _managed_event(event_id)
    return render_template("events/event.html", **_event_forms(event))


@blueprint.get("/events/<int:event_id>/cards")
@login_required
def cards(event_id):
    """Every table's card to print, one A4 page each, in the event's language."""
    event = _managed_event(event_id)
    config = current_app.config
    return render_cards(event, event.tables, public_base_url(config["PUBLIC_BASE_URL"], request.host_url,
                                                             config["PORT"]))


def _event_forms(event, theme_form=None, table_form=None, invite_form=None, existing_form=None,
                 invite_link=None, personal_form=None, delete_form=None, demo_form=None):
    if table_form is None:
        table_form = TableForm(prefix="table", formdata=None, results_hidden=event.results_hidden)
    table_form.theme_id.choices = [SelectChoice(theme.id, theme.name) for theme in event.themes]
    return {"event": event, "theme_form": theme_form or ThemeForm(), "table_form": table_form,
            "invite_form": invite_form or InviteForm(prefix="invite", formdata=None),
            "existing_form": existing_form or ExistingFacilitatorForm(prefix="existing", formdata=None),
            "duplicate_form": DuplicateForm(formdata=None),
            "pending_invites": accounts.pending_invites(event), "invite_link": invite_link,
            "personal_form": personal_form or DeletePersonalDataForm(prefix="personal", formdata=None),
            "delete_form": delete_form or DeleteEventForm(prefix="delete", formdata=None,
                                                          expected_title=event.title),
            "demo_form": demo_form or RemoveDemoForm(prefix="demo", formdata=None),
            "personal_data": privacy.personal_data_of(event),
            "personal_data_deleted_at": privacy.personal_data_deleted_at(event),
            "personal_data_purge_on": privacy.purge_date(event, current_app.config["DATA_RETENTION_DAYS"]),
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
        ok, _table = apply_to_form(form, add_table_to_theme, theme, form.name.data,
                                   form.dots_per_participant.data, form.max_dots_per_need.data,
                                   form.results_hidden.data)
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


@blueprint.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id):
    """The event's details and the voting rules its new tables start with."""
    event = _managed_event(event_id)
    form = EventSettingsForm(obj=event)
    if form.validate_on_submit():
        ok, _event = apply_to_form(
            form, operations.update_event, event, current_user, form.title.data, form.starts_on.data,
            form.venue.data, form.language.data, form.dots_per_participant.data, form.max_dots_per_need.data,
            form.results_hidden.data, form.allow_table_change.data,
        )
        if ok:
            flash(_("Event saved."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("events/edit_event.html", event=event, form=form), status


@blueprint.post("/events/<int:event_id>/duplicate")
@login_required
def duplicate_event(event_id):
    """A new draft event set up like this one; lands on it."""
    event = _managed_event(event_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        ok, copy = apply_to_form(form, operations.duplicate_event, event, current_user, form.title.data)
        if ok:
            flash(_("This is the copy: check its date, venue and tables before opening it."), "success")
            return redirect(url_for("events.event", event_id=copy.id))
    flash(" ".join(form.form_errors) or _("The event could not be copied."), "error")
    return redirect(url_for("events.event", event_id=event.id)), 303


def _managed_theme(event_id, theme_id):
    event = _managed_event(event_id)
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.event_id != event.id:
        abort(404)
    return event, theme


@blueprint.route("/events/<int:event_id>/themes/<int:theme_id>", methods=["GET", "POST"])
@login_required
def edit_theme(event_id, theme_id):
    event, theme = _managed_theme(event_id, theme_id)
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        ok, _theme = apply_to_form(form, operations.update_theme, theme, current_user, form.name.data,
                                   form.colour.data, form.description.data)
        if ok:
            flash(_("Theme saved."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("events/edit_theme.html", event=event, theme=theme, form=form), status


@blueprint.post("/events/<int:event_id>/themes/<int:theme_id>/move")
@login_required
def move_theme(event_id, theme_id):
    event, theme = _managed_theme(event_id, theme_id)
    form = ButtonForm()
    offset = {"up": -1, "down": 1}.get(request.form.get("direction"))
    if offset is None:
        abort(400)
    if form.validate_on_submit():
        apply_to_form(form, operations.move_theme, theme, current_user, offset)
    return redirect(url_for("events.event", event_id=event.id) + f"#theme-{theme.id}")


@blueprint.route("/events/<int:event_id>/tables/<int:table_id>", methods=["GET", "POST"])
@login_required
def edit_table(event_id, table_id):
    """One table's name, theme, rules and facilitators."""
    event = _managed_event(event_id)
    table = db.session.get(WorkingTable, table_id)
    if table is None or table.event.id != event.id:
        abort(404)
    form = TableSettingsForm(
        name=table.name, theme_id=table.theme_id, dots_per_participant=table.dots_per_participant,
        max_dots_per_need=table.max_dots_per_need, results_hidden=table.results_hidden,
        facilitators=[account.id for account in table.facilitators],
    )
    form.theme_id.choices = [SelectChoice(theme.id, theme.name) for theme in event.themes]
    form.facilitators.choices = [SelectChoice(account.id, account.name) for account in event.facilitators]
    if form.validate_on_submit():
        theme = next(theme for theme in event.themes if theme.id == form.theme_id.data)
        chosen = [account for account in event.facilitators if account.id in form.facilitators.data]
        ok, _table = apply_to_form(
            form, update_table, table, current_user, form.name.data, theme, form.dots_per_participant.data,
            form.max_dots_per_need.data, form.results_hidden.data, chosen,
        )
        if ok:
            flash(_("Table saved."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("events/edit_table.html", event=event, table=table, form=form), status


@blueprint.post("/events/<int:event_id>/invites")
@login_required
def invite_facilitator(event_id):
    """Make a one-time link for a new facilitator and show it once to the organizer."""
    event = _managed_event(event_id)
    form = InviteForm(prefix="invite")
    if form.validate_on_submit():
        config = current_app.config
        ok, token = apply_to_form(form, accounts.invite_facilitator, config["SECRET_KEY"], event, current_user,
                                  form.email.data, form.name.data, config["INVITE_VALID_HOURS"])
        if ok:
            base = public_base_url(config["PUBLIC_BASE_URL"], request.host_url, config["PORT"])
            link = base + url_for("accounts.accept_invite", token=token)
            return render_template("events/event.html", **_event_forms(event, invite_link=link))
    return render_template("events/event.html", **_event_forms(event, invite_form=form)), 400


@blueprint.post("/events/<int:event_id>/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(event_id, invite_id):
    event = _managed_event(event_id)
    form = ButtonForm()
    if form.validate_on_submit():
        ok, _nothing = apply_to_form(form, accounts.revoke_invite, event, current_user, invite_id)
        if ok:
            flash(_("Invitation revoked: its link no longer works."), "success")
            return redirect(url_for("events.event", event_id=event.id))
    flash(" ".join(form.form_errors) or _("The invitation could not be revoked."), "error")
    return redirect(url_for("events.event", event_id=event.id)), 303


@blueprint.post("/events/<int:event_id>/facilitators")
@login_required
def add_facilitator(event_id):
    """Bring a facilitator who already has an account into the event."""
    event = _managed_event(event_id)
    form = ExistingFacilitatorForm(prefix="existing")
    if form.validate_on_submit():
        ok, account = apply_to_form(form, accounts.add_event_facilitator, event, current_user, form.email.data)
        if ok:
            flash(_("%(name)s is now a facilitator of this event.", name=account.name), "success")
            return redirect(url_for("events.event", event_id=event.id))
    return render_template("events/event.html", **_event_forms(event, existing_form=form)), 400


@blueprint.post("/events/<int:event_id>/personal-data/delete")
@login_required
def delete_personal_data(event_id):
    """Delete the participants' names and device digests and the invitations
    of an event that is over, keeping its anonymous results."""
    event = _managed_event(event_id)
    form = DeletePersonalDataForm(prefix="personal")
    # While live the page offers no form: whoever posts anyway hears why from the operation.
    if event.status == EventStatus.LIVE or form.validate_on_submit():
        ok, deleted = apply_to_form(form, privacy.delete_personal_data, event, current_user)
        if ok:
            forget_deleted_pages()
            if deleted.empty:
                flash(_("This event holds no personal data any more."), "info")
            else:
                flash(_("Personal data deleted (names: %(names)d, phones' codes: %(devices)d, invitations: "
                        "%(invitations)d). The results stay, anonymous.", names=deleted.names,
                        devices=deleted.devices, invitations=deleted.invitations), "success")
            return redirect(url_for("events.event", event_id=event_id) + "#personal-data")
    return render_template("events/event.html", **_event_forms(event, personal_form=form)), 400


@blueprint.post("/events/<int:event_id>/delete")
@login_required
def delete_event(event_id):
    """Delete the whole event, once its title has been typed out."""
    event = _managed_event(event_id)
    form = DeleteEventForm(prefix="delete", expected_title=event.title)
    # While live the page offers no form: whoever posts anyway hears why from the operation.
    if event.status == EventStatus.LIVE or form.validate_on_submit():
        title = event.title
        ok, _counts = apply_to_form(form, privacy.delete_event, event, current_user)
        if ok:
            forget_deleted_pages()
            flash(_("The event %(title)s was deleted, with everything in it.", title=title), "success")
            return redirect(url_for("events.dashboard"))
        event = _managed_event(event_id)
    return render_template("events/event.html", **_event_forms(event, delete_form=form)), 400


@blueprint.post("/events/<int:event_id>/demo/remove")
@login_required
def remove_demo_events(event_id):
    """Remove the organizer's demo (both languages) in one step, once the box is ticked."""
    event = _managed_event(event_id)
    if not event.is_demo:
        abort(404)
    form = RemoveDemoForm(prefix="demo")
    if form.validate_on_submit():
        ok, _removed = apply_to_form(form, remove_demo, current_user, current_user)
        if ok:
            forget_deleted_pages()
            flash(_("The demo was removed, with everything in it."), "success")
            return redirect(url_for("events.dashboard"))
        event = _managed_event(event_id)
    return render_template("events/event.html", **_event_forms(event, demo_form=form)), 400
