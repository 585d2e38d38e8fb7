"""Logging in and out, the one-time links that create accounts, and the facilitator's dashboard."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from workshop.accounts.forms import InviteAcceptForm, LoginForm, SetupForm
from workshop.accounts.operations import (
    authenticate,
    find_invite,
    find_setup_link,
    normalise_email,
    redeem_invite,
    redeem_setup_link,
)
from workshop.core import limits
from workshop.core.web import apply_to_form, local_path
from workshop.events.models import Event, EventStatus, Theme
from workshop.extensions import db, limiter
from workshop.tables.models import WorkingTable, table_facilitator

blueprint = Blueprint("accounts", __name__)


def _login_email_key():
    return limits.email_key(normalise_email(request.form.get("email")))


def _login_failed(response):
    return response.status_code != 302


@blueprint.route("/login", methods=["GET", "POST"])
# Guessing one account's password is slow (failed attempts per email typed),
# while a hall of organizers logging in at once is not held up; every attempt
# together has a ceiling too, since each costs a password hash.
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=_login_email_key, methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ALL"], key_func=lambda: limits.EVERYONE, methods=["POST"],
               scope="login-all")
def login():
    if current_user.is_authenticated:
        return redirect(_home(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        account = authenticate(form.email.data, form.password.data)
        if account is not None:
            login_user(account)
            return redirect(local_path(request.args.get("next"), _home(account)))
        form.form_errors.append(_("Wrong email or password."))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form), status


@blueprint.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    secret_key = current_app.config["SECRET_KEY"]
    find_setup_link(secret_key, token)  # a used or expired link gets a clear page
    form = SetupForm()
    if form.validate_on_submit():
        ok, account = apply_to_form(
            form, redeem_setup_link, secret_key, token, form.email.data, form.name.data, form.password.data
        )
        if ok:
            login_user(account)
            flash(_("Welcome! Your organizer account is ready."), "success")
            return redirect(url_for("events.dashboard"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/setup.html", form=form), status


def _home(account):
    """Where an account lands after logging in: organizers on their events,
    facilitators on their tables."""
    return url_for("events.dashboard") if account.is_organizer else url_for("accounts.facilitate")


@blueprint.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token):
    """The invited facilitator chooses a name and password, and is logged in."""
    secret_key = current_app.config["SECRET_KEY"]
    invite = find_invite(secret_key, token)  # a used, revoked or expired link gets a clear page
    event = db.session.get(Event, invite.event_id)
    form = InviteAcceptForm(name=invite.name)
    if form.validate_on_submit():
        ok, account = apply_to_form(form, redeem_invite, secret_key, token, form.name.data, form.password.data)
        if ok:
            logout_user()
            login_user(account)
            flash(_("Welcome! Your facilitator account is ready."), "success")
            return redirect(url_for("accounts.facilitate"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/invite.html", form=form, invite=invite, event=event), status


@blueprint.get("/facilitate/")
@login_required
def facilitate():
    """The tables given to the current account, in events not archived."""
    tables = db.session.scalars(
        select(WorkingTable)
        .join(table_facilitator, table_facilitator.c.table_id == WorkingTable.id)
        .join(Theme, Theme.id == WorkingTable.theme_id)
        .join(Event, Event.id == Theme.event_id)
        .where(table_facilitator.c.account_id == current_user.id, Event.status != EventStatus.ARCHIVED)
        .order_by(Event.starts_on.desc(), Event.id.desc(), Theme.position, WorkingTable.id)
    ).all()
    return render_template("accounts/facilitate.html", tables=tables)
