"""The results of a table: the one place counts and rankings come from.

The projector, the console, the phones and (later) the plenary and every
export read these functions, so they cannot disagree.
"""

from sqlalchemy import func, select

from workshop.contributions.models import Dot, Need
from workshop.extensions import db


def dot_counts(table_id):
    """{need id: dots} for the needs of the table that have any."""
    rows = db.session.execute(
        select(Dot.need_id, func.count(Dot.id)).where(Dot.table_id == table_id).group_by(Dot.need_id)
    )
    return {need_id: count for need_id, count in rows}


def ranking(table):
    """The table's needs, most dots first; ties share a rank (1, 2, 2, 4) and
    are listed in the order they were posted."""
    counts = dot_counts(table.id)
    needs = db.session.scalars(select(Need).where(Need.table_id == table.id).order_by(Need.id))
    ordered = sorted(needs, key=lambda need: (-counts.get(need.id, 0), need.id))
    ranked, previous_dots, rank = [], None, 0
    for position, need in enumerate(ordered, start=1):
        dots = counts.get(need.id, 0)
        if dots != previous_dots:
            rank, previous_dots = position, dots
        ranked.append({"id": need.id, "text": need.text, "dots": dots, "rank": rank})
    return ranked
