"""The whole path in a real browser (Debian's Chromium driven by Playwright), against a live
server and a real Celery worker: upload → progress → report → changes requested → resubmit →
approve → found through a facet."""

import os
import shutil

import pytest

from tests.conftest import PASSWORD
from tests.reliability.conftest import OtherWorkersPaused

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's Chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test itself makes
    # are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def login(browser, live_server, username):
    context = browser.new_context()
    context.set_default_timeout(30_000)
    page = context.new_page()
    # Irreversible actions ask first (static/js/confirm.js): record the question, then agree.
    page.questions = []
    page.on("dialog", lambda dialog: (page.questions.append(dialog.message), dialog.accept()))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    return page


def test_upload_review_resubmit_approve_and_find(
    live_server, celery_worker, lab_member, curator, researcher, tmp_path, v30_dataset, browser
):
    # ``browser`` comes last on purpose: fixtures set up inside Playwright's context would get
    # their own database connection (another context), which nothing closes afterwards.
    from playwright.sync_api import expect

    from tests.curation.test_uploads import zip_of_folder

    archive = zip_of_folder(v30_dataset, tmp_path / "pick_place.zip", wrapper="pick_place/")

    # A lab member creates a draft, uploads the archive in chunks and submits it.
    member = login(browser, live_server, lab_member.username)
    member.click("text=My submissions")
    member.click("text=Upload a new dataset")
    member.fill("input[name=title]", "Browser pick and place")
    member.fill("input[name=domain]", "manipulation")
    member.click("button:has-text('Create draft')")
    submission_url = member.url
    member.set_input_files("#archive-input", str(archive))
    member.click("#upload-start")
    member.wait_for_selector("text=uploaded; it is checked and unpacked", state="attached")
    # While no worker takes validations, the page shows the queued submission's progress for
    # certain (a fast worker could otherwise finish before the page is drawn).
    with OtherWorkersPaused(queues=("validation",)):
        member.click("#action-submit")
        expect(member.locator("#progress")).to_be_visible()
        expect(member.locator("#progress-step")).to_have_text("queued")
    member.wait_for_selector("#validation-outcome", timeout=120_000)
    expect(member.locator("#report")).to_contain_text("Validation report")
    expect(member.locator("#state-badge")).to_have_text("Ready for review")

    # A curator finds it in the queue and requests changes.
    cur = login(browser, live_server, curator.username)
    cur.click("text=Review queue")
    cur.click("text=Browser pick and place v1")
    cur.fill("#reason-request_changes", "Please add a README describing the robot.")
    cur.click("#action-request_changes")
    expect(cur.locator("#state-badge")).to_have_text("Changes requested")

    # The member sees the reason, uploads the fixed dataset as a folder (file by file) and
    # resubmits.
    member.goto(submission_url)
    expect(member.locator("#changes-requested")).to_contain_text("Please add a README")
    expect(member.locator("#pinned-reason")).to_contain_text("Please add a README")
    member.fill("#comment-body", "Adding a README with the robot and the task now.")
    member.click("#comment-form button[type=submit]")
    expect(member.locator("#comment-list")).to_contain_text("Adding a README with the robot")
    fixed = tmp_path / "pick_place_fixed"
    shutil.copytree(v30_dataset, fixed)
    (fixed / "README.md").write_text("# Pick and place\n\nRecorded on an SO-101 follower arm.\n")
    member.set_input_files("#folder-input", str(fixed))
    member.click("#upload-start")
    expect(member.locator("#file-list")).to_contain_text("README.md")
    member.click("#action-resubmit")
    member.wait_for_selector("#validation-outcome", timeout=120_000)
    expect(member.locator("#state-badge")).to_have_text("Resubmitted")

    # The curator approves.
    cur.goto(submission_url)
    cur.click("#action-claim")
    cur.click("#action-approve")
    cur.wait_for_load_state()
    assert any("Publishing cannot be undone" in q for q in cur.questions), cur.questions
    expect(cur.locator("#state-badge")).to_have_text("Approved (published)")
    expect(cur.locator("#audit")).to_contain_text("request_changes")
    expect(cur.locator("#comment-list")).to_contain_text("Adding a README with the robot")

    # Anyone, logged in or not, downloads the published version as one zip.
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{live_server.url}/datasets/")
    anonymous.click("text=Browser pick and place")
    expect(anonymous.locator("#file-browser")).to_contain_text("meta/")
    with anonymous.expect_download() as download:
        anonymous.click("#download-zip")
    zipped = tmp_path / "downloaded.zip"
    download.value.save_as(zipped)
    import zipfile

    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
    assert any(n.endswith("/meta/info.json") for n in names) and any(
        n.endswith("/README.md") for n in names
    )

    # A researcher finds it through the camera facet and opens its page.
    res = login(browser, live_server, researcher.username)
    res.click("text=Datasets")
    res.click("ul[data-facet=camera] >> text=front")
    expect(res.locator(".result")).to_have_count(1)
    res.click("text=Browser pick and place")
    expect(res.locator("#card-line")).to_contain_text("2 episodes · 10 fps · 1 camera")
    expect(res.locator("#episode-histogram")).to_be_visible()


def test_approval_is_refused_in_the_browser_when_validation_failed(
    live_server, lab, lab_member, curator, browser
):
    """A failed validation goes back to the lab, never to the review queue: the curator who
    opens it anyway sees why it cannot be approved, and has no Approve button to press."""
    from unittest import mock

    from django.db import transaction
    from django.urls import reverse
    from playwright.sync_api import expect

    from curation.models import Submission, SubmissionState, ValidationOutcome
    from curation.services import workflow
    from tests.curation.conftest import add_file, report_dict

    submission = workflow.submission_create(user=lab_member, lab=lab, title="Broken by design")
    add_file(submission, lab_member)
    # The test plays the pipeline with a report of 3 errors: no worker may validate it first.
    with mock.patch("curation.tasks.run_pipeline.apply_async"), transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=lab_member)
    workflow.submission_validation_finished(
        submission_id=submission.pk, report=report_dict(errors=3)
    )

    page = login(browser, live_server, curator.username)
    page.goto(live_server.url + reverse("curation:review_queue"))
    expect(page.locator("body")).not_to_contain_text("Broken by design")
    page.goto(live_server.url + reverse("curation:submission", args=[submission.pk]))
    expect(page.locator("#validation-outcome")).to_have_text("Failed")
    expect(page.locator("#returned-notice")).to_contain_text("found 3 errors")
    expect(page.locator("#returned-notice")).to_contain_text(
        "a dataset with errors cannot be approved"
    )
    expect(page.locator("#action-approve")).to_have_count(0)
    refused = Submission.objects.get(pk=submission.pk)
    assert refused.state == SubmissionState.RETURNED
    assert refused.validation_outcome == ValidationOutcome.FAILED
    assert not refused.audit_events.filter(action="approve").exists()
