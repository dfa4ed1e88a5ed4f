"""A small version of ``bench/load.py`` in the suite: 8 concurrent uploads and 20 catalogue
readers against a live server and the real worker. No timing assertion: everything must be
processed and no request may fail (the figures are printed in the run's summary)."""

import secrets

import pytest
from rest_framework.authtoken.models import Token

from bench.load import CATALOGUE_QUERIES, report, run_load, zip_dataset
from curation import roles
from curation.models import Submission
from curation.models import SubmissionState as S
from curation.services import user_create
from tests.reliability.conftest import tried

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

UPLOADS, READERS = 8, 20
# How long the uploads may take before the test calls it a hang. Generous on purpose: this test
# says nothing about speed (bench/load.py prints the figures), only that nothing is lost.
HANG_GUARD_S = 1800


def test_concurrent_uploads_and_readers_lose_nothing(
    celery_worker, live_server, lab, tmp_path, v30_dataset, settings
):
    settings.UPLOAD_RATE_LIMIT = "100000/m"
    archive = zip_dataset(v30_dataset, tmp_path / "pick_place.zip")
    tokens = [
        Token.objects.create(
            user=user_create(
                username=f"uploader-{i}",
                password=secrets.token_urlsafe(12),
                roles=[roles.LAB_MEMBER],
                lab=lab,
            )
        ).key
        for i in range(UPLOADS)
    ]
    # The catalogue is empty here: page 3 does not exist (a 404 the bench never sees).
    queries = [q for q in CATALOGUE_QUERIES if "page=" not in q]
    figures = run_load(live_server.url, tokens, lab.slug, archive, READERS, HANG_GUARD_S, queries)
    summary = report(figures, UPLOADS, READERS)
    print("\n" + summary)
    if figures.errors.get("processing"):
        pytest.fail(f"hang: uploads still unprocessed after {HANG_GUARD_S} s\n{summary}")
    assert figures.error_count() == 0, summary
    assert len(figures.outcomes) == UPLOADS, summary
    assert Submission.objects.count() == UPLOADS
    states = set(Submission.objects.values_list("state", "last_error"))
    assert {state for state, _ in states} == {S.READY_FOR_REVIEW}, states
    assert all(p["validation_outcome"] in ("passed", "warnings") for p in figures.outcomes.values())
    assert figures.latencies["catalogue api"] and figures.latencies["catalogue page"]
    tried("load (small, in the suite)", summary.replace("\n", " | "))
