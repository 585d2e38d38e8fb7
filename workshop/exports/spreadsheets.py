"""The CSV of every need: one row per need as posted, with what became of it.

UTF-8 with a byte-order mark, so Excel reads the accents right; the separator
is the one the event's language uses in spreadsheets (";" for Italian, where
"," is the decimal comma; "," for English), so the file opens in columns in
Excel and LibreOffice alike with the usual regional settings.
"""

import csv
import io

from flask_babel import gettext as _

from workshop.events.organisations import kind_name
from workshop.exports.cells import text_cell, timestamp, yes_no
from workshop.exports.minutes import event_minutes, table_minutes

SEPARATORS = {"it": ";", "en": ","}


def minutes_of(event, table):
    return event_minutes(event) if table is None else table_minutes(table)


def needs_csv(event, table=None):
    minutes = minutes_of(event, table)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=SEPARATORS.get(minutes.language, ","), lineterminator="\r\n")
    writer.writerow([
        _("Event"), _("Theme"), _("Table"), _("Need id"), _("Need"), _("Original text"), _("Organisation"),
        _("Kind of organisation"), _("Posted by"), _("Dots on this need"), _("Dots at the table"),
        _("Rank at the table"), _("Dots in the theme"), _("Rank in the theme"), _("Merged into (table)"),
        _("Merged into (plenary)"), _("Hidden"), _("Pinned"), _("Posted at (UTC)"), _("Last changed at (UTC)"),
    ])
    for line in minutes.needs:
        writer.writerow([
            text_cell(minutes.title), text_cell(line.theme), text_cell(line.table), line.id, text_cell(line.text),
            text_cell(line.original), text_cell(line.organisation),
            kind_name(line.organisation_kind) if line.organisation_kind else "", text_cell(line.author),
            line.dots, _blank(line.table_dots), _blank(line.table_rank), _blank(line.theme_dots),
            _blank(line.theme_rank), _blank(line.merged_into), _blank(line.theme_merged_into),
            yes_no(line.hidden), yes_no(line.pinned), timestamp(line.created_at), timestamp(line.updated_at),
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _blank(number):
    return "" if number is None else number
