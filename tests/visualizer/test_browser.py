"""The visualizer in a real browser (Debian's Chromium driven by Playwright) against a live
server, on a dataset recorded with lerobot (AV1 video, v3.0: four episodes share one mp4):
the video plays its episode's segment only, the cursor moves the charts, a click on a chart seeks
the video, a flag filter narrows the table, and the exported command lists the flagged episodes."""

import os

import pytest
from django.urls import reverse

from tests.visualizer.conftest import publish_folder
from validators.lerobot_commands import delete_episodes_command

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def browser(monkeypatch):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's Chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


def with_strict_csp(route):
    response = route.fetch()
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": STRICT_CSP}
    )


def cursor(page) -> float:
    return float(page.get_attribute("#visualizer", "data-cursor"))


def video_time(page) -> float:
    return page.evaluate("() => document.querySelector('#vis-cameras video').currentTime")


def test_video_charts_table_and_export(
    live_server, lab_member, lab, curator, frozen_dataset, browser
):
    from playwright.sync_api import expect

    submission = publish_folder(frozen_dataset, lab_member, lab, curator, title="Frozen arm")
    url = live_server.url + reverse("curation:dataset", args=[lab.slug, submission.dataset.slug])
    context = browser.new_context()
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Under a Content-Security-Policy without inline code or eval the page still works (checked
    # with selectors only: Playwright's own predicates need eval).
    strict = context.new_page()
    violations = []
    strict.on("console", lambda m: violations.append(m.text) if "Security" in m.text else None)
    strict.on("pageerror", lambda exc: violations.append(str(exc)))
    strict.route(f"{url}*", with_strict_csp)
    strict.goto(f"{url}?episode=2")
    strict.wait_for_selector("#visualizer[data-ready='2']")
    expect(strict.locator(".vis-chart canvas")).to_have_count(2)
    expect(strict.locator("#episode-table tbody tr")).to_have_count(4)
    assert violations == []
    strict.close()

    page.goto(f"{url}?episode=2")
    page.wait_for_selector("#visualizer[data-ready='2']")
    expect(page.locator("#episode-summary")).to_contain_text("30 frames")
    expect(page.locator("#episode-flags")).to_contain_text("frozen actuator")
    expect(page.locator(".vis-chart")).to_have_count(2)  # action and observation.state
    # Episode 2 is seconds 6-9 of the shared mp4: the video starts at its segment.
    page.wait_for_function("() => document.querySelector('#vis-cameras video').readyState >= 2")
    assert video_time(page) == pytest.approx(6.0, abs=0.05)

    # Playing moves the one cursor, on the charts too, and stops at the segment's end.
    page.click("#vis-play")
    page.wait_for_function(
        "() => Number(document.querySelector('#visualizer').dataset.cursor) > 0.5", timeout=20_000
    )
    chart_cursor = page.evaluate(
        "() => Chart.getChart(document.querySelector('.vis-chart canvas')).$cursor"
    )
    assert chart_cursor > 0.5
    page.wait_for_function(
        "() => document.querySelector('#vis-cameras video').paused", timeout=30_000
    )
    assert cursor(page) == pytest.approx(3.0, abs=0.1)
    assert video_time(page) <= 9.0 + 0.05  # never into episode 3's part of the file

    # A click on a chart seeks the video to that time.
    box = page.evaluate(
        """() => {
            const canvas = document.querySelector('.vis-chart canvas');
            const chart = Chart.getChart(canvas);
            return {x: chart.scales.x.getPixelForValue(0.75),
                    y: (chart.chartArea.top + chart.chartArea.bottom) / 2};
        }"""
    )
    page.locator(".vis-chart canvas").first.click(position=box)
    page.wait_for_function(
        "() => Math.abs(Number(document.querySelector('#visualizer').dataset.cursor) - 0.75) < 0.05"
    )
    page.wait_for_function(
        "() => Math.abs(document.querySelector('#vis-cameras video').currentTime - 6.75) < 0.05"
    )

    # Dataset view: every episode is shorter than the default chunk; the frozen filter narrows.
    rows = page.locator("#episode-table tbody tr")
    expect(rows).to_have_count(4)
    page.select_option("#flag-filter", "frozen")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-episode", "2")
    expect(page.locator("#table-count")).to_have_text("1 of 4 episodes shown")

    # The exported command removes exactly the flagged episodes shown.
    page.click("#select-flagged")
    command = page.locator("#delete-command")
    # ... exactly the command validators.lerobot_commands writes (test_edit_command runs it).
    expect(command).to_have_text(delete_episodes_command(submission.dataset.slug, [2]))
    assert "--operation.episode_indices='[2]'" in command.text_content()

    # A chunk size under the episode length clears "short"; "flagged" then means frozen only.
    page.select_option("#flag-filter", "*")
    expect(rows).to_have_count(4)
    page.fill("#chunk-size", "20")
    page.dispatch_event("#chunk-size", "change")
    expect(rows).to_have_count(1)

    # Another episode from the picker: its own segment of the shared file.
    page.select_option("#episode-picker", "1")
    page.wait_for_selector("#visualizer[data-ready='1']")
    page.wait_for_function(
        "() => Math.abs(document.querySelector('#vis-cameras video').currentTime - 3.0) < 0.05"
    )
    assert errors == []
    context.close()


def test_image_features_follow_the_cursor(live_server, lab_member, lab, curator, tmp_path, browser):
    """Cameras stored as images in the parquet: the canvas shows the frame under the cursor, moved
    with the time slider or played by the page's clock."""
    from validators.synthetic import make_v30_dataset

    folder = make_v30_dataset(tmp_path / "images", episodes=2, frames=20, video=False, image=True)
    submission = publish_folder(folder, lab_member, lab, curator, title="Image arm")
    url = live_server.url + reverse("curation:dataset", args=[lab.slug, submission.dataset.slug])
    page = browser.new_page()
    page.goto(f"{url}?episode=1")
    page.wait_for_selector("#visualizer[data-ready='1']")
    canvas = "canvas[data-image-feature='observation.images.front']"
    page.wait_for_function(f"() => document.querySelector(\"{canvas}\").dataset.frame === '0'")
    page.fill("#vis-scrub", "1.2")
    page.wait_for_function(f"() => document.querySelector(\"{canvas}\").dataset.frame === '12'")
    assert cursor(page) == pytest.approx(1.2, abs=0.01)
    page.click("#vis-play")  # no video: the clock plays to the end of the episode
    page.wait_for_function(f"() => document.querySelector(\"{canvas}\").dataset.frame === '19'")
