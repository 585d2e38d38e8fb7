"""Secrets and tokens: the app's secret key, one-time links, device tokens.

Only hashes of tokens are stored, so a copy of the database opens nothing.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create_secret_key(instance_path):
    """The secret key kept in the instance folder, created on first run."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def new_token():
    """An unguessable token for a link or a device (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(secret_key, token):
    """What the database keeps of a token: a keyed hash, never the token."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def security_headers(response):
    """Headers every response carries: no inline scripts or styles, no framing."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
