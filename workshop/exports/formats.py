"""The export formats: each one's name, file type, label and renderer.

A renderer takes (event, table) and returns the file's bytes: the minutes of
the whole event when table is None, of that one table otherwise. Renderers
write in the event's language (they are called inside force_locale).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from workshop.exports import report, spreadsheets


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    mimetype: str
    label: str
    render: Callable
    inline: bool = False  # shown in the browser rather than downloaded


FORMATS = {
    export.name: export
    for export in (
        ExportFormat("csv", "csv", "text/csv; charset=utf-8", _l("CSV, one row per need"), spreadsheets.needs_csv),
        ExportFormat("report", "html", "text/html; charset=utf-8", _l("Printable report (HTML)"), report.report_html,
                     inline=True),
        ExportFormat("pdf", "pdf", "application/pdf", _l("Report (PDF)"), report.report_pdf),
    )
}


def render(export, event, table=None):
    """The file's bytes, written in the event's language."""
    with force_locale(event.language):
        return export.render(event, table)
