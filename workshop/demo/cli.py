"""The demo from the command line: `flask --app wsgi demo [--organizer EMAIL] [--seed N]`, `demo --remove`."""

import click
from flask import current_app
from sqlalchemy import select

from workshop.accounts.models import Account, Role
from workshop.accounts.operations import normalise_email
from workshop.core.database import forget_deleted_pages, unit_of_work
from workshop.core.errors import DomainError
from workshop.core.network import public_base_url
from workshop.demo.build import DEFAULT_SEED, build_demo, remove_demo
from workshop.extensions import db


def _organizer(email):
    """The account named, or the only organizer; a ClickException saying what to do otherwise."""
    if email:
        account = db.session.scalar(select(Account).where(Account.email == normalise_email(email)))
        if account is None or account.role is not Role.ORGANIZER:
            raise click.ClickException(f"No organizer account has the email {email}.")
        return account
    organizers = db.session.scalars(select(Account).where(Account.role == Role.ORGANIZER)).all()
    if not organizers:
        raise click.ClickException("There is no organizer yet: open the set-up link that `make run` prints, "
                                   "create your account, then run this again.")
    if len(organizers) > 1:
        raise click.ClickException("There are several organizers: say which one will run the demo, "
                                   "with --organizer EMAIL.")
    return organizers[0]


def register(app):
    @app.cli.command("demo")
    @click.option("--organizer", "email", default=None, help="Email of the organizer who gets the demo event "
                  "(needed only if there are several).")
    @click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                  help="Seed of the demo's random choices: the same seed makes the same data.")
    @click.option("--remove", is_flag=True, help="Remove every demo event and what only the demo used.")
    def demo_command(email, seed, remove):
        """Load the demo event (Italian, with an English twin), or remove it with --remove."""
        if remove:
            with unit_of_work():
                removed = remove_demo()
            forget_deleted_pages()
            click.echo(f"Removed {len(removed['events'])} demo events and {removed['organisations']} "
                       "organisations only the demo used." if removed["events"] else "There is no demo event.")
            return
        try:
            with unit_of_work():
                organizer = _organizer(email)
                events = build_demo(organizer, seed)
                made = [(event.id, event.language, event.title) for event in events]
                email = organizer.email
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        config = current_app.config
        base = public_base_url(config["PUBLIC_BASE_URL"], None, config["PORT"]).rstrip("/")
        click.echo(f"Demo event loaded for {email} (seed {seed}), marked as a demo everywhere:")
        for event_id, language, title in made:
            click.echo(f"  [{language}] {title}: {base}/organize/events/{event_id}")
        click.echo("Log in, open it, and try the plenary dashboard, a table's console and projector, the minutes.")
        click.echo("Remove it with: flask --app wsgi demo --remove (or the button on the demo event's page).")
