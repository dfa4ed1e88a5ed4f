"""The reuse pages in a real browser (Debian's Chromium through Playwright)."""

import os

import pytest
from django.db import connections

from growth.reuse.services import reuse_metrics_store
from tests.growth.reuse_snapshots import table
from tests.growth.test_reuse_store import D1, DAY, history_rows

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed"),
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
    # are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page()
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection; close it
            # here, or it would still be open when the test database is dropped.
            connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_browse_from_domains_to_a_dataset_citing_models(live_server, page):
    t = table(history_rows())
    reuse_metrics_store(DAY, t)
    reuse_metrics_store(D1, t)

    page.goto(f"{live_server.url}/growth/reuse/")
    # Columns: hub (every repo) first, then the domains.
    robotics_total = page.locator("tr", has_text="Downloads (all time)").locator("td").nth(1)
    assert robotics_total.inner_text() == "2,805"
    assert page.get_by_text("Gini coefficient of downloadsAllTime").is_visible()

    page.select_option("#reuse-date", DAY.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/growth/reuse/?date={DAY.isoformat()}")
    assert robotics_total.inner_text() == "1,405"

    page.get_by_role("link", name="robotics", exact=True).click()
    page.wait_for_url("**/growth/reuse/domains/robotics/**")
    assert page.get_by_role("heading", name="Concentration over time").is_visible()
    # Chart.js draws the stored snapshots (two dates) with axes and a legend, from local files.
    page.wait_for_function("document.getElementById('reuse-concentration').chart !== undefined")
    points = page.evaluate(
        "document.getElementById('reuse-concentration').chart.data.labels.length"
    )
    assert points == 2
    assert (
        page.evaluate(
            "document.getElementById('reuse-concentration').chart.options.scales.y.title.text"
        )
        == "percent"
    )
    page.get_by_role("link", name="alice/pick").click()
    page.wait_for_url(f"**/growth/reuse/datasets/alice/pick/?date={DAY.isoformat()}")
    models = page.locator(".reuse-citations tbody tr")
    assert models.count() == 2  # alice/ft and bob/q, most downloaded first
    assert models.first.locator("td").first.inner_text() == "alice/ft"
    assert "same author" in models.first.inner_text()
    assert page.get_by_role("link", name="bob/q").get_attribute("href") == (
        "https://huggingface.co/bob/q"
    )
