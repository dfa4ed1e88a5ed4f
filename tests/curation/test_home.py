"""The home page per role: the lab's submissions needing action, the curator's queue."""

import pytest
from django.test import Client

from curation.services import workflow
from tests.curation.conftest import to_ready

pytestmark = pytest.mark.django_db


def home_of(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get("/").content.decode()


def test_lab_member_sees_what_needs_them(draft, lab_member, curator):
    page = home_of(lab_member)
    assert 'id="lab-waiting"' in page and f"/submissions/{draft.pk}/" in page
    to_ready(draft, lab_member, errors=1)  # returned: still the lab's to fix
    assert "Returned: validation failed" in home_of(lab_member)


def test_curator_sees_the_queue(ready, curator, lab_member):
    page = home_of(curator)
    assert "1 submission awaits a decision" in page and f"/submissions/{ready.pk}/" in page
    workflow.submission_claim(submission_id=ready.pk, user=curator)
    assert "1 assigned to you" in home_of(curator)


def test_researcher_and_anonymous(researcher):
    page = home_of(researcher)
    assert 'id="waiting"' in page and "lab-waiting" not in page and "queue-count" not in page
    assert 'id="waiting"' not in home_of(None)
