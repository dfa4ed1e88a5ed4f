"""Who sees what, for the findings of issue 19 that concern reading: inference runs (M1), and
private pages' caching headers (Info). Extends the authorization matrix of ``test_security.py``
with inference runs: every role x (web list, web page, API list, API detail)."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import InferenceRun, Policy
from curation.models import SubmissionState as S
from tests.reliability.test_security import people, submission_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "submitter", "curator", "outsider", "researcher"]
SEES_UNPUBLISHED = {"member", "submitter", "curator"}


def _run(submission=None, path="") -> InferenceRun:
    policy, _ = Policy.objects.get_or_create(name="tiny", defaults={"path": "/models/tiny"})
    return InferenceRun.objects.create(
        dataset_version_id=submission.pk if submission else None,
        dataset_path=path,
        policy=policy,
        status=InferenceRun.Status.OK,
        report={"tasks": ["secret task of lab A"]},
    )


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _sees(client, run) -> dict[str, bool]:
    web_list = client.get(reverse("inference-runs"))
    web_page = client.get(reverse("inference-run", args=[run.pk]))
    api_list = client.get("/api/inference/runs/")
    api_detail = client.get(f"/api/inference/runs/{run.pk}/")
    listed = api_list.status_code == 200 and any(
        r["id"] == run.pk for r in (api_list.json().get("results", api_list.json()))
    )
    return {
        "web list": f'href="/inference/runs/{run.pk}/"' in web_list.content.decode(),
        "web page": web_page.status_code == 200,
        "api list": listed,
        "api detail": api_detail.status_code == 200,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", [S.DRAFT, S.READY_FOR_REVIEW, S.APPROVED])
def test_inference_runs_follow_the_submission_visibility_rule(people, lab, role, state):  # noqa: F811
    run = _run(submission_in(state, people, lab))
    seen = _sees(_client(people[role]), run)
    # Every inference page asks to log in first; then the submission's own rule applies.
    expected = role != "anonymous" and (state == S.APPROVED or role in SEES_UNPUBLISHED)
    assert seen == dict.fromkeys(seen, expected), (role, state, seen)


@pytest.mark.parametrize("role", ["member", "outsider", "researcher", "curator"])
def test_runs_on_server_folders_are_for_curators_only(people, role):  # noqa: F811
    run = _run(path="/srv/datasets/lab-a/unreleased")
    seen = _sees(_client(people[role]), run)
    assert seen == dict.fromkeys(seen, role == "curator"), (role, seen)


def test_private_pages_are_never_stored_but_public_ones_may_be(people, lab):  # noqa: F811
    submission = submission_in(S.APPROVED, people, lab)
    member = _client(people["member"])
    for url in (
        reverse("curation:my_submissions"),
        reverse("curation:submission", args=[submission.pk]),
        reverse("inference-runs"),
        reverse("curation:api_submissions"),
    ):
        response = member.get(url)
        assert response.status_code == 200, url
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, (url, cache_control)
    public = Client().get(reverse("curation:catalogue"))
    assert "no-store" not in public.get("Cache-Control", "")


SUPERSCRIPT_TWO = "\u00b2"  # passes str.isdigit(), fails int()


def test_non_ascii_digits_in_queries_are_a_400_or_ignored_never_a_500(people, lab):  # noqa: F811
    """Low: about ten routes answered 500 to ``?x=²``. Numbers are now read in one place
    (``config.params``): a 400 naming the parameter, or, for a facet, simply no match."""
    submission = submission_in(S.APPROVED, people, lab)
    dataset = submission.dataset
    client = Client(raise_request_exception=False)
    client.force_login(people["curator"])
    two = SUPERSCRIPT_TWO
    urls = [
        f"/datasets/?cameras={two}",
        f"/datasets/?episodes_min={two}",
        f"/datasets/{dataset.lab.slug}/{dataset.slug}/?episode={two}",
        f"/growth/?snapshot={two}",
        f"/growth/export/categories.csv?snapshot={two}",
        f"/growth/api/charts/categories/?snapshot={two}",
        f"/growth/api/categories/?snapshot={two}",
        f"/growth/api/categories/?year={two}",
        f"/api/inference/runs/?dataset_version_id={two}",
        f"/inference/?page={two}",
        f"/api/curation/catalogue/?cameras={two}",
    ]
    codes = {url: client.get(url).status_code for url in urls}
    assert all(code < 500 for code in codes.values()), codes
    page = client.get(f"/datasets/{dataset.lab.slug}/{dataset.slug}/?episode={two}")
    assert page.status_code == 400 and "episode must be a whole number" in page.content.decode()
    api = client.get(f"/growth/api/categories/?snapshot={two}")
    assert api.status_code == 400 and api.json()["parameter"] == "snapshot"


def _ready_with_title(people, lab, title):  # noqa: F811
    from django.db import transaction

    from curation.services import workflow
    from tests.curation.conftest import add_file, report_dict

    by = people["submitter"]
    by.email = "submitter@example.org"
    by.save()
    submission = workflow.submission_create(user=by, lab=lab, title=title)
    add_file(submission, by)
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=by)
    workflow.submission_validation_finished(submission_id=submission.pk, report=report_dict())
    return submission


def test_a_newline_in_a_title_neither_breaks_a_decision_nor_reaches_a_header(
    people,  # noqa: F811
    lab,
    django_capture_on_commit_callbacks,
):
    """Low: a title with a newline made approve/reject/request-changes answer 500 after the
    decision had committed, and the email was lost."""
    from django.core import mail

    submission = _ready_with_title(people, lab, "Pick\r\nBcc: victim@example.org\nand place")
    curator = Client(raise_request_exception=False)
    curator.force_login(people["curator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = curator.post(
            reverse("curation:submission_action", args=[submission.pk, "approve"]), {}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0].message()
    assert "\n" not in message["Subject"] and message["Bcc"] is None
    assert "Pick Bcc: victim@example.org and place" in message["Subject"]


def test_a_failed_email_is_queued_for_retry_and_the_decision_stands(
    people,  # noqa: F811
    lab,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from curation.services import workflow
    from curation.tasks import send_decision_email

    queued = []
    monkeypatch.setattr(
        workflow, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError("mail server down"))
    )
    monkeypatch.setattr(send_decision_email, "apply_async", lambda **kw: queued.append(kw))
    submission = _ready_with_title(people, lab, "Plain title")
    curator = Client(raise_request_exception=False)
    curator.force_login(people["curator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = curator.post(
            reverse("curation:submission_action", args=[submission.pk, "reject"]),
            {"reason": "not a dataset"},
        )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == S.REJECTED
    assert queued and queued[0]["args"] == [submission.pk, "rejected", "not a dataset"]


CAMERA = "observation.images.wrist"


def _tiny_mp4(width=64, height=48) -> bytes:
    import io

    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    # Previews are cached by content, across runs too: a few trailing bytes (ignored by
    # decoders) make this run's videos new.
    return buffer.getvalue() + uuid.uuid4().bytes


def _with_video(people, lab, content: bytes, title: str):  # noqa: F811
    from curation.services import workflow
    from tests.curation.conftest import add_file

    member = people["member"]
    submission = workflow.submission_create(user=member, lab=lab, title=title)
    add_file(submission, member, path=f"videos/{CAMERA}/chunk-000/file-000.mp4", content=content)
    return submission


@pytest.fixture
def decoder_runs(monkeypatch):
    from curation import datapage

    runs = []
    real = datapage.subprocess.run

    def counting(*args, **kwargs):
        runs.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(datapage.subprocess, "run", counting)
    return runs


def test_failed_previews_are_cached_and_decoding_is_rate_limited(
    people,  # noqa: F811
    lab,
    settings,
    decoder_runs,
):
    """M5: every request for a video that cannot be decoded started a decoder again."""
    settings.PREVIEW_RATE_LIMIT = "2/d"  # a day-long window: no window boundary mid-test
    client = Client()
    client.force_login(people["member"])
    broken = [
        _with_video(people, lab, b"not a video " + uuid.uuid4().bytes * 64, f"Broken {i}")
        for i in range(3)
    ]
    url = [reverse("curation:camera_preview", args=[s.pk, CAMERA]) for s in broken]
    first = client.get(url[0])
    again = client.get(url[0])
    assert first.status_code == again.status_code == 404
    assert again.content == first.content and b"could not decode" in again.content
    assert len(decoder_runs) == 1  # the failure came from the cache
    assert client.get(url[1]).status_code == 404  # the second decoder run today
    busy = client.get(url[2])
    assert busy.status_code == 429 and busy["Retry-After"] == "60"
    assert len(decoder_runs) == 2


def test_previews_refuse_frames_above_the_declared_size_limit(
    people,  # noqa: F811
    lab,
    monkeypatch,
):
    client = Client()
    client.force_login(people["member"])
    fine = _with_video(people, lab, _tiny_mp4(), "Fine camera")
    response = client.get(reverse("curation:camera_preview", args=[fine.pk, CAMERA]))
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")

    monkeypatch.setenv("PREVIEW_MAX_PIXELS", "1000")  # read by the decoder process
    big = _with_video(people, lab, _tiny_mp4(96, 64), "Big camera")
    response = client.get(reverse("curation:camera_preview", args=[big.pk, CAMERA]))
    assert response.status_code == 404
    assert b"declares 96x64 frames, above the preview limit of 1000 pixels" in response.content
