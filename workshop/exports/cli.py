"""Exports from the command line, and importing an archive back:

    flask --app wsgi export EVENT --format csv [--table ID] [--output FILE]
    flask --app wsgi import-archive FILE --organizer EMAIL
"""

import json
import sys

import click
from sqlalchemy import select

from workshop.accounts.models import Account
from workshop.accounts.operations import normalise_email
from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError
from workshop.events.models import Event
from workshop.exports.archive_import import import_archive
from workshop.exports.formats import FORMATS, render
from workshop.exports.views import file_stem
from workshop.extensions import db
from workshop.tables.models import WorkingTable


def register(app):
    @app.cli.command("export")
    @click.argument("event_id", type=int)
    @click.option("--format", "name", type=click.Choice(sorted(FORMATS)), default="csv", show_default=True)
    @click.option("--table", "table_id", type=int, default=None, help="Only this table of the event.")
    @click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="File to write; '-' for standard output. Default: a name made from the event's title.")
    def export(event_id, name, table_id, output):
        """Write the minutes of an event (or of one of its tables) in a format."""
        event = db.session.get(Event, event_id)
        if event is None:
            raise click.ClickException(f"There is no event {event_id}.")
        table = None
        if table_id is not None:
            table = db.session.get(WorkingTable, table_id)
            if table is None or table.event.id != event.id:
                raise click.ClickException(f"Event {event_id} has no table {table_id}.")
        export_format = FORMATS[name]
        content = render(export_format, event, table)
        if output == "-":
            sys.stdout.buffer.write(content)
            return
        parts = [event.title] if table is None else [event.title, table.name]
        path = output or f"{file_stem(parts)}.{export_format.extension}"
        with open(path, "wb") as file:
            file.write(content)
        click.echo(f"Wrote {path} ({len(content):,} bytes).")

    @app.cli.command("import-archive")
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
    @click.option("--organizer", "email", required=True, help="Email of the organizer who will own the event.")
    def import_archive_command(path, email):
        """Recreate an event from its JSON archive (made by 'export --format json'), as a new event."""
        with open(path, "rb") as file:
            content = file.read()
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise click.ClickException(f"{path} is not a Tavoli archive: it is not JSON text ({error}).") from None
        try:
            with unit_of_work():
                organizer = db.session.scalar(select(Account).where(Account.email == normalise_email(email)))
                if organizer is None or not organizer.is_organizer:
                    raise click.ClickException(f"There is no organizer with the email {email}.")
                imported = import_archive(data, organizer)
                event_id, title = imported.event.id, imported.event.title
        except DomainError as error:
            raise click.ClickException(f"Nothing was imported. {error.message}") from None
        click.echo(f"Imported event {event_id}: {title}")
        for name, archived, new in imported.join_codes_changed:
            click.echo(f"Table {name!r}: join code {archived} is taken here, the new one is {new}; "
                       "print its QR code again.")
        if imported.facilitators_not_linked:
            click.echo("These facilitators have no account here: invite them to the event again.")
            for person in imported.facilitators_not_linked:
                click.echo(f"  {person['name']} <{person['email']}>")
