"""The HTTP boundary shared by every blueprint: errors, headers, language, health."""

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, ValidationError

from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError
from workshop.core.limits import retry_after_seconds, try_again_message
from workshop.core.logs import route_of_request
from workshop.core.security import security_headers
from workshop.extensions import db, limiter

log = logging.getLogger(__name__)
LANGUAGE_COOKIE = "tavoli_lang"

blueprint = Blueprint("core", __name__)

# Every route that takes a request body takes a form from one of the app's pages.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
RECORD_ID_MAX = 2**53 - 1


class RecordIdConverter(IntegerConverter):
    """<int:...> in a route: a number that can be a record's id. A larger one is
    an unknown address (404) rather than a query the database cannot run (SQLite
    holds at most 2**63 - 1, and Python refuses to read numbers of thousands of digits)."""

    def __init__(self, map, fixed_digits=0, min=None, max=RECORD_ID_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value):
        if len(value) > len(str(self.max)):
            raise ValidationError()
        return super().to_python(value)


def select_locale():
    """The visitor's own choice, else their browser's preference, else Italian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line speaks the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def local_path(target, fallback="/"):
    """target if it is a path on this site, else fallback (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def apply_to_form(form, work, *args, **kwargs):
    """Run an operation for a submitted form in one unit of work.

    Returns (True, result), or (False, None) with the refusal's message added
    to the form's errors, so the page can show it next to the form.
    """
    try:
        with unit_of_work():
            return True, work(*args, **kwargs)
    except DomainError as error:
        form.form_errors.append(str(error.message))
        return False, None


@blueprint.get("/healthz")
def healthz():
    """200 once the app can answer and reach its database."""
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    return jsonify(status="ok", database="ok")


@blueprint.get("/lang/<code>")
def switch_language(code):
    response = redirect(local_path(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["COOKIE_SECURE"], httponly=True)
    return response


def _error_page(status, message, headers=None):
    headers = headers or {}
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error={"code": status, "message": message}), status, headers
    try:
        return render_template("errors/error.html", status=status, message=message), status, headers
    except Exception:  # an error page must never fail in turn
        log.exception("the error page could not be rendered")
        return message, status, {**headers, "Content-Type": "text/plain; charset=utf-8"}


def refuse_bodies_that_are_not_forms():
    """415 for a request body that is not a form (JSON, XML, raw bytes).

    Flask-WTF would read a JSON body as the form's data, and its values (lists,
    numbers, objects) reach validators that expect text.
    """
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype not in FORM_MIMETYPES \
            and (request.mimetype or request.content_length):
        abort(415)


def register_error_handlers(app):
    app.before_request(refuse_bodies_that_are_not_forms)

    @app.errorhandler(DomainError)
    def domain_error(error):
        retry_after = getattr(error, "retry_after", None)
        return _error_page(error.status, str(error.message),
                           {"Retry-After": str(retry_after)} if retry_after else None)

    @app.errorhandler(RateLimitExceeded)
    def rate_limit_exceeded(error):
        # A limit of a route (Flask-Limiter): say when the oldest attempts stop counting.
        current = limiter.current_limit
        seconds = retry_after_seconds(current.reset_at) if current else 60
        return _error_page(429, str(try_again_message(seconds)), {"Retry-After": str(seconds)})

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(400, _("This form has expired or did not come from this site. "
                                  "Reload the page and send it again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {
            400: _("What was sent is not valid. Go back, check it and try again."),
            403: _("You are not allowed to see this page."),
            404: _("This page does not exist. Check the address."),
            405: _("This page cannot be used that way."),
            413: _("What you sent is too large."),
            415: _("Send this from the form on its page."),
        }
        return _error_page(error.code, messages.get(error.code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        # The route's pattern, not the path: a path can carry a one-time token.
        log.exception("unhandled error", extra={"method": request.method, "route": route_of_request()})
        return _error_page(500, _("Something went wrong on the server. Try again in a moment."))

    app.after_request(security_headers)

    @app.context_processor
    def language_links():
        return {
            "languages": current_app.config["LANGUAGES"],
            "url_for_language": _language_url,
            "get_locale": get_locale,
        }


def _language_url(code):
    return url_for("core.switch_language", code=code, next=request.full_path.rstrip("?"))


