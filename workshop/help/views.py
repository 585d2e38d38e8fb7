"""The Help pages: the guides in the visitor's language, public (they hold no personal data)."""

from flask import Blueprint, abort, render_template, url_for
from flask_babel import get_locale

from workshop.help.guides import GUIDES, render_guide

blueprint = Blueprint("help", __name__, url_prefix="/help")


@blueprint.get("/")
def index():
    return render_template("help/index.html")


@blueprint.get("/<guide>")
def guide(guide):
    if guide not in GUIDES:
        abort(404)
    rendered = render_guide(
        guide, get_locale().language,
        image_url=lambda name: url_for("static", filename=f"guides/{name}"),
        guide_url=lambda other, anchor: url_for("help.guide", guide=other) + anchor,
    )
    return render_template("help/guide.html", guide=guide, rendered=rendered)
