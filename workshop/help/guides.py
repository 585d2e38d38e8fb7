"""The guides in docs/guides/, one Markdown file per guide and language, rendered to HTML.

One source for the repository and the app: a guide's pictures are written as
paths from docs/guides/ to static/guides/ (so they show on the repository's
pages too) and its links to the other guide as file names; rendering turns both
into the app's own addresses.
"""

import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import escape

GUIDES_DIR = Path(__file__).resolve().parents[2] / "docs" / "guides"
GUIDES = ("organizers", "facilitators")
FALLBACK_LANGUAGE = "it"
# Where the pictures are, seen from a guide's folder; they are served as static/guides/<name>.
IMAGE_PREFIX = "../../static/guides/"
GUIDE_LINK = re.compile(r"^(?P<guide>[a-z]+)\.(?P<language>[a-z]{2})\.md(?P<anchor>#[\w-]*)?$")


@dataclass(frozen=True)
class RenderedGuide:
    title: str
    language: str
    body: str  # HTML
    toc: str  # HTML: a nested list of links to the body's headings


def guide_path(guide, language):
    return GUIDES_DIR / f"{guide}.{language}.md"


def guide_language(guide, language):
    """The language the guide is served in: the one asked for if written, else Italian."""
    return language if guide_path(guide, language).is_file() else FALLBACK_LANGUAGE


def image_names(text):
    """The picture file names a guide's Markdown points at (under static/guides/)."""
    return {posixpath.basename(path) for path in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text)}


def render_guide(guide, language, image_url, guide_url):
    """Render guide in language (falling back to Italian).

    image_url(name) gives the address of static/guides/<name>; guide_url(guide, anchor) the
    address of another guide's page.
    """
    language = guide_language(guide, language)
    text = guide_path(guide, language).read_text(encoding="utf-8")
    converter = markdown.Markdown(
        extensions=["toc", "tables", "sane_lists", _AppLinks(image_url, guide_url)],
        output_format="html",
    )
    body = converter.convert(text)
    tokens = converter.toc_tokens
    title = html.unescape(tokens[0]["name"]) if tokens else guide
    # The title heading (h1) is the page's; the contents list its sections.
    sections = tokens[0]["children"] if tokens and tokens[0]["level"] == 1 else tokens
    return RenderedGuide(title=title, language=language, body=body, toc=_toc_html(sections))


def _toc_html(tokens):
    if not tokens:
        return ""
    items = []
    for token in tokens:
        children = _toc_html(token["children"])
        items.append(f'<li><a href="#{escape(token["id"])}">{token["name"]}</a>{children}</li>')
    return "<ul>" + "".join(items) + "</ul>"


class _AppLinkRewriter(Treeprocessor):
    def __init__(self, md, image_url, guide_url):
        super().__init__(md)
        self.image_url = image_url
        self.guide_url = guide_url

    def run(self, root):
        for image in root.iter("img"):
            source = image.get("src", "")
            if source.startswith(IMAGE_PREFIX):
                image.set("src", self.image_url(source[len(IMAGE_PREFIX):]))
            image.set("loading", "lazy")
        for link in root.iter("a"):
            match = GUIDE_LINK.match(link.get("href", ""))
            if match and match["guide"] in GUIDES:
                link.set("href", self.guide_url(match["guide"], match["anchor"] or ""))


class _AppLinks(Extension):
    def __init__(self, image_url, guide_url):
        super().__init__()
        self.image_url = image_url
        self.guide_url = guide_url

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_AppLinkRewriter(md, self.image_url, self.guide_url), "tavoli_links", 5)
