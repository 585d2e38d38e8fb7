"""Checks of input values that several domains share, raising InvalidInput with a code.

Every text a person types is stored in one normal form (normalise_text), so
that what is shown, compared, counted and exported is the same everywhere:
Unicode NFC; no control characters (NUL, escape, ...), no invisible format
characters (bidi overrides, zero-width spaces and joiners, soft hyphens, byte
order marks), no lone surrogates or noncharacters (they cannot be stored as
UTF-8, or break the XML of a workbook); runs of whitespace collapsed to one
space, and no space at either end. Multi-line texts keep their line breaks.
"""

import contextlib
import math
import unicodedata

from flask_babel import lazy_gettext as _l

from workshop.core.errors import InvalidInput

# Cc: controls; Cf: format (bidi, zero-width, soft hyphen, BOM); Cs: lone
# surrogates; Zl, Zp: line and paragraph separators (treated as spaces).
_SPACE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs"})


def _is_noncharacter(character):
    point = ord(character)
    return 0xFDD0 <= point <= 0xFDEF or (point & 0xFFFE) == 0xFFFE


def _clean_line(text):
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category in _DROPPED_CATEGORIES or _is_noncharacter(character):
            continue
        kept.append(" " if category in _SPACE_CATEGORIES else character)
    # NFC last: dropping a character can bring a letter and a combining mark together.
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def normalise_text(value, code="text_invalid", multiline=False):
    """value in the stored normal form (see the module's docstring); None is "".

    Anything but a string is refused with `code`. With multiline, line breaks
    (any kind) are kept as "\\n", at most one empty line in a row.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_l("Write it as text."), code=code)
    # Lone surrogates cannot be encoded (nor stored): drop them first.
    text = value.encode("utf-8", "ignore").decode("utf-8")
    if not multiline:
        return _clean_line(text)
    lines = [_clean_line(line) for line in text.splitlines()]
    kept = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def required_text(value, max_length, code, message, multiline=False):
    """value in normal form; refused when empty or longer than max_length."""
    text = normalise_text(value, code, multiline)
    if not text:
        raise InvalidInput(message, code=code)
    if len(text) > max_length:
        raise InvalidInput(_l("At most %(n)d characters.", n=max_length), code=code)
    return text


def optional_text(value, max_length, code, multiline=False):
    """value in normal form, or None when empty; refused when longer than max_length."""
    text = normalise_text(value, code, multiline)
    if len(text) > max_length:
        raise InvalidInput(_l("At most %(n)d characters.", n=max_length), code=code)
    return text or None


def bounded_int(value, low, high, code):
    """value as a whole number from low to high; refused otherwise.

    Accepts an int, or a string of digits (a form or the command line);
    refuses booleans, fractions, infinities and anything else.
    """
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and len(value) <= 20:
        with contextlib.suppress(ValueError):
            number = int(value)
    if number is None or not low <= number <= high:
        raise InvalidInput(_l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), code=code)
    return number
