"""Security: every role x every action (web and API), CSRF on every form, upload rate limits, and
how stored files are served. Complements tests/curation/test_web.py (the curation helper's matrix
of review actions) with the roles and actions it does not cover.

Roles: anonymous; ``member`` (a lab member of the submission's lab, not its submitter);
``submitter`` (a curator who is also a member of the lab and submitted it); ``curator`` (another
curator); ``outsider`` (a member of another lab); ``researcher``.
"""

import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from curation import roles
from curation.models import DatasetIndex, Submission
from curation.models import SubmissionState as S
from curation.services import user_create, workflow
from tests.conftest import PASSWORD
from tests.curation.conftest import add_file, report_dict
from tests.reliability.conftest import tried

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "submitter", "curator", "outsider", "researcher"]
LAB = {"member", "submitter"}
SEES_UNPUBLISHED = {"member", "submitter", "curator"}
REVIEWERS = {"curator"}  # the submitter is a curator, but never reviews their own lab's work


@pytest.fixture
def people(lab, other_lab, curator, researcher, lab_member, other_lab_member):
    submitter = user_create(
        username="curator-member",
        password=PASSWORD,
        lab=lab,
        roles=[roles.CURATOR, roles.LAB_MEMBER],
    )
    return {
        "anonymous": None,
        "member": lab_member,
        "submitter": submitter,
        "curator": curator,
        "outsider": other_lab_member,
        "researcher": researcher,
    }


def client_for(user, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def submission_in(state: str, people, lab) -> Submission:
    """A submission by the curator-member, brought to ``state`` through the real services."""
    from django.db import transaction

    by = people["submitter"]
    submission = workflow.submission_create(user=by, lab=lab, title=f"Matrix {state}")
    add_file(submission, by)
    add_file(submission, by, path="README.md", content=b"<script>alert(1)</script>")
    if state == S.DRAFT:
        return submission
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=by)
    workflow.submission_validation_finished(submission_id=submission.pk, report=report_dict())
    if state == S.READY_FOR_REVIEW:
        return Submission.objects.get(pk=submission.pk)
    if state == S.CHANGES_REQUESTED:
        return workflow.submission_request_changes(
            submission_id=submission.pk, user=people["curator"], reason="fix it"
        )
    if state == S.APPROVED:
        return workflow.submission_approve(submission_id=submission.pk, user=people["curator"])
    raise ValueError(state)


def _state(pk):
    return Submission.objects.get(pk=pk).state


# action -> (state it needs, roles allowed, how to do it on the web, how on the API, how to tell
# it was done)
def web_action(name):
    return lambda c, s: c.post(
        reverse("curation:submission_action", args=[s.pk, name]), {"reason": "because"}
    )


def api_action(name):
    return lambda c, s: c.post(
        reverse("curation:api_action", args=[s.pk, name]),
        {"reason": "because"},
        content_type="application/json",
    )


def moved_to(action, target):
    """Done means: exactly the expected state, and one new audit row saying who did it."""

    def done(response, s):
        if _state(s.pk) != target:
            assert _state(s.pk) == s.state, f"{action} moved the state to an unexpected one"
            return False
        [event] = s.audit_events.exclude(pk__in=s.audit_before)
        assert (event.action, event.old_state, event.new_state) == (action, s.state, target)
        assert event.actor == s.actor
        return True

    return done


def web_upload(c, s):
    archive = io.BytesIO(b"PK\x05\x06" + bytes(18))  # an empty zip: the upload itself is the test
    archive.name = "dataset.zip"
    return c.post(reverse("curation:submission_archive", args=[s.pk]), {"archive": archive})


def api_upload(c, s):
    return c.post(
        reverse("curation:api_upload_create", args=[s.pk]),
        {"kind": "file", "path": "meta/stats.json", "size": 2},
        content_type="application/json",
    )


def uploaded(response, s):
    return s.uploads.count() > s.uploads_before


def ok(response, s):
    return response.status_code == 200


ACTIONS = {
    "upload": (S.DRAFT, LAB, web_upload, api_upload, uploaded),
    "view submission": (
        S.READY_FOR_REVIEW,
        SEES_UNPUBLISHED,
        lambda c, s: c.get(reverse("curation:submission", args=[s.pk])),
        lambda c, s: c.get(reverse("curation:api_submission", args=[s.pk])),
        ok,
    ),
    "view report": (
        S.READY_FOR_REVIEW,
        SEES_UNPUBLISHED,
        lambda c, s: c.get(reverse("curation:submission_status", args=[s.pk])),
        lambda c, s: c.get(reverse("curation:api_report", args=[s.pk])),
        ok,
    ),
    "download file (unpublished)": (
        S.READY_FOR_REVIEW,
        SEES_UNPUBLISHED,
        lambda c, s: c.get(reverse("curation:submission_file", args=[s.pk, "meta/info.json"])),
        lambda c, s: c.get(reverse("curation:api_file", args=[s.pk, "meta/info.json"])),
        ok,
    ),
    "download file (published)": (
        S.APPROVED,
        set(ROLES),
        lambda c, s: c.get(reverse("curation:submission_file", args=[s.pk, "meta/info.json"])),
        lambda c, s: c.get(reverse("curation:api_file", args=[s.pk, "meta/info.json"])),
        ok,
    ),
    "claim": (
        S.READY_FOR_REVIEW,
        REVIEWERS,
        web_action("claim"),
        api_action("claim"),
        moved_to("claim", S.IN_REVIEW),
    ),
    "approve": (
        S.READY_FOR_REVIEW,
        REVIEWERS,
        web_action("approve"),
        api_action("approve"),
        moved_to("approve", S.APPROVED),
    ),
    "request changes": (
        S.READY_FOR_REVIEW,
        REVIEWERS,
        web_action("request_changes"),
        api_action("request_changes"),
        moved_to("request_changes", S.CHANGES_REQUESTED),
    ),
    "reject": (
        S.READY_FOR_REVIEW,
        REVIEWERS,
        web_action("reject"),
        api_action("reject"),
        moved_to("reject", S.REJECTED),
    ),
    "withdraw": (
        S.READY_FOR_REVIEW,
        LAB,
        web_action("withdraw"),
        api_action("withdraw"),
        moved_to("withdraw", S.WITHDRAWN),
    ),
    "resubmit": (
        S.CHANGES_REQUESTED,
        LAB,
        web_action("resubmit"),
        api_action("resubmit"),
        moved_to("resubmit", S.VALIDATING),
    ),
}
CASES = [
    (action, channel, role)
    for action in ACTIONS
    for channel in ("web", "api")
    for role in ROLES
]  # fmt: skip


@pytest.mark.parametrize(("action", "channel", "role"), CASES)
def test_authorization_matrix(people, lab, action, channel, role):
    state, allowed, web, api, succeeded = ACTIONS[action]
    submission = submission_in(state, people, lab)
    submission.uploads_before = submission.uploads.count()
    submission.audit_before = set(submission.audit_events.values_list("pk", flat=True))
    submission.actor = people[role]
    response = (web if channel == "web" else api)(client_for(people[role]), submission)
    done = succeeded(response, submission)
    assert done is (role in allowed), (action, channel, role, response.status_code)
    if not done:
        # Refused plainly: login (web, anonymous), 401/403/404, or a 302 back with a message.
        assert response.status_code in (302, 401, 403, 404, 409), response.status_code
        if response.status_code == 302 and role == "anonymous":
            assert "/accounts/login/" in response["Location"]
    tried(
        "authorization matrix", f"{action} / {channel} / {role}", "allowed" if done else "refused"
    )


@pytest.mark.parametrize("role", ROLES)
def test_search_shows_published_datasets_only_to_everyone(people, lab, role):
    published = submission_in(S.APPROVED, people, lab)
    unpublished = submission_in(S.READY_FOR_REVIEW, people, lab)
    assert DatasetIndex.objects.filter(submission=published).exists()
    client = client_for(people[role])
    page = client.get(reverse("curation:catalogue"))
    api = client.get(reverse("curation:api_catalogue")).json()
    assert page.status_code == 200
    titles = {r["title"] for r in api["results"]}
    assert published.dataset.title in titles and unpublished.dataset.title not in titles
    assert unpublished.dataset.title not in page.content.decode()
    tried("authorization matrix", f"search / web+api / {role}", "published only")


# --- CSRF ----------------------------------------------------------------------------------------


def _forms(s, pk_ready):
    """Every POST form of the site (path, data) with a submission in the right state."""
    return [
        (reverse("logout"), {}),
        (reverse("curation:submission_new"), {"title": "x", "lab": "manipulation-lab"}),
        (reverse("curation:submission_import", args=[s.pk]), {"source": "hub", "ref": "a/b"}),
        (reverse("curation:submission_archive", args=[s.pk]), {}),
        (reverse("curation:submission_remove_file", args=[s.pk]), {"path": "meta/info.json"}),
        *[
            (reverse("curation:submission_action", args=[pk_ready, a]), {"reason": "r"})
            for a in ("claim", "approve", "request_changes", "reject", "withdraw")
        ],
        (reverse("curation:submission_action", args=[s.pk, "submit"]), {}),
    ]


def test_every_form_refuses_a_post_without_csrf_token(people, lab):
    draft = submission_in(S.DRAFT, people, lab)
    ready = submission_in(S.READY_FOR_REVIEW, people, lab)
    before = {draft.pk: _state(draft.pk), ready.pk: _state(ready.pk)}
    files, upload_count = draft.files.count(), draft.uploads.count()
    forms = _forms(draft, ready.pk)
    for user in (people["submitter"], people["curator"]):
        client = client_for(user, csrf=True)
        for path, data in forms:
            response = client.post(path, data)
            assert response.status_code == 403, (path, response.status_code)
            assert b"CSRF" in response.content
    # The session API too (the web uploader uses it): every unsafe method.
    client = client_for(people["submitter"], csrf=True)
    for method, path in (
        ("post", reverse("curation:api_submissions")),
        ("post", reverse("curation:api_upload_create", args=[draft.pk])),
        ("post", reverse("curation:api_action", args=[ready.pk, "withdraw"])),
        ("post", reverse("curation:api_import", args=[draft.pk])),
    ):
        response = getattr(client, method)(path, {}, content_type="application/json")
        assert response.status_code == 403 and "CSRF" in response.json()["detail"], path
    assert {draft.pk: _state(draft.pk), ready.pk: _state(ready.pk)} == before
    assert draft.files.count() == files and draft.uploads.count() == upload_count
    # Login (anonymous, so DRF's exemption does not apply) is protected as well.
    anonymous = Client(enforce_csrf_checks=True)
    login = anonymous.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert login.status_code == 403
    tried("CSRF", f"{len(forms) + 5} forms and session-API endpoints without a token", "403 each")


def test_a_form_with_the_token_goes_through(people, lab):
    ready = submission_in(S.READY_FOR_REVIEW, people, lab)
    client = client_for(people["curator"], csrf=True)
    token = client.get(reverse("curation:submission", args=[ready.pk])).cookies["csrftoken"].value
    response = client.post(
        reverse("curation:submission_action", args=[ready.pk, "claim"]),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and _state(ready.pk) == S.IN_REVIEW


# --- rate limits ---------------------------------------------------------------------------------


def _unique_rate(limit: int) -> str:
    # An hour-long window: the whole test falls inside one. Earlier runs' counts are gone because
    # every test starts from an empty cache (tests/conftest.py).
    return f"{limit}/h"


@pytest.mark.parametrize("channel", ["web", "api"])
def test_upload_starts_are_rate_limited_per_user(people, lab, settings, channel):
    settings.UPLOAD_RATE_LIMIT = _unique_rate(3)
    draft = submission_in(S.DRAFT, people, lab)
    start = web_upload if channel == "web" else api_upload
    client = client_for(people["submitter"])
    codes = [start(client, draft).status_code for _ in range(8)]
    first_refusal = next(i for i, code in enumerate(codes) if code == 429)
    assert first_refusal >= 3 and all(c != 429 for c in codes[:3]), codes
    refused = start(client, draft)
    assert refused.status_code == 429 and refused["Retry-After"]
    # Per user: another member of the lab is not affected.
    other = start(client_for(people["member"]), draft)
    assert other.status_code != 429
    tried("rate limits", f"upload starts ({channel}) at {settings.UPLOAD_RATE_LIMIT}", f"{codes}")


def test_login_is_rate_limited(people, settings):
    settings.LOGIN_RATE_LIMIT = _unique_rate(3)
    client = Client()
    codes = [
        client.post(reverse("login"), {"username": "member", "password": "wrong"}).status_code
        for _ in range(6)
    ]
    assert 429 in codes and codes[:3] == [200, 200, 200], codes
    tried("rate limits", f"login at {settings.LOGIN_RATE_LIMIT}", f"{codes}")


# --- how stored files are served -----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "api"])
def test_files_are_served_as_inert_attachments(people, lab, channel):
    published = submission_in(S.APPROVED, people, lab)
    name = "curation:submission_file" if channel == "web" else "curation:api_file"
    response = Client().get(reverse(name, args=[published.pk, "README.md"]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == b"<script>alert(1)</script>"  # stored as uploaded...
    assert response["Content-Type"] == "application/octet-stream"  # ...never served as HTML
    assert re.match(r'attachment; filename="?README\.md"?', response["Content-Disposition"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    missing = Client().get(reverse(name, args=[published.pk, "../../etc/passwd"]))
    assert missing.status_code == 404
    tried(
        "files served",
        f"README.md holding <script> ({channel})",
        "application/octet-stream, attachment, nosniff, CSP sandbox",
    )


# --- downloads and the Hub-compatible API: what a user may list is what they may download --------


def _bearer_client(user) -> Client:
    """A script: no session, the user's API token as the Hub clients send it (``HF_TOKEN``)."""
    from rest_framework.authtoken.models import Token

    if user is None:
        return Client()
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")


def _repo(s):
    return [s.dataset.lab.slug, s.dataset.slug]


DOWNLOADS = {
    "zip of a version": lambda c, s: c.get(
        reverse("curation:dataset_zip", args=[*_repo(s), "main"])
    ),
    "file browser": lambda c, s: c.get(reverse("curation:dataset_tree", args=[*_repo(s), "main"])),
    "hub resolve": lambda c, s: c.get(
        reverse("curation:hub_resolve", args=[*_repo(s), "main", "meta/info.json"])
    ),
    "hub resolve (HEAD)": lambda c, s: c.head(
        reverse("curation:hub_resolve", args=[*_repo(s), "main", "meta/info.json"])
    ),
    "hub dataset info": lambda c, s: c.get(reverse("curation:hub_dataset", args=_repo(s))),
    "hub refs": lambda c, s: c.get(reverse("curation:hub_refs", args=_repo(s))),
    "hub tree": lambda c, s: c.get(reverse("curation:hub_tree", args=[*_repo(s), "main"])),
    "hub paths-info": lambda c, s: c.post(
        reverse("curation:hub_paths_info", args=[*_repo(s), "main"]), {"paths": ["meta"]}
    ),
}
DOWNLOAD_CASES = [
    (route, state, channel, role)
    for route in DOWNLOADS
    for state in (S.READY_FOR_REVIEW, S.APPROVED)
    for channel in ("session", "token")
    for role in ROLES
]  # fmt: skip


@pytest.mark.parametrize(("route", "state", "channel", "role"), DOWNLOAD_CASES)
def test_download_and_hub_authorization_matrix(people, lab, route, state, channel, role):
    submission = submission_in(state, people, lab)
    allowed = set(ROLES) if state == S.APPROVED else SEES_UNPUBLISHED
    user = people[role]
    client = client_for(user) if channel == "session" else _bearer_client(user)
    response = DOWNLOADS[route](client, submission)
    if role in allowed:
        assert response.status_code == 200, (route, state, channel, role, response.status_code)
    else:
        # Not listed, so not there: the same 404 as a dataset that does not exist.
        assert response.status_code == 404, (route, state, channel, role, response.status_code)
        if route.startswith("hub"):
            assert response["X-Error-Code"] == "RepoNotFound"
    tried(
        "authorization matrix",
        f"{route} ({state}) / {channel} / {role}",
        "allowed" if role in allowed else "refused",
    )


@pytest.mark.parametrize("role", ROLES)
def test_hub_listing_matches_what_each_role_may_download(people, lab, role):
    published = submission_in(S.APPROVED, people, lab)
    unpublished = submission_in(S.READY_FOR_REVIEW, people, lab)
    listed = {
        d["id"] for d in _bearer_client(people[role]).get(reverse("curation:hub_datasets")).json()
    }
    expected = {f"{published.dataset.lab.slug}/{published.dataset.slug}"}
    if role in SEES_UNPUBLISHED:
        expected.add(f"{unpublished.dataset.lab.slug}/{unpublished.dataset.slug}")
    assert listed == expected
    tried("authorization matrix", f"hub list datasets / token / {role}", f"{len(listed)} listed")
