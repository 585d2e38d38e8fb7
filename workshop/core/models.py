"""What every model shares: timestamps in UTC and enum columns stored as text."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum


def utcnow():
    return datetime.now(UTC)


def enum_column(enum_class, name):
    """An enum stored by value as text, with a CHECK constraint (portable)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


Timestamp = DateTime(timezone=True)
