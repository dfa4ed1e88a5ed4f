"""The conversation on a submission: both ways, audited, the other side emailed on commit, the
decision's reason first and prominent; outsiders cannot take part."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from curation.models import AuditEvent, Comment
from curation.services import comments, workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(lab_member, curator):
    lab_member.email, curator.email = "member@lab.example", "curator@platform.example"
    lab_member.save()
    curator.save()


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_request_changes_reason_is_the_first_comment_and_the_lab_replies(
    ready, lab_member, curator, emails, django_capture_on_commit_callbacks
):
    workflow.submission_request_changes(
        submission_id=ready.pk, user=curator, reason="Episode 3 has no video"
    )
    first = Comment.objects.get(submission=ready)
    assert (first.kind, first.author, first.body) == (
        "request_changes",
        curator,
        "Episode 3 has no video",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = _client(lab_member).post(
            reverse("curation:submission_comment", args=[ready.pk]),
            {"body": "Re-recorded episode 3; the camera cable was loose."},
        )
    assert reply.status_code == 302 and reply["Location"].endswith("#comments")
    assert list(ready.comments.values_list("author__username", flat=True)) == ["curator", "member"]
    # Audited, and the curator who asked (the other side) is told.
    assert AuditEvent.objects.filter(submission=ready, action="comment", actor=lab_member).exists()
    assert [m.to for m in mail.outbox] == [["curator@platform.example"]]
    assert "camera cable" in mail.outbox[0].body
    page = _client(lab_member).get(reverse("curation:submission", args=[ready.pk])).content.decode()
    pinned = page.index('id="pinned-reason"')
    assert pinned < page.index("camera cable") and "Episode 3 has no video" in page[pinned:]


def test_curator_comment_emails_the_submitter(
    ready, curator, lab_member, emails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_add(submission_id=ready.pk, user=curator, body="Which gripper is this?")
    assert [m.to for m in mail.outbox] == [["member@lab.example"]]


@pytest.mark.parametrize("who", ["other_lab_member", "researcher"])
def test_outsiders_cannot_comment(ready, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(workflow.PermissionDenied):
        comments.comment_add(submission_id=ready.pk, user=user, body="hello")
    response = _client(user).post(
        reverse("curation:submission_comment", args=[ready.pk]), {"body": "hello"}
    )
    assert response.status_code in (403, 404)
    assert not ready.comments.exists()


def test_empty_comment_is_refused_with_a_message(ready, lab_member):
    with pytest.raises(workflow.WorkflowError, match="write something"):
        comments.comment_add(submission_id=ready.pk, user=lab_member, body="   ")
    response = _client(lab_member).post(
        reverse("curation:submission_comment", args=[ready.pk]), {"body": ""}, follow=True
    )
    assert "write something" in response.content.decode()


def test_comments_api_both_ways(ready, lab_member, curator, other_lab_member):
    from rest_framework.test import APIClient

    url = reverse("curation:api_comments", args=[ready.pk])
    member = APIClient()
    member.force_authenticate(lab_member)
    created = member.post(url, {"body": "Which camera do you mean?"}, format="json")
    assert created.status_code == 201 and created.json()["author"] == "member"
    reviewer = APIClient()
    reviewer.force_authenticate(curator)
    assert reviewer.post(url, {"body": "The wrist one."}, format="json").status_code == 201
    listed = member.get(url).json()["results"]
    assert [c["body"] for c in listed] == ["Which camera do you mean?", "The wrist one."]
    outsider = APIClient()
    outsider.force_authenticate(other_lab_member)
    assert outsider.post(url, {"body": "hi"}, format="json").status_code in (403, 404)
    assert member.post(url, {"body": " "}, format="json").status_code == 400
