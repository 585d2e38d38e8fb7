"""Checks of form values that several domains share, raising InvalidInput with a code."""

from flask_babel import lazy_gettext as _l

from workshop.core.errors import InvalidInput


def required_text(value, max_length, code, message):
    """value with its whitespace collapsed; refused when empty or too long."""
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(message, code=code)
    if len(text) > max_length:
        raise InvalidInput(_l("At most %(n)d characters.", n=max_length), code=code)
    return text


def bounded_int(value, low, high, code):
    """value as a whole number from low to high; refused otherwise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise InvalidInput(_l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), code=code)
    return number
