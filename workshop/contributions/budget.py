"""A participant's dot budget at a table: the one place it is spent and refunded.

The counter (Membership.dots_used) only ever changes by an update made in the
database, conditional where it must be, never from a value read earlier: no
number of concurrent requests can spend more than the budget. The update also
holds the participant's row until the transaction ends, so checks made after
it (the most dots per need) cannot race with another dot of theirs.
"""

from sqlalchemy import update

from workshop.extensions import db
from workshop.participants.models import Membership


def spend_dot(participant_id, table):
    """Take one dot from the participant's budget at `table`; False if none is left."""
    return db.session.execute(
        update(Membership)
        .where(
            Membership.participant_id == participant_id,
            Membership.table_id == table.id,
            Membership.dots_used < table.dots_per_participant,
        )
        .values(dots_used=Membership.dots_used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def refund_dot(participant_id, table_id):
    """Give one dot back to the participant's budget at the table."""
    db.session.execute(
        update(Membership)
        .where(Membership.participant_id == participant_id, Membership.table_id == table_id)
        .values(dots_used=Membership.dots_used - 1)
        .execution_options(synchronize_session=False)
    )
