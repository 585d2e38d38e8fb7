"""The retention period from the command line: `flask --app wsgi purge-personal-data`.

Run it from cron (daily, say); the server also runs it at every start.
"""

import click
from flask import current_app

from workshop.core.database import forget_deleted_pages, unit_of_work
from workshop.events.privacy import purge_personal_data


def purge_report(purged, days):
    """The lines saying what a purge did (counts and ids only, no names)."""
    if not purged:
        return [f"Nothing to delete: no event closed more than {days} days ago holds personal data."]
    lines = []
    for each in purged:
        deleted = each.deleted
        lines.append(
            f"Event {each.event_id} (closed since {each.closed_since:%Y-%m-%d}): deleted {deleted.names} names, "
            f"{deleted.devices} device digests, {deleted.client_actions} action records, "
            f"{deleted.invitations} invitations, {deleted.archived_accounts} names in imported log entries."
        )
    return lines


def run_purge(days):
    """Apply the retention period in one unit of work; returns what it did."""
    with unit_of_work():
        purged = purge_personal_data(days)
    if purged:
        forget_deleted_pages()
    return purged


def register(app):
    @app.cli.command("purge-personal-data")
    @click.option("--days", type=click.IntRange(min=0), default=None,
                  help="Retention period in days (default: DATA_RETENTION_DAYS).")
    def purge_command(days):
        """Delete the personal data of events closed longer ago than the retention period."""
        days = current_app.config["DATA_RETENTION_DAYS"] if days is None else days
        for line in purge_report(run_purge(days), days):
            click.echo(line)
