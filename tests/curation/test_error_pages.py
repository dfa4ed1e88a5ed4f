"""403, 404 and 500 are pages with the site's navigation and a sentence a person can act on."""

import pytest
from django.test import Client
from django.urls import path, reverse

pytestmark = pytest.mark.django_db


def test_404_is_styled_and_explains_unpublished_datasets():
    response = Client().get("/datasets/nobody/nothing/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="error-404"' in body and 'class="site"' in body  # the site's header and footer
    assert "visible only to their lab and to curators" in body
    assert reverse("curation:catalogue") in body


def test_403_says_why_and_offers_navigation(researcher):
    client = Client()
    client.force_login(researcher)
    response = client.get(reverse("curation:review_queue"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'id="error-403"' in body and "Only curators see the review queue." in body
    assert "researcher" in body and reverse("home") in body


def boom(request):
    raise RuntimeError("boom")


from config.urls import urlpatterns as site_urlpatterns  # noqa: E402

urlpatterns = [path("boom/", boom), *site_urlpatterns]


def test_500_is_a_page_not_a_traceback(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert 'id="error-500"' in body and "Nothing you uploaded is lost" in body
    assert "boom" not in body


def test_api_maps_domain_errors_once():
    from curation.api_errors import exception_handler
    from curation.services import uploads, workflow

    cases = [
        (workflow.WorkflowError("cannot approve a submission that is draft"), 400),
        (workflow.PermissionDenied("only the lab may"), 403),
        (uploads.OffsetMismatch(1024), 409),
    ]
    for exc, code in cases:
        response = exception_handler(exc, {})
        assert response.status_code == code
        assert str(exc) in str(response.data["detail"])
    assert exception_handler(uploads.OffsetMismatch(1024), {}).data["offset"] == 1024
