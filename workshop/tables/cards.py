"""The printable table card: one A4 page per table, in the event's language."""

from flask import render_template
from flask_babel import force_locale

from workshop.tables.models import PHASE_ORDER
from workshop.tables.qr import join_url


def render_cards(event, tables, base_url):
    """The page of cards for tables (all of event), written in the event's language."""
    cards = [{"table": table, "join_url": join_url(base_url, table.join_code)} for table in tables]
    with force_locale(event.language):
        return render_template("tables/cards.html", event=event, cards=cards, base_url=base_url.rstrip("/"),
                               phases=PHASE_ORDER)
