"""The release heatmap in real Chromium (Playwright): drawn from local files under a strict
Content-Security-Policy (no inline script or style), filterable by sub-domain."""

import pytest

from growth import services
from growth.core.science import SCIENCE_ORGANIZATIONS
from growth.core.simulate import simulate
from growth.models import KnownOrganization

STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_heatmap_draws_under_a_strict_csp_and_filters_by_subdomain(live_server, tmp_path):
    # A transactional test's database is flushed after it, migrations' seed rows included:
    # seed the science organizations this page ranks, whatever ran before.
    for name, kind, country in SCIENCE_ORGANIZATIONS:
        KnownOrganization.objects.get_or_create(
            name=name, defaults={"kind": kind, "country": country}
        )
    path = tmp_path / "hub.parquet"
    simulate(str(path), models=6000, datasets=3000, seed=7, snapshots=1)
    services.import_snapshot_file(path)
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

    external, errors, violations = [], [], []

    def with_strict_csp(route):
        if not route.request.url.startswith(live_server.url):
            external.append(route.request.url)
            return route.abort()
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        return route.fulfill(response=response, headers=headers)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.route("**/*", with_strict_csp)
            page.goto(f"{live_server.url}/growth/heatmap/?domain=science&months=0")
            grid = page.evaluate(
                """() => {
                  const table = document.getElementById('heatmap');
                  const colours = {};
                  for (let level = 0; level <= 6; level++) {
                    const cell = table.querySelector('td.heat-' + level);
                    if (cell) colours[level] = getComputedStyle(cell).backgroundColor;
                  }
                  return {
                    rows: table.querySelectorAll('tbody tr').length,
                    columns: table.querySelectorAll('thead th.month').length,
                    colours: colours,
                    width: table.getBoundingClientRect().width,
                    firstOrg: table.querySelector('tbody th.org').textContent,
                  };
                }"""
            )
            banner = page.locator("[data-simulated=true]").inner_text()
            version = page.locator("[data-rules-version]").first.get_attribute("data-rules-version")

            page.select_option("#heatmap-domain", "science/climate")
            with page.expect_navigation():
                page.click("#heatmap-filters button[type=submit]")
            filtered_url = page.url
            filtered = page.evaluate(
                """() => Array.from(document.querySelectorAll('#heatmap tbody th.org'))
                         .map((th) => th.textContent)"""
            )
            title = page.locator("#heatmap td[data-releases]:not(.heat-0)").first.get_attribute(
                "title"
            )
        finally:
            browser.close()
    assert errors == [] and violations == [] and external == []
    assert grid["rows"] >= 5 and grid["columns"] >= 12 and grid["width"] > 300
    levels = grid["colours"]
    assert "0" in levels and "6" in levels and len(levels) >= 3  # empty, the largest, between
    assert len(set(levels.values())) == len(levels)  # every level is a different colour
    assert "Simulated data" in banner and version
    assert "domain=science%2Fclimate" in filtered_url
    assert filtered and len(filtered) < grid["rows"]
    assert "release" in title and "model" in title
