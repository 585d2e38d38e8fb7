"""The spreadsheets of the day: the CSV of every need, and the workbook.

Both write the needs with the one list of columns below (NEED_COLUMNS), so
the "Needs" sheet of the workbook and the CSV cannot drift apart.

The CSV is UTF-8 with a byte-order mark, so Excel reads the accents right;
the separator is the one the event's language uses in spreadsheets (";" for
Italian, where "," is the decimal comma; "," for English), so the file opens
in columns in Excel and LibreOffice alike with the usual regional settings.

The workbook (XLSX) holds a summary sheet, one sheet per theme with its
needs ranked across its tables, the organisations present and what they
raised, and every need as posted. Its cells are typed: counts are integers,
shares percentages, moments real dates, and every text a text, even one that
looks like a formula.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workshop.events.organisations import kind_name
from workshop.exports.cells import text_cell, timestamp, yes_no
from workshop.exports.minutes import minutes_for

SEPARATORS = {"it": ";", "en": ","}

# What a column holds, which decides how each format writes its cells.
TEXT, COUNT, SHARE, FLAG, MOMENT, DAY = "text", "count", "share", "flag", "moment", "day"

NUMBER_FORMATS = {COUNT: "0", SHARE: "0.0%", MOMENT: "yyyy-mm-dd hh:mm:ss", DAY: "yyyy-mm-dd"}


@dataclass(frozen=True)
class Column:
    label: object  # a lazy string: read when the file is written, in the event's language
    kind: str
    value: Callable  # (minutes, need line) -> the raw value, None when there is none


def _line(name):
    return lambda minutes, line: getattr(line, name)


NEED_COLUMNS = (
    Column(_l("Event"), TEXT, lambda minutes, line: minutes.title),
    Column(_l("Theme"), TEXT, _line("theme")),
    Column(_l("Table"), TEXT, _line("table")),
    Column(_l("Need id"), COUNT, _line("id")),
    Column(_l("Need"), TEXT, _line("text")),
    Column(_l("Original text"), TEXT, _line("original")),
    Column(_l("Organisation"), TEXT, _line("organisation")),
    Column(_l("Kind of organisation"), TEXT,
           lambda minutes, line: kind_name(line.organisation_kind) if line.organisation_kind else None),
    Column(_l("Posted by"), TEXT, _line("author")),
    Column(_l("Dots on this need"), COUNT, _line("dots")),
    Column(_l("Dots at the table"), COUNT, _line("table_dots")),
    Column(_l("Rank at the table"), COUNT, _line("table_rank")),
    Column(_l("Dots in the theme"), COUNT, _line("theme_dots")),
    Column(_l("Rank in the theme"), COUNT, _line("theme_rank")),
    Column(_l("Merged into (table)"), COUNT, _line("merged_into")),
    Column(_l("Merged into (plenary)"), COUNT, _line("theme_merged_into")),
    Column(_l("Hidden"), FLAG, _line("hidden")),
    Column(_l("Pinned"), FLAG, _line("pinned")),
    Column(_l("Posted at (UTC)"), MOMENT, _line("created_at")),
    Column(_l("Last changed at (UTC)"), MOMENT, _line("updated_at")),
)


# The CSV ----------------------------------------------------------------

def needs_csv(event, table=None):
    minutes = minutes_for(event, table)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=SEPARATORS.get(minutes.language, ","), lineterminator="\r\n")
    writer.writerow([str(column.label) for column in NEED_COLUMNS])
    for line in minutes.needs:
        writer.writerow([_csv_cell(column.kind, column.value(minutes, line)) for column in NEED_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(kind, value):
    if kind == FLAG:
        return yes_no(value)
    if kind == MOMENT:
        return timestamp(value)
    if value is None:
        return ""
    return text_cell(value) if kind == TEXT else value


# The workbook -----------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = str.maketrans({character: "-" for character in "[]:*?/\\"})
# Column widths in characters: wide enough for the longest line of the
# column, within bounds so that a long need wraps instead of pushing the
# rest of the sheet out of sight.
WIDTH_MIN, WIDTH_MAX = 6, 60
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


@dataclass(frozen=True)
class Grid:
    """A sheet made of one header row and typed rows."""

    title: str
    headers: list[str]
    kinds: list[str]
    rows: list[list]
    header_colour: str | None = None  # "#rrggbb"


def needs_xlsx(event, table=None):
    """The workbook of the event (or of one table), as the bytes of an .xlsx file."""
    minutes = minutes_for(event, table)
    workbook = Workbook()
    taken = set()
    _summary_sheet(workbook.active, minutes, sheet_title(_("Summary"), taken))
    for theme in minutes.themes:
        _write_grid(workbook.create_sheet(), _theme_grid(minutes, theme, sheet_title(theme.name, taken)))
    _write_grid(workbook.create_sheet(), _participation_grid(minutes, sheet_title(_("Participation"), taken)))
    _write_grid(workbook.create_sheet(), _needs_grid(minutes, sheet_title(_("Needs"), taken)))
    workbook.properties.title = minutes.title
    workbook.properties.creator = "Tavoli"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_title(name, taken):
    """A sheet name Excel accepts, unique in the workbook (Excel compares them
    ignoring case): at most 31 characters, none of []:*?/\\, not starting or
    ending with an apostrophe. Adds it to taken."""
    base = " ".join((name or "").translate(SHEET_TITLE_FORBIDDEN).split()).strip("'") or "-"
    title, number = base[:SHEET_TITLE_MAX], 1
    while title.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[:SHEET_TITLE_MAX - len(suffix)].rstrip() + suffix
    taken.add(title.casefold())
    return title


def _theme_grid(minutes, theme, title):
    texts = {line.id: line.text for line in minutes.needs}
    return Grid(
        title=title,
        headers=[_("Rank"), _("Need"), _("Dots"), _("Share of its tables' dots"), _("Tables"), _("Organisations"),
                 _("Also raised as"), _("Need id")],
        kinds=[COUNT, TEXT, COUNT, SHARE, TEXT, TEXT, TEXT, COUNT],
        rows=[[entry.rank, entry.text, entry.dots, entry.share, ", ".join(entry.tables),
               ", ".join(entry.organisations), "\n".join(texts[merged] for merged in entry.merged), entry.id]
              for entry in theme.ranking],
        header_colour=theme.colour,
    )


def _participation_grid(minutes, title):
    return Grid(
        title=title,
        headers=[_("Organisation"), _("Kind of organisation"), _("Participants"), _("Needs raised"),
                 _("What it raised")],
        kinds=[TEXT, TEXT, COUNT, COUNT, TEXT],
        rows=[[presence.name, kind_name(presence.kind), presence.participants, len(presence.raised),
               "\n".join(presence.raised)] for presence in minutes.participation],
    )


def _needs_grid(minutes, title):
    return Grid(
        title=title,
        headers=[str(column.label) for column in NEED_COLUMNS],
        kinds=[column.kind for column in NEED_COLUMNS],
        rows=[[column.value(minutes, line) for column in NEED_COLUMNS] for line in minutes.needs],
    )


def _write_grid(sheet, grid):
    """One header row (bold, frozen, with a filter) over typed rows, columns as wide as their content."""
    sheet.title = grid.title
    header_font, header_fill = BOLD, None
    if grid.header_colour:
        colour = grid.header_colour.lstrip("#").upper()
        header_fill = PatternFill(fill_type="solid", fgColor=colour)
        header_font = Font(bold=True, color=_readable_on(colour))
    for number, header in enumerate(grid.headers, start=1):
        cell = sheet.cell(row=1, column=number)
        _put(cell, TEXT, header)
        cell.font, cell.alignment = header_font, TOP
        if header_fill:
            cell.fill = header_fill
    for row_number, row in enumerate(grid.rows, start=2):
        for number, (kind, value) in enumerate(zip(grid.kinds, row, strict=True), start=1):
            _put(sheet.cell(row=row_number, column=number), kind, value)
    for number, (header, kind) in enumerate(zip(grid.headers, grid.kinds, strict=True), start=1):
        width = _width([header, *(_shown(kind, row[number - 1]) for row in grid.rows)])
        sheet.column_dimensions[get_column_letter(number)].width = width
        if (kind == TEXT and width == WIDTH_MAX) or any("\n" in _shown(kind, row[number - 1]) for row in grid.rows):
            for row_number in range(2, len(grid.rows) + 2):
                sheet.cell(row=row_number, column=number).alignment = WRAP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(grid.headers))}{len(grid.rows) + 1}"


def _summary_sheet(sheet, minutes, title):
    """The event at a glance: what, when, where, the counts, the organisations
    by kind and the themes. Blocks of labels and values rather than one
    table, so it has neither a frozen header nor a filter."""
    sheet.title = title
    counts = minutes.counts
    facts = [
        (_("Event"), TEXT, minutes.title),
        *([(_("Table"), TEXT, minutes.table.name)] if minutes.table else []),
        (_("Date"), DAY, minutes.starts_on),
        (_("Venue"), TEXT, minutes.venue),
        (_("Generated at (UTC)"), MOMENT, minutes.generated_at),
        None,
        (_("Participants"), COUNT, counts.participants),
        (_("Organisations"), COUNT, counts.organisations),
        (_("Tables"), COUNT, counts.tables),
        (_("Needs in the rankings (after merges)"), COUNT, counts.needs),
        (_("Needs posted"), COUNT, counts.needs_posted),
        (_("Needs hidden"), COUNT, counts.needs_hidden),
        (_("Dots used"), COUNT, counts.dots),
    ]
    row = 1
    title_cell = sheet.cell(row=row, column=1)
    _put(title_cell, TEXT, minutes.title)
    title_cell.font = Font(bold=True, size=14)
    row += 2
    for fact in facts:
        if fact is not None:
            label, kind, value = fact
            _put(sheet.cell(row=row, column=1), TEXT, label)
            sheet.cell(row=row, column=1).font = BOLD
            _put(sheet.cell(row=row, column=2), kind, value)
            sheet.cell(row=row, column=2).alignment = Alignment(horizontal="left")
        row += 1
    row += 1
    row = _summary_block(sheet, row, _("Organisations by kind"), [
        (_("Kind of organisation"), TEXT), (_("Organisations"), COUNT), (_("Participants"), COUNT),
        (_("Needs raised"), COUNT),
    ], [[kind_name(count.kind), count.organisations, count.participants, count.needs] for count in minutes.by_kind])
    row += 1
    _summary_block(sheet, row, _("Themes"), [
        (_("Theme"), TEXT), (_("Tables"), COUNT), (_("Needs in the rankings (after merges)"), COUNT),
        (_("Dots used"), COUNT),
    ], [[theme.name, len(theme.tables), len(theme.ranking), theme.dots] for theme in minutes.themes])
    widths = {}
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if cell.value is not None:
                widths.setdefault(cell.column, []).append(_shown(_kind_of(cell), cell.value))
    for column, shown in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = _width(shown)


def _summary_block(sheet, row, heading, columns, rows):
    """A titled little table in the summary; returns the row after it."""
    _put(sheet.cell(row=row, column=1), TEXT, heading)
    sheet.cell(row=row, column=1).font = Font(bold=True, size=12)
    row += 1
    for number, (label, _kind) in enumerate(columns, start=1):
        _put(sheet.cell(row=row, column=number), TEXT, label)
        sheet.cell(row=row, column=number).font = BOLD
    for values in rows:
        row += 1
        for number, ((_label, kind), value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(sheet.cell(row=row, column=number), kind, value)
    return row + 1


def _put(cell, kind, value):
    """Write a value as a cell of its kind: numbers, dates and texts typed as such."""
    if kind == FLAG:
        kind, value = TEXT, yes_no(value)
    if value is None:
        return
    if kind == TEXT:
        # Characters XML cannot carry are dropped rather than failing the
        # whole file. The type is set after the value, because openpyxl reads
        # a text starting with "=" as a formula: this need stays words.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"
        return
    if kind == MOMENT:
        value = _naive_utc(value)
    cell.value = value
    cell.number_format = NUMBER_FORMATS[kind]


def _naive_utc(moment):
    """Excel has no time zones: the moment in UTC, as the column's label says."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _kind_of(cell):
    if isinstance(cell.value, datetime):
        return MOMENT
    if isinstance(cell.value, date):
        return DAY
    return TEXT


def _shown(kind, value):
    """The value roughly as a spreadsheet program shows it, to size its column."""
    if value is None:
        return ""
    if kind == FLAG:
        return yes_no(value)
    if kind == MOMENT:
        return "0000-00-00 00:00:00"
    if kind == DAY:
        return "0000-00-00"
    if kind == SHARE:
        return f"{value * 100:.1f}%"
    return str(value)


def _width(shown):
    longest = max((len(line) for text in shown for line in text.split("\n")), default=0)
    return max(WIDTH_MIN, min(WIDTH_MAX, longest + 2))


def _readable_on(colour):
    """Black or white, whichever reads better on this background (WCAG relative luminance)."""
    channels = [int(colour[index:index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4 for value in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "000000" if luminance > 0.179 else "FFFFFF"
