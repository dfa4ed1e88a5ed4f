"""The charts really draw in a browser (Debian's Chromium through Playwright), from local files."""

import pytest

from growth import services
from growth.core.simulate import simulate


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_chart_draws_without_errors(live_server, tmp_path):
    path = tmp_path / "hub.parquet"
    simulate(str(path), models=2000, datasets=1000, seed=2, snapshots=2)
    services.import_snapshot_file(path)
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

    external = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "request",
                lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
            )
            page.goto(f"{live_server.url}/growth/d/robotics/?period=quarter")
            drawn = page.evaluate(
                """() => ['creations', 'yoy', 'share', 'ranks', 'subdomains', 'downloads']
                     .map((id) => {
                       const chart = document.getElementById('chart-' + id).chart;
                       return chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
                     })"""
            )
            banner = page.locator("[data-simulated=true]").inner_text()
        finally:
            browser.close()
    assert errors == []
    assert all(points > 0 for points in drawn), drawn
    assert "Simulated data" in banner
    assert external == []  # no CDN, nothing fetched from elsewhere
