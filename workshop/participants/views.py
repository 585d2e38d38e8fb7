"""What a participant opens on their phone: the home page and a table's page."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workshop.core import limits
from workshop.extensions import limiter
from workshop.participants.devices import new_device_cookie, read_device_token
from workshop.tables.join_codes import normalise_join_code
from workshop.tables.operations import find_table_by_code

blueprint = Blueprint("participants", __name__)


@blueprint.get("/")
def home():
    """Type a join code, for whoever cannot scan the QR code."""
    return render_template("participants/home.html")


# Opening join links is limited per phone (its device cookie), never per
# address; both routes count against one allowance.
join_limit = limiter.shared_limit(limits.join_limit, scope="join", key_func=limits.actor_key)


@blueprint.get("/join")
@join_limit
def join():
    code = normalise_join_code(request.args.get("code"))
    if not code:
        return render_template("participants/home.html", error=_("Type the code shown on the screen.")), 400
    return redirect(url_for("participants.table", code=code))


@blueprint.get("/j/<code>")
@join_limit
def table(code):
    """A table's page on a phone. The page itself joins the table over Socket.IO;
    here the phone only gets its device cookie, if it has none yet.

    Every unknown code gets the same page, and a phone that has tried too many
    is refused before the lookup, whatever code it sends next."""
    normalised = normalise_join_code(code)
    if normalised and normalised != code:
        return redirect(url_for("participants.table", code=normalised))
    limits.check_join_misses()
    working_table = find_table_by_code(code) if normalised else None
    if working_table is None:
        limits.count_join_miss()
        message = _("There is no table with the code %(code)s. Check the code on the screen and try again.",
                    code=code)
        return render_template("participants/home.html", error=message, code=code), 404
    response = current_app.make_response(render_template("participants/table.html", table=working_table))
    config = current_app.config
    cookie_name = config["DEVICE_COOKIE_NAME"]
    if read_device_token(config["SECRET_KEY"], request.cookies.get(cookie_name)) is None:
        _token, cookie = new_device_cookie(config["SECRET_KEY"])
        response.set_cookie(
            cookie_name, cookie, max_age=config["DEVICE_COOKIE_DAYS"] * 24 * 3600,
            httponly=True, samesite="Lax", secure=config["COOKIE_SECURE"],
        )
    response.headers["Cache-Control"] = "no-store"
    return response
