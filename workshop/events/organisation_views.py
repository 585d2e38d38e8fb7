"""Organizer pages of the organisation registry, and of the organisations taking part in an event."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from workshop.core.access import can_manage_event, can_manage_organisations, require
from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError, InvalidInput
from workshop.core.web import apply_to_form
from workshop.events import organisations as operations
from workshop.events.models import Event, Organisation, OrganisationKind
from workshop.events.organisation_forms import ImportForm, OrganisationForm, ParticipationForm
from workshop.extensions import db

blueprint = Blueprint("organisations", __name__, url_prefix="/organize")

# Kept under the app's MAX_CONTENT_LENGTH (64 KB by default): a larger
# request is refused as a whole with 413 before it gets here.
IMPORT_FILE_MAX_BYTES = 60 * 1024


def _require_registry_access():
    require(can_manage_organisations(current_user))


def _managed_event(event_id):
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require(can_manage_event(current_user, event))
    return event


def _registry(query=""):
    statement = select(Organisation).order_by(Organisation.name_key)
    key = operations.search_key(query)
    if key:
        statement = statement.where(Organisation.name_key.contains(key, autoescape=True))
    return db.session.scalars(statement).all()


def _registry_page(form=None, import_form=None, problems=None, status=200):
    query = request.args.get("q", "")
    return render_template(
        "organisations/registry.html", organisations=_registry(query), query=query,
        form=form or OrganisationForm(), import_form=import_form or ImportForm(prefix="import"),
        problems=problems, kind_name=operations.kind_name,
    ), status


@blueprint.get("/organisations/")
@login_required
def registry():
    """Every organisation known from any event, with a search box and the add and import forms."""
    _require_registry_access()
    return _registry_page()


@blueprint.post("/organisations/")
@login_required
def add():
    _require_registry_access()
    form = OrganisationForm()
    if form.validate_on_submit():
        ok, organisation = apply_to_form(form, operations.add_organisation, current_user, form.name.data,
                                         form.kind.data)
        if ok:
            flash(_("“%(name)s” added to the registry.", name=organisation.name), "success")
            return redirect(url_for("organisations.registry"))
    return _registry_page(form=form, status=400)


@blueprint.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@login_required
def edit(organisation_id):
    _require_registry_access()
    organisation = operations.find_organisation(organisation_id)
    form = OrganisationForm(obj=organisation if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = organisation.kind.value
    if form.validate_on_submit():
        ok, _organisation = apply_to_form(form, operations.edit_organisation, current_user, organisation,
                                          form.name.data, form.kind.data)
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("organisations.registry"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("organisations/edit.html", organisation=organisation, form=form), status


@blueprint.post("/organisations/import")
@login_required
def import_list():
    _require_registry_access()
    import_form = ImportForm(prefix="import")
    summary, problems = _import(import_form)
    if summary is None:
        return _registry_page(import_form=import_form, problems=problems, status=400)
    flash(_summary_message(summary), "success")
    return redirect(url_for("organisations.registry"))


@blueprint.route("/events/<int:event_id>/organisations", methods=["GET", "POST"])
@login_required
def participation(event_id):
    """The organisations taking part in the event, chosen from the registry."""
    event = _managed_event(event_id)
    form = _participation_form(event, submitted=request.method == "POST")
    if form.validate_on_submit():
        # No box ticked is a choice too: none of them takes part.
        ok, _event = apply_to_form(form, operations.set_event_organisations, current_user, event,
                                   form.organisations.data or [])
        if ok:
            flash(_("Organisations taking part saved."), "success")
            return redirect(url_for("organisations.participation", event_id=event.id))
    status = 400 if form.errors or form.form_errors else 200
    return _participation_page(event, form=form, status=status)


@blueprint.post("/events/<int:event_id>/organisations/import")
@login_required
def import_for_event(event_id):
    """Import a list into the registry and mark every organisation in it as taking part."""
    event = _managed_event(event_id)
    import_form = ImportForm(prefix="import")
    summary, problems = _import(import_form, event)
    if summary is None:
        return _participation_page(event, import_form=import_form, problems=problems, status=400)
    flash(_summary_message(summary, event), "success")
    return redirect(url_for("organisations.participation", event_id=event.id))


def _participation_form(event, submitted):
    """The form as submitted, or else filled from the event's current choice."""
    form = ParticipationForm() if submitted else ParticipationForm(formdata=None)
    form.organisations.choices = [(organisation.id, organisation.name) for organisation in _registry()]
    if not submitted:
        form.organisations.data = [organisation.id for organisation in event.organisations]
    return form


def _participation_page(event, form=None, import_form=None, problems=None, status=200):
    form = form or _participation_form(event, submitted=False)
    registry = _registry()
    groups = [(operations.kind_name(kind), [o for o in registry if o.kind is kind]) for kind in OrganisationKind]
    return render_template(
        "organisations/event.html", event=event, form=form, groups=[group for group in groups if group[1]],
        chosen=set(form.organisations.data or []), import_form=import_form or ImportForm(prefix="import"),
        problems=problems,
    ), status


def _import(import_form, event=None):
    """(summary, None) once imported, or (None, the bad lines) with the form's errors set."""
    if not import_form.validate_on_submit():
        return None, None
    try:
        text = _uploaded_text(import_form.file.data) if import_form.file.data else import_form.text.data
        if not (text or "").strip():
            raise InvalidInput(_l("Paste a list or choose a CSV file."), code="import_empty")
        with unit_of_work():
            return operations.import_organisations(current_user, text, event), None
    except operations.ImportInvalid as error:
        import_form.form_errors.append(_("Nothing was imported. Fix these lines and send the list again:"))
        return None, error.problems
    except DomainError as error:
        import_form.form_errors.append(str(error.message))
        return None, None


def _uploaded_text(upload):
    """A CSV file's text: UTF-8 (with or without BOM), else Windows' cp1252 as Excel writes it."""
    content = upload.stream.read(IMPORT_FILE_MAX_BYTES + 1)
    if len(content) > IMPORT_FILE_MAX_BYTES:
        raise InvalidInput(_l("The file is too large: at most %(n)d KB.", n=IMPORT_FILE_MAX_BYTES // 1024),
                           code="import_too_large")
    not_text = InvalidInput(_l("This file is not a text or CSV file. Save it as CSV and try again."),
                            code="import_not_text")
    if b"\x00" in content:
        raise not_text
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise not_text from None


def _summary_message(summary, event=None):
    message = _("Imported: %(created)d new, %(known)d already in the registry.",
                created=len(summary.created), known=len(summary.known))
    if event is not None:
        message += " " + _("%(marked)d newly marked as taking part.", marked=len(summary.marked))
    return message
