"""How values are written into the cells of exported spreadsheets."""

from flask_babel import gettext as _

# A cell starting with one of these is read as a formula by spreadsheet
# programs: a need posted as "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    """Text as a CSV cell: a leading apostrophe keeps a formula-looking text a text."""
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def yes_no(flag):
    return _("yes") if flag else _("no")


def timestamp(moment):
    """UTC, in the form spreadsheets read as a date and time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""
