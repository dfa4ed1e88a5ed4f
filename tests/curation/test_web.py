"""Pages and API through Django's test client: permissions as a role x action matrix, CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from curation import roles
from curation.models import AuditEvent
from curation.models import SubmissionState as S
from curation.services import user_create, workflow
from tests.conftest import PASSWORD
from tests.curation.conftest import to_ready

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "outsider", "curator", "researcher"]


@pytest.fixture
def clients(lab_member, other_lab_member, curator, researcher):
    result = {"anonymous": Client()}
    for name, user in (
        ("member", lab_member),
        ("outsider", other_lab_member),
        ("curator", curator),
        ("researcher", researcher),
    ):
        client = Client()
        client.force_login(user)
        result[name] = client
    return result


# Who may see a submission page while it is unpublished: its lab and curators.
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("member", 200),
        ("outsider", 404),
        ("curator", 200),
        ("researcher", 404),
    ],
)
def test_view_unpublished_submission(clients, draft, role, expected):
    assert (
        clients[role].get(reverse("curation:submission", args=[draft.pk])).status_code == expected
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 404),
        ("member", 200),
        ("outsider", 404),
        ("curator", 200),
        ("researcher", 404),
    ],
)
def test_api_view_unpublished_submission(clients, draft, role, expected):
    response = clients[role].get(reverse("curation:api_submission", args=[draft.pk]))
    assert response.status_code == expected


# Review actions: only curators (and not of their own lab) move the state.
# action -> (the state it leads to, the decision named in the submitter's email or None)
REVIEW_OUTCOMES = {
    "claim": (S.IN_REVIEW, None),
    "approve": (S.APPROVED, "approved"),
    "request_changes": (S.CHANGES_REQUESTED, "changes requested"),
    "reject": (S.REJECTED, "rejected"),
}


def review_action(clients, role, submission, action, channel):
    if channel == "web":
        return clients[role].post(
            reverse("curation:submission_action", args=[submission.pk, action]),
            {"reason": "because"},
        )
    return clients[role].post(
        reverse("curation:api_action", args=[submission.pk, action]),
        {"reason": "because"},
        content_type="application/json",
    )


def assert_review_outcome(submission, action, curator, lab_member, outbox, audit_before):
    """The exact state, one audit row saying who did what, and the submitter's email."""
    target, decision = REVIEW_OUTCOMES[action]
    submission.refresh_from_db()
    assert submission.state == target
    assert submission.reviewer == curator
    [event] = AuditEvent.objects.filter(submission=submission).exclude(pk__in=audit_before)
    assert (event.action, event.old_state, event.new_state) == (action, S.READY_FOR_REVIEW, target)
    assert event.actor == curator
    assert event.reason == ("" if action == "claim" else "because")
    if decision is None:
        assert outbox == []
        return
    [mail] = outbox
    assert mail.to == [lab_member.email]
    assert mail.subject.endswith(f"v{submission.version}: {decision}")
    assert f"was {decision}." in mail.body
    assert "Reason:\nbecause" in mail.body


def assert_nothing_happened(submission, outbox, audit_before, state=S.READY_FOR_REVIEW):
    submission.refresh_from_db()
    assert submission.state == state
    assert submission.reviewer is None
    assert set(AuditEvent.objects.filter(submission=submission).values_list("pk", flat=True)) == (
        audit_before
    )
    assert outbox == []


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(REVIEW_OUTCOMES))
def test_review_actions_matrix(
    clients,
    ready,
    role,
    action,
    channel,
    curator,
    lab_member,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    lab_member.email = "member@lab.example"
    lab_member.save()
    audit_before = set(AuditEvent.objects.filter(submission=ready).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):  # the email is sent on commit
        response = review_action(clients, role, ready, action, channel)
    if role == "curator":
        if channel == "web":
            assert response.status_code == 302
            assert response["Location"] == reverse("curation:submission", args=[ready.pk])
        else:
            assert response.status_code == 200, response.content
            assert response.json()["state"] == REVIEW_OUTCOMES[action][0]
        assert_review_outcome(ready, action, curator, lab_member, mailoutbox, audit_before)
    else:
        if channel == "web":
            assert response.status_code in (302, 403, 404)
            if role == "anonymous":
                assert "/accounts/login/" in response["Location"]
        else:
            assert response.status_code in (401, 403, 404)
        assert_nothing_happened(ready, mailoutbox, audit_before)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("member", True),
        ("outsider", False),
        ("curator", False),
        ("researcher", False),
    ],
)
def test_upload_matrix_api(clients, draft, role, allowed):
    response = clients[role].post(
        reverse("curation:api_upload_create", args=[draft.pk]),
        {"kind": "file", "path": "README.md", "size": 3},
        content_type="application/json",
    )
    assert (response.status_code == 201) is allowed, response.content


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("member", True),
        ("outsider", False),
        ("curator", False),
        ("researcher", False),
    ],
)
def test_submit_matrix_web(clients, draft, role, allowed):
    clients[role].post(reverse("curation:submission_action", args=[draft.pk, "submit"]))
    draft.refresh_from_db()
    assert (draft.state == S.VALIDATING) is allowed


def test_review_queue_only_for_curators(clients, ready):
    assert clients["curator"].get(reverse("curation:review_queue")).status_code == 200
    for role in ("member", "outsider", "researcher"):
        assert clients[role].get(reverse("curation:review_queue")).status_code == 403
    assert clients["anonymous"].get(reverse("curation:review_queue")).status_code == 302
    assert clients["member"].get(reverse("curation:api_review_queue")).status_code == 403


def test_review_queue_filters(clients, ready, lab_member, other_lab, other_lab_member):
    other = workflow.submission_create(user=other_lab_member, lab=other_lab, title="Mobile")
    from tests.curation.conftest import add_file

    add_file(other, other_lab_member)
    to_ready(other, other_lab_member, errors=1)
    api = clients["curator"]

    def ids(**q):
        return [r["id"] for r in api.get(reverse("curation:api_review_queue"), q).json()["results"]]

    # A failed validation went back to its lab: never in the queue, under any filter.
    assert set(ids()) == {ready.pk}
    assert ids(lab="other-lab") == []
    assert ids(outcome="failed") == []
    assert ids(outcome="passed") == [ready.pk]
    assert ids(age="7d") == []
    page = api.get(reverse("curation:review_queue"), {"lab": "manipulation-lab"})
    assert b"Pick and place" in page.content and b"Mobile" not in page.content


def test_csrf_is_enforced_on_forms_and_session_api(lab_member, ready, curator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    response = client.post(reverse("curation:submission_action", args=[ready.pk, "claim"]))
    assert response.status_code == 403
    response = client.post(reverse("curation:api_action", args=[ready.pk, "claim"]))
    assert response.status_code == 403
    ready.refresh_from_db()
    assert ready.state == S.READY_FOR_REVIEW
    page = client.get(reverse("curation:submission", args=[ready.pk]))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("curation:submission_action", args=[ready.pk, "claim"]),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.state == S.IN_REVIEW


def test_token_auth_for_scripts_needs_no_csrf(lab_member, lab):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=lab_member)
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    response = client.post(
        reverse("curation:api_submissions"),
        {"lab": lab.slug, "title": "Scripted"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    content = b'{"codebase_version": "v3.0"}'
    start = client.post(
        reverse("curation:api_upload_create", args=[pk]),
        {"kind": "file", "path": "meta/info.json", "size": len(content)},
        content_type="application/json",
        **auth,
    ).json()
    # Resumable: first half, ask for the offset, then the rest.
    r = client.patch(
        start["url"],
        content[:10],
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
        **auth,
    )
    assert r.status_code == 200 and r["Upload-Offset"] == "10"
    r = client.patch(
        start["url"],
        content[5:],
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="5",
        **auth,
    )
    assert r.status_code == 409 and r.json()["offset"] == 10
    assert client.get(start["url"], **auth)["Upload-Offset"] == "10"
    r = client.patch(
        start["url"],
        content[10:],
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="10",
        **auth,
    )
    assert r.json()["completed_at"]
    files = client.get(reverse("curation:api_files", args=[pk]), **auth).json()["results"]
    assert [f["path"] for f in files] == ["meta/info.json"]


def test_request_changes_reason_is_shown_to_the_submitter(clients, ready):
    missing = clients["curator"].post(
        reverse("curation:api_action", args=[ready.pk, "reject"]),
        {"reason": ""},
        content_type="application/json",
    )
    assert missing.status_code == 409 and "reason is required" in missing.json()["detail"]
    clients["curator"].post(
        reverse("curation:submission_action", args=[ready.pk, "request_changes"]),
        {"reason": "Episode 3 has no frames"},
    )
    page = clients["member"].get(reverse("curation:submission", args=[ready.pk])).content.decode()
    assert "Changes requested" in page and "Episode 3 has no frames" in page


def test_status_endpoint_and_report(clients, ready):
    status = clients["member"].get(reverse("curation:submission_status", args=[ready.pk])).json()
    assert status["state"] == "ready_for_review" and status["finished"] is True
    report = clients["member"].get(reverse("curation:api_report", args=[ready.pk])).json()
    assert report["summary"]["episodes"] == 2
    page = clients["member"].get(reverse("curation:submission", args=[ready.pk])).content.decode()
    assert "Validation report" in page and "Passed" in page


def test_report_groups_findings_by_severity(clients, draft, lab_member):
    to_ready(draft, lab_member, errors=1, warnings=2)
    page = clients["member"].get(reverse("curation:submission", args=[draft.pk])).content.decode()
    assert page.index("Errors (1)") < page.index("Warnings (2)")
    assert "data/x" in page  # the location


def test_own_lab_curator_cannot_review_own_submission(ready, lab):
    both = user_create(
        username="both", password=PASSWORD, lab=lab, roles=[roles.CURATOR, roles.LAB_MEMBER]
    )
    client = Client()
    client.force_login(both)
    assert (
        client.post(reverse("curation:submission_action", args=[ready.pk, "approve"])).status_code
        == 403
    )


def test_api_schema_lists_curation_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for p in (
        "/api/curation/submissions/",
        "/api/curation/uploads/{token}/",
        "/api/curation/submissions/{id}/report/",
        "/api/curation/catalogue/",
        "/api/curation/review-queue/",
        "/api/curation/submissions/{id}/{action}/",
    ):
        assert any(k.replace("{pk}", "{id}") == p for k in paths), p


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert "/api/curation/uploads/{token}/" in (tmp_path / "s.yaml").read_text()


def test_remove_a_file_through_the_api_only_while_editable(clients, draft, lab_member):
    url = reverse("curation:api_files", args=[draft.pk])
    assert clients["outsider"].delete(url + "?path=meta/info.json").status_code == 404
    assert clients["member"].delete(url + "?path=nope.json").status_code == 404
    assert clients["member"].delete(url + "?path=meta/info.json").status_code == 204
    assert not draft.files.exists()
    assert draft.audit_events.filter(action="remove_file").exists()


def test_files_cannot_be_removed_once_submitted(clients, ready):
    url = reverse("curation:api_files", args=[ready.pk])
    response = clients["member"].delete(url + "?path=meta/info.json")
    assert response.status_code == 400 and "locked" in response.json()["detail"]
    assert ready.files.count() == 1


def test_assign_and_withdraw_through_the_web(clients, ready, draft, lab_member):
    second = user_create(username="second-curator", password=PASSWORD, roles=[roles.CURATOR])
    page = clients["curator"].get(reverse("curation:submission", args=[ready.pk])).content.decode()
    assert f'<option value="{second.pk}">second-curator</option>' in page
    clients["curator"].post(
        reverse("curation:submission_action", args=[ready.pk, "assign"]), {"reviewer": second.pk}
    )
    ready.refresh_from_db()
    assert (ready.state, ready.reviewer) == (S.IN_REVIEW, second)
    assert ready.audit_events.get(action="assign").extra == {"reviewer": "second-curator"}
    # The lab can take back a submission nobody is reviewing yet.
    other = workflow.submission_create(user=lab_member, lab=draft.dataset.lab, title="Oops")
    clients["member"].post(reverse("curation:submission_action", args=[other.pk, "withdraw"]))
    other.refresh_from_db()
    assert other.state == S.WITHDRAWN


# --- a dataset whose validation failed cannot be approved, through any channel --------------------


@pytest.mark.parametrize("channel", ["web", "api"])
def test_approval_is_refused_when_validation_failed(
    clients, draft, lab_member, channel, mailoutbox, django_capture_on_commit_callbacks
):
    from curation.models import DatasetIndex, ValidationOutcome

    lab_member.email = "member@lab.example"
    lab_member.save()
    failed = to_ready(draft, lab_member, errors=2)
    assert failed.validation_outcome == ValidationOutcome.FAILED
    audit_before = set(AuditEvent.objects.filter(submission=failed).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = review_action(clients, "curator", failed, "approve", channel)
    if channel == "web":
        # Back to the page, which says why.
        assert response.status_code == 302
        page = clients["curator"].get(response["Location"])
        assert "a dataset with validation errors cannot be approved" in page.content.decode()
        # Returned to the lab: the page says so, and why it cannot be approved.
        assert 'id="returned-notice"' in page.content.decode()
        assert "a dataset with errors cannot be approved" in page.content.decode()
    else:
        assert response.status_code == 409
        assert response.json() == {
            "detail": "a dataset with validation errors cannot be approved (validation: failed)",
            "state": S.RETURNED,
        }
    assert_nothing_happened(failed, mailoutbox, audit_before, state=S.RETURNED)
    assert not DatasetIndex.objects.filter(submission=failed).exists()
