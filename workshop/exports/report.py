"""The report of the day: a printable HTML page and a PDF that say the same.

Both are laid out from one Report, built here from the minutes (minutes.py)
in the event's language, so the page and the PDF carry the same sections,
labels and figures: a cover with the counts, per theme its ranked needs with
a bar chart, participation by kind of organisation, and the tables with their
facilitators. Given a table, the report is that table's summary for its
facilitator: its own ranking, people and organisations, and nothing of the
other tables.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import has_request_context, render_template, url_for
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from fpdf import FPDF, FontFace

from workshop.events.organisations import kind_name
from workshop.exports.minutes import minutes_for

FONTS = Path(__file__).with_name("fonts")
STYLESHEET = Path(__file__).parents[2] / "static" / "css" / "report.css"

# The chart shows the head of a ranking; the table under it lists every need.
CHART_LIMIT = 10


@dataclass(frozen=True)
class Bar:
    rank: int
    text: str
    dots: int
    fraction: float  # of the longest bar, the theme's top need


@dataclass(frozen=True)
class Grid:
    """A table of the report: cells are text, or a list of texts shown one per line."""

    columns: list[str]
    rows: list[list]
    numeric: frozenset = frozenset()  # the indexes of columns aligned right


@dataclass(frozen=True)
class ThemeSection:
    name: str
    colour: str
    meta: str
    chart_title: str
    bars: list[Bar]
    ranking: Grid
    empty: str | None  # what to say instead of a chart and a table


@dataclass(frozen=True)
class Report:
    language: str
    kicker: str
    title: str
    subtitle: list[str]
    figures: list[tuple[str, str]]
    needs_note: str
    method_title: str
    method: str
    themes_title: str
    themes: list[ThemeSection]
    no_themes: str | None
    participation_title: str
    by_kind: Grid
    without_organisation: str
    organisations_title: str
    organisations: Grid | None
    no_organisations: str | None
    tables_title: str | None
    tables: Grid | None
    running_title: str
    footer_event: str
    generated_on: str

    @property
    def footer(self):
        return footer_line(self.footer_event, self.generated_on)


def report_html(event, table=None):
    """The report as a standalone page to print (A4), in the event's language."""
    report = build_report(minutes_for(event, table))
    served = has_request_context()
    return render_template(
        "exports/report.html", report=report, chart=_svg_charts(report),
        # Served, the page links its stylesheet (the CSP forbids inline
        # styles); written to a file by `flask export`, there is no server
        # to fetch it from, so the file carries it.
        stylesheet=None if served else STYLESHEET.read_text(encoding="utf-8"),
        pdf_url=_pdf_url(event, table) if served else None,
    ).encode("utf-8")


def report_pdf(event, table=None):
    """The report as an A4 PDF, fonts embedded, in the event's language."""
    report = build_report(minutes_for(event, table))
    # "Page 3 of 7" is right-aligned, and fpdf2 measures its "{nb}" alias as
    # four characters wide: lay the pages out once to count them, then write
    # the document with the real total.
    draft = _ReportDocument(report, pages="…")
    draft.lay_out()
    document = _ReportDocument(report, pages=draft.pages_count)
    document.lay_out()
    return bytes(document.output())


def _pdf_url(event, table):
    if table is None:
        return url_for("exports.event_export", event_id=event.id, name="pdf")
    return url_for("exports.table_export", table_id=table.id, name="pdf")


# The content, in the current locale.

def build_report(minutes):
    """Every text and figure of the report, from the minutes."""
    table = minutes.table
    counts = minutes.counts
    when_where = " · ".join(part for part in (
        format_date(minutes.starts_on, format="long") if minutes.starts_on else None, minutes.venue) if part)
    if table is None:
        kicker, title, subtitle = _("Report of the day"), minutes.title, [when_where]
    else:
        facilitators = ", ".join(table.facilitators) or "–"
        kicker, title = _("Table summary"), table.name
        subtitle = [minutes.title, when_where, _("Theme: %(theme)s", theme=table.theme),
                    _("Facilitators: %(names)s", names=facilitators)]
    if minutes.is_demo:
        subtitle.append(_("Demo data: invented to try Tavoli, not the record of a real meeting."))
    figures = [(_("Participants"), _number(counts.participants)),
               (_("Organisations"), _number(counts.organisations))]
    if table is None:
        figures.append((_("Tables"), _number(counts.tables)))
    figures += [(_("Needs ranked"), _number(counts.needs)), (_("Dots given"), _number(counts.dots))]
    with_organisation = sum(kind.participants for kind in minutes.by_kind)
    return Report(
        language=minutes.language,
        kicker=kicker,
        title=title,
        subtitle=[line for line in subtitle if line],
        figures=figures,
        needs_note=_("Needs posted: %(posted)s · hidden by the facilitators: %(hidden)s · ranked after merging "
                     "the same needs: %(ranked)s", posted=_number(counts.needs_posted),
                     hidden=_number(counts.needs_hidden), ranked=_number(counts.needs)),
        method_title=_("How to read this report"),
        method=_("Participants wrote down the needs they see, then gave their dots to the needs that matter most "
                 "to them. Facilitators merged needs that said the same thing, at each table and across tables "
                 "at the plenary: a merged need counts the dots of all its parts. A need's share is its part of "
                 "the dots given at the tables that raised it. Needs hidden by the facilitators are left out."),
        themes_title=_("Themes"),
        themes=[_theme_section(theme) for theme in minutes.themes],
        no_themes=None if minutes.themes else _("This event has no themes yet."),
        participation_title=_("Participation by kind of organisation"),
        by_kind=Grid(
            columns=[_("Kind of organisation"), _("Organisations"), _("Participants"), _("Needs raised")],
            rows=[[kind_name(kind.kind), _number(kind.organisations), _number(kind.participants),
                   _number(kind.needs)] for kind in minutes.by_kind],
            numeric=frozenset({1, 2, 3}),
        ),
        without_organisation=_("Participants who gave no organisation: %(count)s",
                               count=_number(counts.participants - with_organisation)),
        organisations_title=_("Organisations present"),
        organisations=Grid(
            columns=[_("Organisation"), _("Kind"), _("Participants"), _("Needs raised")],
            rows=[[presence.name, kind_name(presence.kind), _number(presence.participants), presence.raised or "–"]
                  for presence in minutes.participation],
            numeric=frozenset({2}),
        ) if minutes.participation else None,
        no_organisations=None if minutes.participation else _("No organisation was named."),
        tables_title=_("Tables and facilitators") if table is None else None,
        tables=None if table is not None else Grid(
            columns=[_("Table"), _("Theme"), _("Facilitators"), _("Participants"), _("Needs"), _("Dots")],
            rows=[[row.name, row.theme, ", ".join(row.facilitators) or "–", _number(row.participants),
                   _number(row.needs), _number(row.dots)] for row in minutes.tables],
            numeric=frozenset({3, 4, 5}),
        ),
        running_title=minutes.title if table is None else f"{minutes.title} · {table.name}",
        footer_event=minutes.title if table is None else f"{minutes.title}, {table.name}",
        generated_on=format_date(minutes.generated_at, format="long"),
    )


def footer_line(event, generated_on):
    return _("Tavoli - %(event)s - generated %(date)s", event=event, date=generated_on)


def _theme_section(theme):
    top = max((need.dots for need in theme.ranking), default=0)
    shown = theme.ranking[:CHART_LIMIT]
    if len(theme.ranking) > len(shown):
        chart_title = _("Dots per need: the first %(shown)s of %(total)s", shown=len(shown),
                        total=len(theme.ranking))
    else:
        chart_title = _("Dots per need")
    return ThemeSection(
        name=theme.name,
        colour=theme.colour,
        meta=_("Tables: %(tables)s · dots given: %(dots)s",
               tables=", ".join(table.name for table in theme.tables) or "–", dots=_number(theme.dots)),
        chart_title=chart_title,
        bars=[Bar(rank=need.rank, text=need.text, dots=need.dots, fraction=need.dots / top if top else 0.0)
              for need in shown],
        ranking=Grid(
            columns=[_("Rank"), _("Need"), _("Dots"), _("Share"), _("Tables"), _("Organisations")],
            rows=[[_number(need.rank), need.text, _number(need.dots), format_percent(need.share),
                   ", ".join(need.tables), ", ".join(need.organisations) or "–"] for need in theme.ranking],
            numeric=frozenset({0, 2, 3}),
        ),
        empty=None if theme.ranking else _("No needs were ranked in this theme."),
    )


def _number(value):
    return format_decimal(value)


# The HTML page: its bar charts are inline SVG, sized here.

SVG_WIDTH, SVG_LABEL_MAX = 640, 88  # the label is cut to fit the width, in characters
SVG_TRACK = 580  # the longest bar; the rest of the width holds its number
SVG_ROW, SVG_BAR_HEIGHT = 42, 16


@dataclass(frozen=True)
class SvgBar:
    label: str
    label_y: int
    dots: str
    bar_y: int
    width: float
    value_x: float
    value_y: int


def _svg_charts(report):
    """For each theme section (by position): its chart's size and bars, in SVG units."""
    charts = []
    for section in report.themes:
        bars = []
        for index, bar in enumerate(section.bars):
            top = index * SVG_ROW
            width = round(SVG_TRACK * bar.fraction, 1)
            bars.append(SvgBar(label=_shorten(f"{bar.rank}. {bar.text}", SVG_LABEL_MAX), label_y=top + 13,
                               dots=_number(bar.dots), bar_y=top + 19, width=width, value_x=width + 6,
                               value_y=top + 19 + SVG_BAR_HEIGHT - 3))
        charts.append({"width": SVG_WIDTH, "height": len(bars) * SVG_ROW, "track": SVG_TRACK,
                       "bar_height": SVG_BAR_HEIGHT, "bars": bars})
    return charts


def _shorten(text, limit):
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# The PDF.

INK, MUTED, LINE, GROUND, ACCENT, WHITE = "#14202e", "#4a5868", "#c9d2dc", "#f3f5f8", "#14365e", "#ffffff"
MARGIN = 22  # mm, on every side but the foot, which holds the footer
GRID_PADDING = (1.6, 1.8)  # mm, above and below, and on the sides of a cell


class _ReportDocument(FPDF):
    def __init__(self, report, pages):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.total_pages = pages
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_font("DejaVu", size=10)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.c_margin = 0  # text lines up with the rules, bands and boxes drawn at the margin
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.set_title(report.title)
        self.set_author("Tavoli")
        self.set_creator("Tavoli")
        self.set_lang(report.language)
        self.set_display_mode("fullwidth")

    def normalize_text(self, text):
        # DejaVu has no emoji. fpdf2 would leave such characters out of the
        # drawn text, yet still count their width and log a warning for each
        # document; a fallback font (set_fallback_fonts) would mean shipping
        # an emoji font. So characters the current font lacks are dropped
        # here, where every text passes. The other formats keep them.
        cmap = self.current_font.cmap if self.is_ttf_font else None
        if cmap is not None:
            text = "".join(char for char in text if ord(char) in cmap or char in "\n\r\t")
        return super().normalize_text(text)

    def lay_out(self):
        report = self.report
        self._cover()
        for section in report.themes:
            self._theme(section)
        self.add_page()
        self._heading(report.participation_title)
        self._grid(report.by_kind, (1, 0, 0, 0))
        self.ln(1)
        self._paragraph(report.without_organisation, size=9.5, colour=MUTED)
        self.ln(6)
        self._heading(report.organisations_title, size=13)
        if report.organisations:
            self._grid(report.organisations, (3, 2, 0, 4))
        else:
            self._paragraph(report.no_organisations, colour=MUTED)
        if report.tables is not None:
            self.ln(6)
            self._heading(report.tables_title)
            self._grid(report.tables, (2, 3, 4, 0, 0, 0))

    def header(self):
        if self.page_no() == 1:
            return
        self.set_y(10)
        self._font(8, colour=MUTED)
        self._line_with_label(self.report.running_title, self.report.kicker)
        self._rule(15.5, LINE, 0.2)
        self.set_y(MARGIN)

    def footer(self):
        self._rule(self.h - 16, LINE, 0.2)
        self.set_y(-14.5)
        self._font(8, colour=MUTED)
        label = _("Page %(page)s of %(pages)s", page=self.page_no(), pages=self.total_pages)
        room = self.epw - self.get_string_width(label) - 6
        event, text = self.report.footer_event, self.report.footer
        while self.get_string_width(text) > room and event:  # cut the event's name, never the date
            event = event[:-1]
            text = footer_line(event.rstrip() + "…", self.report.generated_on)
        self._line_with_label(text, label)

    def _line_with_label(self, text, label):
        """One line: text on the left, cut to leave room for label on the right."""
        room = self.get_string_width(label) + 6
        self.cell(self.epw - room, 5, _fit(self, text, self.epw - room))
        self.cell(room, 5, label, align="R")

    def _cover(self):
        report = self.report
        self.add_page()
        self.set_fill_color(ACCENT)
        self.rect(0, 0, self.w, 8, style="F")
        self.set_y(52)
        self._font(10, bold=True, colour=ACCENT)
        self.set_char_spacing(1.2)
        self.cell(text=report.kicker.upper(), new_x="LMARGIN", new_y="NEXT")
        self.set_char_spacing(0)
        self.ln(3)
        self._font(26, bold=True)
        self.multi_cell(0, 11, report.title, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        for line in report.subtitle:
            self._font(12.5, colour=MUTED)
            self.multi_cell(0, 6.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(5)
        self._rule(self.get_y(), ACCENT, 1.2, length=40)
        self.ln(12)
        self._figures(report.figures)
        self.ln(4)
        self._paragraph(report.needs_note, size=9.5, colour=MUTED)
        self.ln(8)
        self._heading(report.method_title, size=13)
        self._paragraph(report.method, size=10, height=5.4)
        self.ln(6)
        self._heading(report.themes_title, size=13)
        if report.no_themes:
            self._paragraph(report.no_themes, colour=MUTED)
        for section in report.themes:
            y = self.get_y()
            self.set_fill_color(section.colour)
            self.rect(self.l_margin, y + 1.2, 3.5, 3.5, style="F")
            self.set_x(self.l_margin + 6)
            self._font(10.5, bold=True)
            self.cell(text=section.name, new_x="LMARGIN", new_y="NEXT")
            self.set_x(self.l_margin + 6)
            self._font(9, colour=MUTED)
            self.multi_cell(self.epw - 6, 4.6, section.meta, align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

    def _figures(self, figures):
        gap = 3
        width = (self.epw - gap * (len(figures) - 1)) / len(figures)
        top = self.get_y()
        self._font(8.5)
        # A label may take two lines ("Bisogni in classifica"): every box grows to the tallest.
        lines = max(len(self.multi_cell(width - 4, 4, label, dry_run=True, output="LINES")) for label, _ in figures)
        height = 19 + 4 * lines
        for index, (label, value) in enumerate(figures):
            x = self.l_margin + index * (width + gap)
            self.set_fill_color(GROUND)
            self.rect(x, top, width, height, style="F")
            self.set_fill_color(ACCENT)
            self.rect(x, top, width, 0.8, style="F")
            self.set_xy(x, top + 4)
            self._font(20, bold=True, colour=ACCENT)
            self.cell(width, 9, value, align="C")
            self.set_xy(x + 2, top + 14.5)
            self._font(8.5, colour=MUTED)
            self.multi_cell(width - 4, 4, label, align="C")
        self.set_xy(self.l_margin, top + height)

    def _theme(self, section):
        self.add_page()
        ink = _readable_on(section.colour)
        top, line = self.get_y(), 7.5
        self._font(16, bold=True, colour=ink)
        lines = len(self.multi_cell(self.epw - 10, line, section.name, dry_run=True, output="LINES"))
        height = max(15, lines * line + 7)
        self.set_fill_color(section.colour)
        self.rect(self.l_margin, top, self.epw, height, style="F")
        self.set_xy(self.l_margin + 5, top + (height - lines * line) / 2)
        self.multi_cell(self.epw - 10, line, section.name, align="L")
        self.set_xy(self.l_margin, top + height + 3)
        self._font(9.5, colour=MUTED)
        self.multi_cell(0, 5, section.meta, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(5)
        if section.empty:
            self._paragraph(section.empty, colour=MUTED)
            return
        self._heading(section.chart_title, size=12, rule=False)
        self._chart(section)
        self.ln(6)
        self._grid(section.ranking, (0, 11, 0, 0, 4, 5))

    def _chart(self, section):
        number_room = 14
        longest = self.epw - number_room
        outline = _darker(section.colour)
        for bar in section.bars:
            if self.will_page_break(12):
                self.add_page()
            self._font(9)
            self.cell(self.epw, 5, _fit(self, f"{bar.rank}. {bar.text}", self.epw), new_x="LMARGIN", new_y="NEXT")
            y = self.get_y() + 0.6
            width = max(longest * bar.fraction, 0.6 if bar.dots else 0)
            self.set_fill_color(GROUND)
            self.rect(self.l_margin, y, longest, 4.8, style="F")
            if width:
                self.set_fill_color(section.colour)
                self.set_draw_color(outline)
                self.set_line_width(0.2)
                self.rect(self.l_margin, y, width, 4.8, style="DF")
            self.set_xy(self.l_margin + longest + 2, y - 0.1)
            self._font(9.5, bold=True)
            self.cell(number_room - 2, 5, _number(bar.dots))
            self.set_xy(self.l_margin, y + 7.4)

    def _grid(self, grid, weights):
        """A table of figures; weights share the width left by the numeric columns, which fit their content."""
        self.set_draw_color(LINE)
        self.set_line_width(0.2)
        # A table fills its cells with the current fill colour unless it is the default.
        self.set_fill_color(self.DEFAULT_FILL_COLOR)
        self._font(9)
        align = tuple("RIGHT" if index in grid.numeric else "LEFT" for index in range(len(grid.columns)))
        with self.table(
            col_widths=self._column_widths(grid, weights), width=self.epw, text_align=align,
            borders_layout="HORIZONTAL_LINES", headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=GROUND),
            line_height=4.6, padding=GRID_PADDING, v_align="TOP",
        ) as table:
            table.row(grid.columns)
            for cells in grid.rows:
                row = table.row()
                for cell in cells:
                    row.cell("\n".join(f"• {item}" for item in cell) if isinstance(cell, list) else cell)
        self.set_draw_color(INK)

    def _column_widths(self, grid, weights):
        room = 2 * GRID_PADDING[1] + 1
        self._font(9, bold=True)
        headings = [self.get_string_width(column) + room for column in grid.columns]
        # A heading may wrap between words, never inside one ("Organizzazioni").
        shortest = [max(self.get_string_width(word) for word in column.split()) + room for column in grid.columns]
        self._font(9)
        fixed = {index: max([headings[index]] + [self.get_string_width(row[index]) + room for row in grid.rows])
                 for index in grid.numeric}
        while True:
            free = [index for index in range(len(weights)) if index not in fixed]
            if not free:  # too many columns for the page: the table scales them down alike
                return tuple(fixed[index] for index in range(len(weights)))
            share = max(self.epw - sum(fixed.values()), 0) / sum(weights[index] for index in free)
            narrow = [index for index in free if weights[index] * share < shortest[index]]
            if not narrow:
                return tuple(fixed.get(index, weights[index] * share) for index in range(len(weights)))
            fixed.update((index, shortest[index]) for index in narrow)

    def _heading(self, text, size=16, rule=True):
        if self.will_page_break(size):
            self.add_page()
        self._font(size, bold=True, colour=ACCENT)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        if rule:
            self._rule(self.get_y() + 1, ACCENT, 0.5, length=24)
            self.ln(4)
        else:
            self.ln(1.5)

    def _paragraph(self, text, size=10, colour=INK, height=None):
        self._font(size, colour=colour)
        self.multi_cell(0, height or size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def _font(self, size, bold=False, colour=INK):
        self.set_font("DejaVu", "B" if bold else "", size)
        self.set_text_color(colour)

    def _rule(self, y, colour, width, length=None):
        self.set_draw_color(colour)
        self.set_line_width(width)
        self.line(self.l_margin, y, self.l_margin + (length or self.epw), y)
        self.set_draw_color(INK)


def _fit(pdf, text, width):
    """text, cut with an ellipsis to fit on one line of width (mm) in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _rgb(colour):
    return tuple(int(colour[index:index + 2], 16) for index in (1, 3, 5))


def _luminance(colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(value) for value in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one, other):
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _readable_on(colour):
    """White or dark ink, whichever contrasts more with a theme's colour (WCAG's contrast ratio)."""
    return WHITE if _contrast(colour, WHITE) >= _contrast(colour, INK) else INK


def _darker(colour, by=0.35):
    """The colour's outline: a pale theme colour still shows its bars' edges on white paper."""
    return "#" + "".join(f"{round(value * (1 - by)):02x}" for value in _rgb(colour))
