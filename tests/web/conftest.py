"""Browser fixtures: Debian's chromium driven by playwright, pages checked with axe-core and screenshotted.

The browser is launched once per session from /usr/bin/chromium (never `playwright install`). Every
page a test visits through :func:`Visitor.visit` gets an axe-core check (no serious or critical
violations) and a screenshot in ``artifacts/screenshots/``; every request the browser makes must stay
on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import LiveServer

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
  }));
}"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "Debian chromium is not installed (make install installs it)"
        if os.environ.get("LCGRAPH_REQUIRE_BROWSER"):  # set by `make test`: a skipped UI suite is a failure
            pytest.fail(message)
        pytest.skip(message)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Visitor:
    """Opens pages of one server in one browser context, checks each and remembers every request."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)

    def visit(self, path: str, name: str) -> None:
        """Go to ``path`` and check the page."""
        self.page.goto(self.base + path)
        self.check(name)

    def check(self, name: str) -> None:
        """Check the current page for accessibility problems and take its screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(url="/static/vendor/axe.min.js")
        violations = page.evaluate(AXE_RUN)
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: accessibility violations {bad}"


def _context(browser: Any, server: LiveServer, **options: object) -> Iterator[Visitor]:
    context = browser.new_context(**options)
    page = context.new_page()
    visitor = Visitor(page=page, base=server.url)
    page.on("request", lambda request: visitor.requests.append(request.url))
    yield visitor
    context.close()
    outside = [u for u in visitor.requests if urlparse(u).hostname not in ("127.0.0.1", None)]
    outside = [u for u in outside if not re.match(r"^(data|blob|about):", u)]
    assert not outside, f"requests left the server: {outside}"


@pytest.fixture()
def dutch(browser: Any, search_server: LiveServer) -> Iterator[Visitor]:
    """A desktop browser that prefers Dutch, on the server with search."""
    yield from _context(browser, search_server, locale="nl-NL", viewport={"width": 1280, "height": 900})


@pytest.fixture()
def english(browser: Any, search_server: LiveServer) -> Iterator[Visitor]:
    """A desktop browser that prefers English, on the server with search."""
    yield from _context(browser, search_server, locale="en-GB", viewport={"width": 1280, "height": 900})


@pytest.fixture()
def phone(browser: Any, search_server: LiveServer) -> Iterator[Visitor]:
    """A 375 px wide phone browser (Dutch), on the server with search."""
    yield from _context(
        browser,
        search_server,
        locale="nl-NL",
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
