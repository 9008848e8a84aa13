"""The HTML reports (scan and access review) as a person opens them: rendered by the real command on the
simulated estate, laid out in Chromium at 1024 and 420 px. Neither page scrolls sideways, and an id (a
role assignment's or a role's GUID) is never broken in the middle."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from driftguard.cli import main
from tests.cases.conftest import ROOT
from tests.cases.test_console_browser import SCREENSHOTS, browser

__all__ = ["browser"]  # the module's Chromium, shared

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    pages = {"scan": out / "scan.html", "review": out / "review.html"}
    policy = str(ROOT / "examples" / "policy.json")
    for command, page in (("scan", pages["scan"]), ("review", pages["review"])):
        code = main(
            [command, "--simulated", "--policy", policy, "--format", "html", "--output", str(page)],
            stdin=io.StringIO(""),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert code in (0, 1), (command, code)  # 1: findings
        assert page.exists()
    return pages


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("width", [1024, 420])
@pytest.mark.parametrize("report", ["scan", "review"])
def test_a_report_never_scrolls_sideways_nor_breaks_an_id(page: Page, reports: dict[str, Path], report: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(reports[report].as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"report-{report}-{width}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"report-{report}-{width}-top.png"))
    page.locator("table").last.screenshot(path=str(SCREENSHOTS / f"report-{report}-{width}-last-table.png"))
    wide = page.evaluate(
        """(w) => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1)
             .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 60))""",
        width,
    )
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], (sizes, wide)
    # An element holding a lone GUID shows it on one line (its height is one line's).
    broken = page.evaluate(
        f"""() => Array.from(document.querySelectorAll('code, span, td')).filter(e => e.children.length === 0
               && new RegExp('^{GUID}$').test((e.textContent || '').trim()) && e.getClientRects().length > 1
               || (e.children.length === 0 && new RegExp('^{GUID}$').test((e.textContent || '').trim())
                   && e.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(e).lineHeight || '20')))
             .slice(0, 5).map(e => e.textContent)"""
    )
    assert broken == [], broken
