"""The demo event, loaded as an organizer would from the command line."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from workshop.events.models import Event
from workshop.extensions import db


def row_counts(app):
    """How many rows each table of the models holds."""
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.fixture
def demo(world, runner, database):
    """The demo loaded for the only organizer; its events' ids, Italian first."""
    organizer = world.account("organizer@example.org", name="Olga")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    events = database.all(select(Event).where(Event.is_demo.is_(True)).order_by(Event.language != "it"))
    return SimpleNamespace(organizer=organizer, it=events[0].id, en=events[1].id, output=result.output)
