"""Logging in and out, and creating the first organizer with the one-time link."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from workshop.accounts.forms import LoginForm, SetupForm
from workshop.accounts.models import Account
from workshop.accounts.operations import find_setup_link, normalise_email, redeem_setup_link
from workshop.core.web import apply_to_form, local_path
from workshop.extensions import db

blueprint = Blueprint("accounts", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        account = db.session.scalar(select(Account).where(Account.email == normalise_email(form.email.data)))
        if account is not None and account.check_password(form.password.data):
            login_user(account)
            return redirect(local_path(request.args.get("next"), url_for("events.dashboard")))
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
