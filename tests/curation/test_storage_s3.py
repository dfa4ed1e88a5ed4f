"""Storage on a real S3-compatible HTTP server: moto's standalone server (``moto[server]``),
started by this module on 127.0.0.1 and stopped at its end. The storage is configured through the
same ``config.settings.s3_storage`` a deployment uses, with a small multipart threshold so that a
12 MiB file goes up in parts.

Covered: blobs in and out of the bucket, a large upload that is interrupted, resumed and stored as
a multipart object, downloads streamed through the web process or handed off as presigned URLs,
and one whole journey: archive upload, validation, publication, catalogue, download."""

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from types import SimpleNamespace

import boto3
import pytest
from django.db import transaction
from django.urls import reverse

from config.settings import s3_storage
from curation.models import DatasetIndex, Submission, SubmissionState
from curation.services import storage, uploads, workflow
from tests.curation.conftest import add_file

pytestmark = pytest.mark.django_db

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MiB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **CREDENTIALS},
        stdout=log,
        stderr=log,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=5).read()  # noqa: S310
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                raise RuntimeError(f"moto server did not start: {log.name}") from None
            time.sleep(0.3)
    yield endpoint
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def s3(settings, s3_endpoint, monkeypatch):
    """A fresh bucket, and the default storage pointed at it for this test."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = f"curation-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
    })  # fmt: skip
    client.create_bucket(Bucket=bucket)
    environment = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "S3_MULTIPART_THRESHOLD_BYTES": str(5 * MiB),
        "S3_MULTIPART_CHUNK_BYTES": str(5 * MiB),
    }
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(environment)}
    settings.S3_DOWNLOADS = "stream"

    def keys(prefix=""):
        listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for o in listed.get("Contents", [])]

    return SimpleNamespace(client=client, bucket=bucket, endpoint=s3_endpoint, keys=keys)


def test_blobs_are_stored_once_in_the_bucket_and_read_back(s3, draft, lab_member):
    content = b'{"codebase_version": "v3.0", "fps": 30}'
    add_file(draft, lab_member, path="meta/info.json", content=content)
    add_file(draft, lab_member, path="meta/copy.json", content=content)  # same bytes
    digest = hashlib.sha256(content).hexdigest()
    key = f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
    # The draft's own info.json, and these bytes once although two files hold them.
    assert key in s3.keys("blobs/") and len(s3.keys("blobs/")) == 2
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentLength"] == len(content)
    blob = draft.files.get(path="meta/info.json").blob
    with storage.open_blob(blob) as handle:
        assert handle.read() == content
    folder = storage.materialise(draft)  # what the validator reads: copied out of the bucket
    try:
        assert (folder / "meta" / "copy.json").read_bytes() == content
    finally:
        storage.dematerialise(folder)


def test_a_large_upload_resumes_after_a_break_and_goes_up_in_parts(s3, draft, lab_member):
    data = os.urandom(12 * MiB)
    session = uploads.upload_start(
        submission=draft,
        user=lab_member,
        kind="file",
        path="videos/observation.images.front/chunk-000/file-000.mp4",
        size=len(data),
    )
    chunk = 4 * MiB
    # The first chunk's connection breaks after 1 MiB: the server keeps what arrived.
    session = uploads.upload_append(
        token=session.token,
        user=lab_member,
        offset=0,
        stream=io.BytesIO(data[:MiB]),
        length=chunk,
    )
    assert session.offset == MiB
    # A client that lost track sends the wrong offset and is told where to continue.
    with pytest.raises(uploads.OffsetMismatch) as mismatch:
        uploads.upload_append(
            token=session.token,
            user=lab_member,
            offset=chunk,
            stream=io.BytesIO(data[chunk : 2 * chunk]),
            length=chunk,
        )
    offset = mismatch.value.expected
    while offset < len(data):
        part = data[offset : offset + chunk]
        session = uploads.upload_append(
            token=session.token,
            user=lab_member,
            offset=offset,
            stream=io.BytesIO(part),
            length=len(part),
        )
        offset = session.offset
    assert session.completed_at is not None
    digest = hashlib.sha256(data).hexdigest()
    key = f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    # An S3 multipart object's ETag is "<md5 of the parts' md5s>-<number of parts>".
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    body = s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest


def test_downloads_stream_from_the_bucket_through_the_web_process(s3, client, draft, lab_member):
    content = os.urandom(300_000)
    add_file(draft, lab_member, path="data/chunk-000/file-000.parquet", content=content)
    client.force_login(lab_member)
    url = reverse("curation:submission_file", args=[draft.pk, "data/chunk-000/file-000.parquet"])
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    # Read block by block from the S3 response body, not from a local copy of the whole object.
    # (Django keeps the streamed file among the response's closers.)
    streamed = [getattr(c, "__self__", None) for c in response._resource_closers]
    assert any(isinstance(f, storage._ObjectStream) for f in streamed), streamed
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"] == 'attachment; filename="file-000.parquet"'
    assert b"".join(response.streaming_content) == content


def test_downloads_can_be_handed_off_as_presigned_urls(s3, settings, client, draft, lab_member):
    settings.S3_DOWNLOADS = "presigned"
    client.force_login(lab_member)
    response = client.get(reverse("curation:submission_file", args=[draft.pk, "meta/info.json"]))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3.endpoint) and "Signature=" in location
    with urllib.request.urlopen(location, timeout=30) as direct:  # noqa: S310 - loopback
        assert direct.read() == b'{"codebase_version": "v3.0", "fps": 10}'
        assert direct.headers["Content-Disposition"] == 'attachment; filename="info.json"'
    # Someone who may not see the submission gets no link at all.
    client.logout()
    response = client.get(reverse("curation:submission_file", args=[draft.pk, "meta/info.json"]))
    assert response.status_code == 404


def test_upload_validate_publish_download_on_s3(
    s3, client, lab_member, lab, curator, tmp_path, v30_dataset
):
    """The whole journey with every byte in the bucket: the archive waits there for the pipeline
    (a worker on another machine could fetch it), its members become blobs there, the validator
    reads a folder copied out of it, and the published files are downloaded from it."""
    from curation.services.pipeline import pipeline_run
    from tests.curation.test_uploads import upload_whole, zip_of_folder

    submission = workflow.submission_create(
        user=lab_member, lab=lab, title="Cube picking on S3", domain="manipulation"
    )
    archive = zip_of_folder(v30_dataset, tmp_path / "dataset.zip")
    upload_whole(submission, lab_member, archive, kind="archive", chunk=256 * 1024)
    submission.refresh_from_db()
    assert submission.pending_archive.startswith(storage.STORED_ARCHIVE)
    assert len(s3.keys("archives/")) == 1

    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=lab_member)
    submission.refresh_from_db()
    # What the worker runs for this message (the Celery task calls exactly this).
    pipeline_run(submission.pk, submission.pipeline_run)
    submission = Submission.objects.get(pk=submission.pk)
    assert submission.state == SubmissionState.READY_FOR_REVIEW, submission.last_error
    assert s3.keys("archives/") == []  # unpacked and removed
    assert len(s3.keys("blobs/")) == submission.files.count()

    workflow.submission_approve(submission_id=submission.pk, user=curator)
    assert DatasetIndex.objects.filter(submission=submission, is_latest=True).exists()
    found = client.get(reverse("curation:api_catalogue"), {"q": "picked cubes"}).json()
    assert [r["title"] for r in found["results"]] == ["Cube picking on S3"]

    info = (v30_dataset / "meta" / "info.json").read_bytes()
    response = client.get(
        reverse("curation:submission_file", args=[submission.pk, "meta/info.json"])
    )
    assert response.status_code == 200  # published: anyone may download
    assert b"".join(response.streaming_content) == info
