"""Exports from the command line: `flask --app wsgi export EVENT --format csv [--table ID] [--output FILE]`."""

import sys

import click

from workshop.events.models import Event
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
