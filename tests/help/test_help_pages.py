"""The in-app Help: the guides of docs/guides/ in the visitor's language, with their pictures."""

import re
from pathlib import Path

import pytest

from tests.conftest import login
from workshop.accounts.models import Role
from workshop.help.guides import GUIDES, GUIDES_DIR, guide_language, image_names

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("it", "en")
PICTURES = ROOT / "static" / "guides"


def page(client, url, language):
    client.set_cookie("tavoli_lang", language)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_index_names_both_guides(client, language):
    text = page(client, "/help/", language)
    assert f'<html lang="{language}">' in text
    assert 'href="/help/organizers"' in text and 'href="/help/facilitators"' in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("guide", GUIDES)
def test_a_guide_renders_in_the_language_asked_with_its_headings_contents_and_pictures(client, guide, language):
    text = page(client, f"/help/{guide}", language)
    source = (GUIDES_DIR / f"{guide}.{language}.md").read_text(encoding="utf-8")
    article = text[text.index('<article class="guide"'):text.index("</article>")]
    assert f'lang="{language}"' in article[:60]

    # One h1 (the guide's title, as written), then sections with ids the contents link to.
    title = re.search(r"^# (.+)$", source, re.MULTILINE).group(1)
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", article) == [title]
    assert re.search(r"<title>(.*?) · ", text).group(1) == title
    section_ids = re.findall(r'<h2 id="([^"]+)"', article)
    assert len(section_ids) >= 5
    toc = text[text.index('<nav class="guide-toc'):text.index("</nav>", text.index('<nav class="guide-toc'))]
    assert [f'href="#{section}"' in toc for section in section_ids] == [True] * len(section_ids)

    # Pictures point at the app's own static files, which answer.
    sources = re.findall(r'<img [^>]*src="([^"]+)"', article)
    assert len(sources) == len(image_names(source)) > 0
    for src in sources:
        assert src.startswith("/static/guides/") and src.endswith(f".{language}.png"), src
        picture = client.get(src)
        assert picture.status_code == 200 and picture.mimetype == "image/png", src
    assert "../../static" not in article

    # The CSP forbids inline styles and scripts: the guide has none.
    assert "style=" not in article and "<script" not in article


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_link_from_one_guide_to_the_other_leads_to_its_help_page(client, language):
    text = page(client, "/help/facilitators", language)
    assert 'href="/help/organizers"' in text
    assert ".md" not in re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)


def test_a_language_with_no_guide_falls_back_to_italian():
    assert guide_language("organizers", "en") == "en"
    assert guide_language("organizers", "fr") == "it"


def test_an_unknown_guide_is_not_found(client):
    client.set_cookie("tavoli_lang", "en")
    response = client.get("/help/secrets")
    assert response.status_code == 404
    assert client.get("/help/..%2Fsecurity").status_code == 404


def test_every_picture_the_guides_name_exists_and_every_picture_is_named_by_a_guide():
    named = set()
    for guide in GUIDES:
        for language in LANGUAGES:
            path = GUIDES_DIR / f"{guide}.{language}.md"
            text = path.read_text(encoding="utf-8")
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text):
                assert (path.parent / target).resolve().is_file(), f"{path.name} points at a missing {target}"
            named |= image_names(text)
    on_disk = {picture.name for picture in PICTURES.glob("*.png")}
    assert named == on_disk, (named - on_disk, on_disk - named)


def test_the_pictures_stay_small():
    sizes = {picture.name: picture.stat().st_size for picture in PICTURES.glob("*.png")}
    assert sizes and max(sizes.values()) < 150_000, sorted(sizes.items(), key=lambda item: -item[1])[:3]


@pytest.mark.parametrize("role, home", [(Role.ORGANIZER, "/organize/"), (Role.FACILITATOR, "/facilitate/")])
def test_organizer_and_facilitator_pages_link_to_the_help(world, client, role, home):
    account = world.account(email=f"{role.value}@example.org", role=role)
    login(client, account.email)
    client.set_cookie("tavoli_lang", "en")
    text = client.get(home).get_data(as_text=True)
    header = text[text.index('<header class="topbar">'):text.index("</header>")]
    assert 'href="/help/"' in header
