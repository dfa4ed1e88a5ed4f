"""Uploads: archive safety, resumable chunks, content addressing, server paths."""

import hashlib
import io
import os
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

from curation.models import Blob, Submission, SubmissionState
from curation.services import archives, pipeline, storage, uploads, workflow
from tests.curation.conftest import add_file

pytestmark = pytest.mark.django_db


def make_zip(path: Path, members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def zip_of_folder(folder: Path, target: Path, wrapper: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, wrapper + file.relative_to(folder).as_posix())
    return target


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/passwd", "absolute paths"),
        ("../../outside.txt", "'..' is not allowed"),
        ("meta/../../x.json", "'..' is not allowed"),
        ("C:/windows/x.json", "absolute paths"),
        ("secrets.txt", "not part of a LeRobot dataset layout"),
        ("data/chunk-000/file-000.exe", "not part of a LeRobot dataset layout"),
    ],
)
def test_zip_with_dangerous_or_foreign_names_is_refused(tmp_path, name, message):
    archive = make_zip(tmp_path / "bad.zip", {"meta/info.json": b"{}", name: b"x"})
    with pytest.raises(archives.ArchiveError, match=message):
        archives.scan(archive)


def test_zip_symlink_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta/info.json", b"{}")
        info = zipfile.ZipInfo("meta/stats.json")
        info.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(archives.ArchiveError, match="symbolic link"):
        archives.scan(path)


@pytest.mark.parametrize(
    "kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE]
)
def test_tar_links_and_devices_are_refused(tmp_path, kind):
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b"{}"
        info = tarfile.TarInfo("meta/info.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        special = tarfile.TarInfo("meta/stats.json")
        special.type = kind
        special.linkname = "/etc/passwd"
        archive.addfile(special)
    with pytest.raises(archives.ArchiveError, match="not allowed"):
        archives.scan(path)


def test_limits_on_entries_size_and_ratio(tmp_path, settings):
    members = {f"meta/f{i}.json": b"{}" for i in range(5)}
    path = make_zip(tmp_path / "many.zip", members)
    settings.ARCHIVE_MAX_ENTRIES = 4
    with pytest.raises(archives.ArchiveError, match="5 entries, more than the limit of 4"):
        archives.scan(path)
    settings.ARCHIVE_MAX_ENTRIES = 100
    settings.ARCHIVE_MAX_TOTAL_BYTES = 5
    with pytest.raises(archives.ArchiveError, match="more than the limit of 5"):
        archives.scan(path)
    settings.ARCHIVE_MAX_TOTAL_BYTES = 10**9
    bomb = make_zip(tmp_path / "bomb.zip", {"data/chunk-000/file-000.parquet": b"\0" * 5_000_000})
    with pytest.raises(archives.ArchiveError, match="compression ratio"):
        archives.scan(bomb)
    tar_bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(tar_bomb, "w:gz") as archive:
        info = tarfile.TarInfo("data/chunk-000/file-000.parquet")
        info.size = 5_000_000
        archive.addfile(info, io.BytesIO(b"\0" * info.size))
    with pytest.raises(archives.ArchiveError, match="compression ratio"):
        archives.scan(tar_bomb)


def test_refused_archive_sends_submission_back_to_draft_and_writes_nothing_outside(
    lab_member, lab, tmp_path
):
    from django.conf import settings

    submission = workflow.submission_create(user=lab_member, lab=lab, title="Bad")
    evil_name = f"evil-{uuid.uuid4().hex}.json"
    evil_content = f"escaped {evil_name}".encode()
    archive = make_zip(
        tmp_path / "bad.zip",
        {"meta/info.json": b"{}", f"../{evil_name}": evil_content, f"../../{evil_name}": b"2"},
    )
    upload_whole(submission, lab_member, archive, kind="archive")
    # The archive waits under STORAGE_ROOT; "../" and "../../" from there, from the work folders or
    # from the blob store all stay inside STORAGE_ROOT's parent, so that is where to look.
    pending = Path(Submission.objects.get(pk=submission.pk).pending_archive)
    storage_parent = Path(settings.STORAGE_ROOT).resolve().parent
    assert storage_parent in pending.resolve().parents
    submit_and_run(submission, lab_member)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT
    assert "'..' is not allowed" in submission.last_error
    assert submission.files.count() == 0
    assert list(storage_parent.rglob(evil_name)) == []
    assert list(tmp_path.rglob(evil_name)) == []
    # Not stored under any other name either.
    assert not Blob.objects.filter(sha256=hashlib.sha256(evil_content).hexdigest()).exists()
    assert submission.audit_events.filter(action="upload_failed").exists()


def upload_whole(submission, user, path: Path, *, kind: str, name: str | None = None, chunk=7000):
    session = uploads.upload_start(
        submission=submission,
        user=user,
        kind=kind,
        path=name or path.name,
        size=path.stat().st_size,
    )
    with open(path, "rb") as handle:
        offset = 0
        while offset < session.size:
            data = handle.read(chunk)
            session = uploads.upload_append(
                token=session.token,
                user=user,
                offset=offset,
                stream=io.BytesIO(data),
                length=len(data),
            )
            offset = session.offset
    return session


def submit_and_run(submission, user):
    """Submit and run the pipeline's fetch step in-process (the worker tests run all of it)."""
    from django.db import transaction

    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)
    submission.refresh_from_db()
    try:
        pipeline.fetch(submission, lambda *a: None)
    except (archives.ArchiveError, uploads.UploadError) as exc:
        workflow.submission_upload_failed(submission_id=submission.pk, error=str(exc))


def test_archive_of_a_real_dataset_is_unpacked_into_blobs(lab_member, lab, tmp_path, v30_dataset):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Good")
    archive = zip_of_folder(v30_dataset, tmp_path / "good.zip", wrapper="pick_place/")
    upload_whole(submission, lab_member, archive, kind="archive")
    submit_and_run(submission, lab_member)
    expected = sorted(
        p.relative_to(v30_dataset).as_posix() for p in v30_dataset.rglob("*") if p.is_file()
    )
    assert sorted(submission.files.values_list("path", flat=True)) == expected
    folder = storage.materialise(submission)
    try:
        for rel in expected:
            assert (folder / rel).read_bytes() == (v30_dataset / rel).read_bytes()
    finally:
        storage.dematerialise(folder)
    assert not folder.exists()


def test_tar_gz_archive_works_too(lab_member, lab, tmp_path, v30_dataset):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Tar")
    path = tmp_path / "ds.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(v30_dataset, arcname="ds")
    upload_whole(submission, lab_member, path, kind="archive")
    submit_and_run(submission, lab_member)
    assert submission.files.filter(path="meta/info.json").exists()


def test_resume_after_a_broken_connection(lab_member, lab, tmp_path):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Resume")
    content = os.urandom(50_000)
    session = uploads.upload_start(
        submission=submission,
        user=lab_member,
        kind="file",
        path="data/chunk-000/file-000.parquet",
        size=len(content),
    )
    # The connection drops after 10,000 of the 30,000 bytes of the first chunk.
    session = uploads.upload_append(
        token=session.token,
        user=lab_member,
        offset=0,
        stream=io.BytesIO(content[:10_000]),
        length=30_000,
    )
    assert session.offset == 10_000
    # A client that sends from the wrong offset is told where to continue.
    with pytest.raises(uploads.OffsetMismatch) as mismatch:
        uploads.upload_append(
            token=session.token,
            user=lab_member,
            offset=30_000,
            stream=io.BytesIO(content[30_000:]),
            length=20_000,
        )
    assert mismatch.value.expected == 10_000
    session = uploads.upload_append(
        token=session.token,
        user=lab_member,
        offset=10_000,
        stream=io.BytesIO(content[10_000:]),
        length=40_000,
    )
    assert session.completed_at is not None
    file = submission.files.get()
    with storage.open_blob(file.blob) as handle:
        assert handle.read() == content


def test_identical_content_is_stored_once(lab_member, lab):
    a = workflow.submission_create(user=lab_member, lab=lab, title="A")
    b = workflow.submission_create(user=lab_member, lab=lab, title="B")
    add_file(a, lab_member, content=b'{"same": true}')
    add_file(b, lab_member, content=b'{"same": true}')
    assert Blob.objects.count() == 1
    assert a.files.get().blob_id == b.files.get().blob_id


def test_files_are_locked_once_submitted(draft, lab_member):
    from django.db import transaction

    with transaction.atomic():
        workflow.submission_submit(submission_id=draft.pk, user=lab_member)
    draft.refresh_from_db()
    with pytest.raises(uploads.UploadError, match="locked"):
        add_file(draft, lab_member, path="README.md", content=b"x")


def test_other_lab_cannot_upload(draft, other_lab_member):
    with pytest.raises(workflow.PermissionDenied):
        add_file(draft, other_lab_member, path="README.md", content=b"x")


def test_server_path_must_be_inside_an_allowed_root(
    lab_member, lab, tmp_path, settings, v30_dataset
):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Server")
    settings.DATASET_IMPORT_ROOTS = []
    with pytest.raises(uploads.UploadError, match="disabled"):
        uploads.submission_set_source(
            submission=submission, user=lab_member, source="path", ref=str(v30_dataset)
        )
    settings.DATASET_IMPORT_ROOTS = [str(tmp_path)]
    with pytest.raises(uploads.UploadError, match="outside the allowed import roots"):
        uploads.submission_set_source(
            submission=submission, user=lab_member, source="path", ref=str(v30_dataset)
        )
    (tmp_path / "escape").symlink_to(v30_dataset)
    with pytest.raises(uploads.UploadError, match="outside the allowed import roots"):
        uploads.submission_set_source(
            submission=submission, user=lab_member, source="path", ref=str(tmp_path / "escape")
        )
    settings.DATASET_IMPORT_ROOTS = [str(v30_dataset.parent)]
    uploads.submission_set_source(
        submission=submission, user=lab_member, source="path", ref=str(v30_dataset)
    )
    submit_and_run(submission, lab_member)
    assert submission.files.filter(path="meta/info.json").exists()


def test_finder_clutter_is_skipped_not_refused(tmp_path):
    archive = make_zip(
        tmp_path / "mac.zip",
        {
            "ds/meta/info.json": b"{}",
            "ds/.DS_Store": b"x",
            "__MACOSX/ds/._info.json": b"x",
        },
    )
    _, members = archives.scan(archive)
    assert [m.name for m in members] == ["meta/info.json"]


# --- the resumable protocol's limits, through the API as clients speak it -------------------------


def api_client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def api_start(client, submission, *, size, path="data/chunk-000/file-000.parquet"):
    from django.urls import reverse

    return client.post(
        reverse("curation:api_upload_create", args=[submission.pk]),
        {"kind": "file", "path": path, "size": size},
        content_type="application/json",
    )


def api_send(client, token, offset, data: bytes):
    from django.urls import reverse

    return client.patch(
        reverse("curation:api_upload", args=[token]),
        data,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
    )


def test_a_file_over_the_size_limit_is_refused_before_any_byte(draft, lab_member, settings):
    from curation.models import UploadSession

    settings.UPLOAD_MAX_BYTES = 1000
    client = api_client_for(lab_member)
    sessions_before = UploadSession.objects.count()
    refused = api_start(client, draft, size=1001)
    assert refused.status_code == 400
    assert refused.json() == {"detail": "size 1001 is outside the allowed range (0 to 1000 bytes)"}
    assert api_start(client, draft, size=-1).status_code == 400
    assert UploadSession.objects.count() == sessions_before
    # Exactly at the limit is allowed.
    accepted = api_start(client, draft, size=1000)
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["size"] == 1000


def test_chunks_past_the_declared_size_are_refused_and_write_nothing(draft, lab_member):
    client = api_client_for(lab_member)
    content = os.urandom(100)
    token = api_start(client, draft, size=100).json()["token"]
    session = uploads.upload_get(token=token, user=lab_member)
    part = uploads.part_path(session)

    too_long = api_send(client, token, 0, content + b"extra")
    assert too_long.status_code == 400
    assert too_long.json() == {"detail": "chunk of 105 bytes at 0 goes past the declared size 100"}
    assert part.stat().st_size == 0
    assert api_send(client, token, 0, content[:60]).status_code == 200
    # The second chunk overruns by one byte: refused, the first chunk kept as it was.
    overrun = api_send(client, token, 60, content[60:] + b"!")
    assert overrun.status_code == 400
    assert "41 bytes at 60 goes past the declared size 100" in overrun.json()["detail"]
    session.refresh_from_db()
    assert session.offset == 60 and session.completed_at is None
    assert part.read_bytes() == content[:60]

    done = api_send(client, token, 60, content[60:])
    assert done.status_code == 200 and done["Upload-Offset"] == "100"
    stored = draft.files.get(path="data/chunk-000/file-000.parquet")
    with storage.open_blob(stored.blob) as handle:
        assert handle.read() == content


def test_a_retried_final_chunk_is_answered_again_without_storing_twice(draft, lab_member):
    """The response to the last chunk is lost; the client sends it again."""
    client = api_client_for(lab_member)
    content = os.urandom(300)
    token = api_start(client, draft, size=300).json()["token"]
    assert api_send(client, token, 0, content[:200]).status_code == 200
    first = api_send(client, token, 200, content[200:])
    assert first.status_code == 200 and first.json()["completed_at"] is not None
    audit_rows = draft.audit_events.filter(action="upload_file").count()

    again = api_send(client, token, 200, content[200:])
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Upload-Offset"] == "300"
    assert draft.files.filter(path="data/chunk-000/file-000.parquet").count() == 1
    assert draft.audit_events.filter(action="upload_file").count() == audit_rows
    with storage.open_blob(draft.files.get(path="data/chunk-000/file-000.parquet").blob) as handle:
        assert handle.read() == content
    # Anything else sent to a finished upload is refused.
    late = api_send(client, token, 0, content[:200])
    assert late.status_code == 400
    assert late.json() == {"detail": "this upload is already complete"}
