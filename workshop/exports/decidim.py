"""The ranked needs as proposals for Decidim, the participation platform many
Italian cities publish their processes on, so the meeting's output enters the
formal process without being typed again.

An admin of the city's Decidim opens a proposals component and chooses
Import > "Import proposals from a file". How Decidim reads that file
(decidim/decidim, read for this module):
- decidim-admin/lib/decidim/admin/import/readers.rb accepts CSV, JSON and XLSX.
- readers/json.rb parses an array of objects, flattens nested keys
  ({"title": {"it": ...}} becomes "title/it") and takes the columns from the
  FIRST object: every proposal here has the same four keys, in the same order.
  An earlier version of the reader mapped the values by position, which the
  same keys in the same order also satisfy.
- readers/csv.rb splits on Decidim.default_csv_col_sep, an installation
  setting (DECIDIM_DEFAULT_CSV_COL_SEP, ";" by default), an earlier version
  kept a byte-order mark in the first header, and an issue (decidim#17287)
  reports a server error on a CSV whose cells hold line breaks. A JSON file
  has none of these uncertainties, so it is the one format written.
- decidim-proposals/lib/decidim/proposals/import/proposal_creator.rb builds
  each proposal from "title/<locale>" and "body/<locale>" for the locales the
  organisation has (Creator#locale_hasher); it drops "id", and scope,
  category, taxonomies, address, latitude and longitude are optional (an
  absent one finds nothing). proposals_verifier.rb requires the title and
  body columns of the organisation's default locale; the Proposal model
  validates that both are present.
- The creator makes the organisation the proposal's coauthor, so Decidim
  treats it as official (Proposal#official?), and official bodies are shown
  as sanitised HTML without turning line breaks into paragraphs
  (decidim-proposals/app/helpers/decidim/proposals/application_helper.rb,
  render_proposal_body). Bodies are therefore simple HTML (<p>, <ul>, <li>)
  with every text escaped; titles are plain text, as Decidim shows them.

Titles: participants write a need once, in one language. title/<event
language> is that text, and every other locale carries the same text, since
a title nobody wrote must not be invented; the body in the other locales
says which language the title is in. Bodies are written in each locale, with
its labels (force_locale).
"""

import json

from babel import Locale
from flask_babel import force_locale, format_date, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from workshop.events.models import EVENT_LANGUAGES
from workshop.exports.minutes import minutes_for

MIMETYPE = "application/json"


def decidim_proposals(event, table=None):
    """Every ranked need of every theme (or of one table) as one proposal, as the bytes of a JSON file."""
    minutes = minutes_for(event, table)
    locales = [minutes.language, *(locale for locale in EVENT_LANGUAGES if locale != minutes.language)]
    texts = {line.id: line.text for line in minutes.needs}
    proposals = []
    for theme in minutes.themes:
        for entry in theme.ranking:
            # Built the same way every time, so every proposal has the same
            # keys in the same order: Decidim reads the columns off the first.
            proposal = {}
            for locale in locales:
                proposal[f"title/{locale}"] = entry.text
                with force_locale(locale):
                    proposal[f"body/{locale}"] = _body(minutes, theme, entry, texts, locale)
            proposals.append(proposal)
    return json.dumps(proposals, ensure_ascii=False, indent=2).encode("utf-8")


def _body(minutes, theme, entry, texts, locale):
    """The body of one proposal, in simple HTML, in the current locale."""
    if minutes.starts_on:
        origin = _("Raised at the meeting “%(event)s” of %(date)s and ranked there with dots.",
                   event=minutes.title, date=format_date(minutes.starts_on, "long"))
    else:
        origin = _("Raised at the meeting “%(event)s” and ranked there with dots.", event=minutes.title)
    count = len(theme.ranking)
    if minutes.table is None:
        rank = _("Rank in the theme: %(rank)s of %(count)s", rank=entry.rank, count=count)
    else:
        rank = _("Rank at the table: %(rank)s of %(count)s", rank=entry.rank, count=count)
    if len(entry.tables) == 1:
        tables = _("Raised at 1 table: %(tables)s", tables=entry.tables[0])
    else:
        tables = _("Raised at %(n)s tables: %(tables)s", n=len(entry.tables), tables=", ".join(entry.tables))
    if entry.organisations:
        organisations = _("Organisations that raised it: %(organisations)s",
                          organisations=", ".join(entry.organisations))
    else:
        organisations = _("No organisation was named for this need.")
    facts = [
        _("Theme: %(theme)s", theme=theme.name),
        tables,
        _("Dots: %(dots)s (%(share)s of the dots given at its tables)", dots=entry.dots,
          share=format_percent(entry.share)),
        rank,
        organisations,
    ]
    if entry.merged:
        facts.append(_("Also raised as: %(texts)s",
                       texts="; ".join(f"“{texts[merged]}”" for merged in entry.merged)))
    paragraphs = [Markup("<p>{}</p>").format(origin),
                  Markup("<ul>{}</ul>").format(Markup("").join(Markup("<li>{}</li>").format(fact) for fact in facts))]
    if locale != minutes.language:
        paragraphs.append(Markup("<p>{}</p>").format(_(
            "The title is the need as the participants wrote it, in %(language)s.",
            language=Locale.parse(minutes.language).get_language_name(locale))))
    return str(Markup("").join(paragraphs))
