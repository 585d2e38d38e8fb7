"""Short join codes people can read off a wall and type on a phone.

The alphabet leaves out the characters that look alike (0 and O, 1, I and L),
so whatever a person reads off the projector is unambiguous. Six characters
from 31 give about 887 million codes.
"""

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_join_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_join_code(raw):
    """What a person typed, as a code to look up: upper case, without spaces,
    dashes or anything else that cannot be in a code (at most 32 characters kept)."""
    return re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()[:32]
