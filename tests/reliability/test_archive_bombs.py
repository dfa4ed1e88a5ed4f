"""Archive bombs through the real pipeline (issue 19, H3 and M4).

Each hostile archive is a few kilobytes; the tests count the bytes the decompressors really
produce (a counting wrapper around the standard library's decompressor), so a refusal that comes
only after unpacking everything fails the test, without any timing assertion.
"""

import bz2
import io
import os
import tarfile
import zipfile
import zlib
from unittest import mock

import pytest
from django.db import connection, transaction

from curation.models import Submission
from curation.services import archives, pipeline, workflow
from curation.services.uploads import upload_append, upload_start
from tests.reliability.conftest import tried

pytestmark = pytest.mark.django_db(transaction=True)

MiB = 1024 * 1024
GiB = 1024 * MiB


class Produced:
    """Counts every byte a decompressor of the given factory produces."""

    def __init__(self):
        self.bytes = 0

    def wrap(self, factory):
        counter = self

        class Counting:
            def __init__(self, *args, **kwargs):
                self._inner = factory(*args, **kwargs)

            def decompress(self, *args, **kwargs):
                out = self._inner.decompress(*args, **kwargs)
                counter.bytes += len(out)
                return out

            def __getattr__(self, name):
                return getattr(self._inner, name)

        return Counting


@pytest.fixture
def produced(monkeypatch):
    counter = Produced()
    monkeypatch.setattr(bz2, "BZ2Decompressor", counter.wrap(bz2.BZ2Decompressor))
    return counter


def bz2_tar_bomb(declared: int) -> bytes:
    """A .tar (really bzip2) whose one member declares ``declared`` bytes of zeros: bzip2 streams
    of 8 MiB of zeros, concatenated (a reader must decompress them all to skip the member)."""
    header = tarfile.TarInfo("meta/info.json")
    header.size = declared
    zeros = bz2.compress(b"\0" * 8 * MiB)
    return bz2.compress(header.tobuf()) + zeros * (declared // (8 * MiB) + 1)


def _pipeline_on(archive: bytes, name: str, lab, user) -> Submission:
    """Upload ``archive`` as a lab member would, submit, and run the real pipeline step."""
    submission = workflow.submission_create(user=user, lab=lab, title=f"Bomb {name}")
    session = upload_start(
        submission=submission, user=user, kind="archive", path=name, size=len(archive)
    )
    upload_append(
        token=session.token, user=user, offset=0, stream=io.BytesIO(archive), length=len(archive)
    )
    # This test runs the pipeline step itself: the message is not sent, or a session worker
    # (transactional tests commit) would run the same pipeline first and race it.
    with mock.patch("curation.tasks.run_pipeline.apply_async"), transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)
    submission.refresh_from_db()
    pipeline.pipeline_run(submission.pk, submission.pipeline_run)
    submission.refresh_from_db()
    return submission


def test_bzip2_bomb_named_tar_is_refused_after_little_work(lab, lab_member, produced):
    bomb = bz2_tar_bomb(2 * GiB)
    assert len(bomb) < 20_000
    submission = _pipeline_on(bomb, "pick_place.tar", lab, lab_member)
    # The work is bounded by the budget (ratio x size, at least 1 MiB), not by the 2 GiB declared.
    assert produced.bytes <= 16 * MiB, produced.bytes
    assert submission.state == "draft"
    assert "refused" in submission.last_error, submission.last_error
    assert not submission.files.exists()
    tried(
        "archive bomb", f"{len(bomb)} B bzip2 .tar declaring 2 GiB", f"{produced.bytes} B unpacked"
    )


def test_a_tar_that_unpacks_far_beyond_its_ratio_stops_at_the_budget(lab, lab_member, produced):
    # Honest headers this time: 64 members of 1 MiB of zeros each, all under the declared limit one
    # by one; the produced bytes reach the budget long before the end.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        for i in range(64):
            info = tarfile.TarInfo(f"data/chunk-000/file-{i:03d}.parquet")
            info.size = MiB
            archive.addfile(info, io.BytesIO(b"\0" * MiB))
    submission = _pipeline_on(buffer.getvalue(), "many.tar", lab, lab_member)
    assert produced.bytes <= 16 * MiB, produced.bytes
    assert submission.state == "draft"
    assert "refused" in submission.last_error, submission.last_error


def test_zip_of_many_small_members_is_held_to_the_whole_archives_ratio(lab, lab_member):
    """M4: each member is 1 MiB (the per-member ratio check skips those), 40 of them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(40):
            archive.writestr(f"data/chunk-000/file-{i:03d}.parquet", b"\0" * MiB)
    data = buffer.getvalue()
    submission = _pipeline_on(data, "small_members.zip", lab, lab_member)
    assert submission.state == "draft"
    assert "compression ratio" in submission.last_error, submission.last_error
    assert not submission.files.exists()
    tried("archive bomb", f"{len(data)} B zip of 40 x 1 MiB members", submission.last_error[:80])


def test_unpacking_has_a_time_limit(lab, lab_member, settings):
    settings.ARCHIVE_MAX_SECONDS = 0
    settings.ARCHIVE_MIN_BYTES_PER_SECOND = 1e15
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = zlib.compress(b"x") * 1  # any content; the limit is 0 s
        info = tarfile.TarInfo("meta/info.json")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    submission = _pipeline_on(buffer.getvalue(), "slow.tar.gz", lab, lab_member)
    assert submission.state == "draft"
    assert "took longer than" in submission.last_error, submission.last_error


def test_no_transaction_is_open_while_an_archive_is_unpacked(lab, lab_member, monkeypatch):
    """H3: unpacking ran inside a transaction, so on SQLite no one could write meanwhile."""
    in_transaction = []
    real = archives.blob_from_stream

    def spy(stream, **kwargs):
        in_transaction.append(connection.in_atomic_block)
        return real(stream, **kwargs)

    monkeypatch.setattr(archives, "blob_from_stream", spy)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta/info.json", b'{"codebase_version": "v3.0", "fps": 10}')
        archive.writestr("README.md", b"# a dataset")
    submission = _pipeline_on(buffer.getvalue(), "fine.zip", lab, lab_member)
    assert in_transaction == [False, False]
    # ... and the result is still recorded: both files are the submission's.
    assert sorted(submission.files.values_list("path", flat=True)) == [
        "README.md",
        "meta/info.json",
    ]


# --- M4: quotas and unused blobs ------------------------------------------------------------------


def test_uploads_and_unpacking_are_held_to_the_labs_and_the_users_quota(lab, lab_member, settings):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from curation.models import Blob

    settings.LAB_STORAGE_QUOTA_BYTES = 4000
    settings.USER_STORAGE_QUOTA_BYTES = 10**9
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=lab_member).key}")
    pk = api.post("/api/curation/submissions/", {"lab": lab.slug, "title": "Quota"}).json()["id"]
    refused = api.post(
        f"/api/curation/submissions/{pk}/uploads/",
        {"kind": "file", "path": "README.md", "size": 5000},
        format="json",
    )
    assert refused.status_code == 400
    assert "past its storage quota" in refused.content.decode()

    # A small archive that unpacks to 6 KB: refused when unpacked, nothing stored.
    blobs_before = Blob.objects.count()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):
            archive.writestr(f"meta/part{i}.json", b"{}" + os.urandom(8) + b" " * 1990)
    submission = _pipeline_on(buffer.getvalue(), "quota.zip", lab, lab_member)
    assert submission.state == "draft"
    assert "past its storage quota" in submission.last_error, submission.last_error
    assert Blob.objects.count() == blobs_before

    settings.LAB_STORAGE_QUOTA_BYTES = 10**9
    settings.USER_STORAGE_QUOTA_BYTES = 4000
    refused = api.post(
        f"/api/curation/submissions/{pk}/uploads/",
        {"kind": "file", "path": "README.md", "size": 5000},
        format="json",
    )
    assert refused.status_code == 400 and "past your storage quota" in refused.content.decode()


def test_unused_blobs_are_collected_after_their_grace_period(lab, lab_member):
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from curation.models import Blob
    from curation.services.quotas import blobs_collect
    from tests.curation.conftest import add_file

    submission = workflow.submission_create(user=lab_member, lab=lab, title="Replaced")
    add_file(submission, lab_member, path="README.md", content=b"first " + os.urandom(16))
    first = submission.files.get(path="README.md").blob
    add_file(submission, lab_member, path="README.md", content=b"second " + os.urandom(16))
    second = submission.files.get(path="README.md").blob
    assert blobs_collect() == 0  # within the grace period: an upload may be about to use it
    later = timezone.now() + timedelta(days=2)
    assert blobs_collect(now=later) >= 1
    assert not Blob.objects.filter(pk=first.pk).exists()
    assert not default_storage.exists(first.storage_name)
    assert Blob.objects.filter(pk=second.pk).exists() and default_storage.exists(
        second.storage_name
    )


def test_a_validation_error_names_the_file_in_the_dataset_not_the_server_path(
    lab, lab_member, monkeypatch, settings
):
    import validators

    def crash(folder, progress=None, **options):
        raise FileNotFoundError(2, "No such file or directory", f"{folder}/meta/info.json")

    monkeypatch.setattr(validators, "validate", crash)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta/info.json", b"{}")
    submission = _pipeline_on(buffer.getvalue(), "paths.zip", lab, lab_member)
    assert "'meta/info.json'" in submission.last_error, submission.last_error
    assert str(settings.STORAGE_ROOT) not in submission.last_error
