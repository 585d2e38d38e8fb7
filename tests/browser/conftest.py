"""Browser tests: the real server (tests/servers.py) driven by the system Chromium.

Chromium is Debian's /usr/bin/chromium; `playwright install` is never needed.
Every page a test opens through `pages` has its console errors and page errors
recorded; when the test fails, every open page is screenshotted and the console
logs and the server log are written under test-artifacts/.
"""

import contextlib
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers import DEFAULT_ORGANIZER, AppServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 10_000

LAPTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {
    "viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
    "is_mobile": True, "has_touch": True, "locale": "en-US",
}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": browser_type_launch_args.get("headless", True),
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run",
        ],
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def app_server(request):
    """The real server, one per test module, with the default organizer."""
    server = AppServer()
    server.start()
    failed_before = request.session.testsfailed
    yield server
    if request.session.testsfailed > failed_before:
        saved = server.save_log(ARTIFACTS / f"{_slug(request.node.nodeid)}-server.log")
        print(f"\nserver log kept at {saved}; its end:\n{server.log_tail(40)}")
    server.stop()


@pytest.fixture
def organizer():
    return DEFAULT_ORGANIZER


class Pages:
    """Browser contexts and named pages for one test, each page's console watched."""

    def __init__(self, browser):
        self.browser = browser
        self.contexts = []
        self.pages = {}  # name -> page
        self.console = []  # (page name, type, text), everything the pages logged
        self.errors = []  # (page name, text): console errors and uncaught exceptions
        self._navigations = {}  # name -> main-frame navigations (a reload counts as one more)

    def context(self, **options):
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def page(self, context, name):
        page = context.new_page()
        self.pages[name] = page

        def on_console(message):
            self.console.append((name, message.type, message.text))
            if message.type == "error":
                self.errors.append((name, f"console: {message.text} @ {message.location}"))

        def on_page_error(error):
            self.console.append((name, "pageerror", str(error)))
            self.errors.append((name, f"pageerror: {error}"))

        def on_navigated(frame):
            if frame == page.main_frame:
                self._navigations[name] = self._navigations.get(name, 0) + 1

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("framenavigated", on_navigated)
        return page

    def navigations(self, name):
        """How many documents the page has loaded: 1 unless it reloaded or moved on."""
        return self._navigations.get(name, 0)

    def assert_no_errors(self):
        assert not self.errors, "the pages reported errors:\n" + "\n".join(
            f"  [{name}] {text}" for name, text in self.errors
        )

    def save_artifacts(self, prefix):
        ARTIFACTS.mkdir(exist_ok=True)
        for name, page in self.pages.items():
            if page.is_closed():
                continue
            try:
                page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), full_page=True, timeout=5000)
            except Exception as error:  # a screenshot must not hide the real failure
                print(f"could not screenshot {name}: {error}")
            url = page.url
            self.console.append((name, "url", url))
        log = ARTIFACTS / f"{prefix}-console.log"
        log.write_text("".join(f"[{name}] {kind}: {text}\n" for name, kind, text in self.console))
        print(f"\nscreenshots and console log kept under {ARTIFACTS}/{prefix}-*")

    def close(self):
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def pages(browser, request):
    """Open contexts and pages with pages.context(**options) / pages.page(context, name)."""
    pages = Pages(browser)
    yield pages
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        pages.save_artifacts(_slug(request.node.name))
    pages.close()


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")
