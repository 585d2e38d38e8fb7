"""The facilitator console, the projector view, and the QR code."""

from types import SimpleNamespace

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required

from workshop.core.access import can_run_table, require
from workshop.core.network import public_base_url
from workshop.extensions import db
from workshop.tables import rehearsal
from workshop.tables.cards import render_cards
from workshop.tables.models import PHASE_ORDER, WorkingTable
from workshop.tables.qr import join_url, qr_svg

blueprint = Blueprint("tables", __name__, url_prefix="/tables")


def _run_table(table_id):
    table = db.session.get(WorkingTable, table_id)
    if table is None:
        abort(404)
    require(can_run_table(current_user, table))
    return table


def _base_url():
    config = current_app.config
    return public_base_url(config["PUBLIC_BASE_URL"], request.host_url, config["PORT"])


def _join_url(table):
    return join_url(_base_url(), table.join_code)


@blueprint.get("/<int:table_id>/console")
@login_required
def console(table_id):
    table = _run_table(table_id)
    choices = SimpleNamespace(paces=SimpleNamespace(**rehearsal.PACES), smallest=rehearsal.SIMULATED_MIN,
                              largest=rehearsal.SIMULATED_MAX)
    return render_template("tables/console.html", table=table, phases=PHASE_ORDER, join_url=_join_url(table),
                           rehearsal=choices)


@blueprint.get("/<int:table_id>/projector")
@login_required
def projector(table_id):
    table = _run_table(table_id)
    return render_template("tables/projector.html", table=table, join_url=_join_url(table))


@blueprint.get("/<int:table_id>/qr.svg")
@login_required
def qr_code(table_id):
    table = _run_table(table_id)
    return Response(qr_svg(_join_url(table)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300"})


@blueprint.get("/<int:table_id>/card")
@login_required
def card(table_id):
    """The table's card to print (A4), in the event's language."""
    table = _run_table(table_id)
    return render_cards(table.event, [table], _base_url())
