"""The export formats: each one's name, file type, label and renderer.

A renderer takes (event, table) and returns the file's bytes: for the whole
event when table is None, for that one table otherwise. Renderers write in
the event's language (they are called inside force_locale).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from workshop.exports import archive, decidim, report, spreadsheets


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
        ExportFormat("report", "html", "text/html; charset=utf-8", _l("Printable report (HTML)"), report.report_html,
                     inline=True),
        ExportFormat("pdf", "pdf", "application/pdf", _l("Report (PDF)"), report.report_pdf),
        ExportFormat("xlsx", "xlsx", spreadsheets.XLSX_MIMETYPE, _l("Workbook (XLSX)"), spreadsheets.needs_xlsx),
        ExportFormat("csv", "csv", "text/csv; charset=utf-8", _l("CSV, one row per need"), spreadsheets.needs_csv),
        # "decidim.json", not ".json": the file is for Decidim's importer, and
        # must not pass for another JSON export of the event.
        ExportFormat("decidim", "decidim.json", decidim.MIMETYPE, _l("Proposals for Decidim"),
                     decidim.decidim_proposals),
        ExportFormat("json", "json", "application/json", _l("JSON archive (complete, can be imported again)"),
                     archive.archive_json),
    )
}


def render(export, event, table=None):
    """The file's bytes, written in the event's language."""
    with force_locale(event.language):
        return export.render(event, table)
