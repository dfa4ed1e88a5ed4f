"""Stored XSS and the Content-Security-Policy, in real Chromium against a live server (issue 19, H1).

An attacker with an ordinary lab account controls text that reaches ``last_error``: the name of an
archive member is quoted in the archive's refusal. That text is shown to curators and admins; it
must stay text. The CSP must be on every HTML page, forbid inline script, and our own pages must
run without a single violation.
"""

import io
import re
import zipfile
from unittest import mock

import pytest
from django.db import transaction

from curation.models import Submission
from curation.services import pipeline, workflow
from curation.services.uploads import upload_append, upload_start
from tests.curation.test_browser import browser, login  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Closes the JSON <script> block and opens a real one, as the attacker's archive member did.
XSS = "</script><script>window.__xss = 'ran'</script>"


def _hostile_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta/info.json", b"{}")
        archive.writestr(f"meta/{XSS}.json", b"{}")
    return buffer.getvalue()


def _failed_upload_by_attacker(lab, lab_member) -> Submission:
    """The attacker uploads the archive and submits; the real pipeline refuses it, quoting the name."""
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Innocent")
    data = _hostile_archive()
    session = upload_start(
        submission=submission, user=lab_member, kind="archive", path="a.zip", size=len(data)
    )
    upload_append(
        token=session.token, user=lab_member, offset=0, stream=io.BytesIO(data), length=len(data)
    )
    # The pipeline step runs below, in this process: no message, so no session worker races it.
    with mock.patch("curation.tasks.run_pipeline.apply_async"), transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=lab_member)
    submission.refresh_from_db()
    pipeline.pipeline_run(submission.pk, submission.pipeline_run)  # what the worker runs
    submission.refresh_from_db()
    assert submission.state == "draft", submission.state  # back to the lab, with the reason
    assert "</script>" in submission.last_error  # the hostile text really is stored
    return submission


def _violations(page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return messages


def test_attacker_text_in_last_error_never_runs_in_a_curators_browser(
    live_server,
    lab,
    lab_member,
    curator,
    browser,  # noqa: F811
):
    submission = _failed_upload_by_attacker(lab, lab_member)
    page = login(browser, live_server, curator.username)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    assert page.evaluate("window.__xss") is None  # the attacker's script did not run
    # ... and the text is shown as text, in the notice and in the page's status data.
    assert XSS in page.inner_text("#last-error")
    status = page.evaluate("JSON.parse(document.getElementById('status-json').textContent)")
    assert XSS in status["last_error"]


def test_every_page_has_a_csp_without_inline_script_and_our_pages_break_none_of_it(
    live_server,
    lab,
    lab_member,
    curator,
    django_user_model,
    browser,  # noqa: F811
):
    from playwright.sync_api import expect

    submission = _failed_upload_by_attacker(lab, lab_member)
    django_user_model.objects.create_superuser("root", "root@example.org", "pw-root-123")
    admin_page = browser.new_context().new_page()
    admin_page.goto(f"{live_server.url}/admin/login/")
    admin_page.fill("input[name=username]", "root")
    admin_page.fill("input[name=password]", "pw-root-123")
    admin_page.click("input[type=submit]")

    page = login(browser, live_server, curator.username)
    seen = _violations(page)
    admin_seen = _violations(admin_page)
    pages = [
        "/",
        f"/submissions/{submission.pk}/",
        "/review/",
        "/datasets/",
        "/inference/",
        "/growth/",
        "/growth/reuse/",
        "/api/docs/",
        "/accounts/login/",
    ]
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 500, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0], path
        page.wait_for_load_state("load")
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/curation/submission/{submission.pk}/change/",
    ):
        response = admin_page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    assert seen == [] and admin_seen == [], seen + admin_seen

    # The policy is enforced: an inline script slipped into the page does not run ...
    page.goto(f"{live_server.url}/")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = "window.__inline = 'ran'"; document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__inline") is None
    assert any("Content Security Policy" in m for m in seen)

    # ... while our own scripts (moved out of the markup) still work: the status filter on the
    # inference page submits itself when changed.
    page.goto(f"{live_server.url}/inference/")
    page.select_option("select[name=status]", index=1)
    expect(page).to_have_url(re.compile(r"[?&]status=\w+"))
