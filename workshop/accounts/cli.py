"""Command-line account management: `flask --app wsgi create-organizer`, `setup-link`."""

import click
from flask import current_app

from workshop.accounts.models import Role
from workshop.accounts.operations import create_account, issue_setup_link
from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError
from workshop.core.network import public_base_url


def register(app):
    @app.cli.command("create-organizer")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_organizer(email, name, password):
        """Create an organizer account."""
        try:
            with unit_of_work():
                account = create_account(email, name, password, Role.ORGANIZER)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(f"Organizer {account.email} created.")

    @app.cli.command("setup-link")
    @click.option("--base-url", default=None, help="Address to print the link with.")
    def setup_link(base_url):
        """Print a new one-time link for creating the first organizer."""
        with unit_of_work():
            token = issue_setup_link(current_app.config["SECRET_KEY"], current_app.config["SETUP_LINK_HOURS"])
        config = current_app.config
        base = base_url or public_base_url(config["PUBLIC_BASE_URL"], None, config["PORT"])
        click.echo(f"{base.rstrip('/')}/setup/{token}")
