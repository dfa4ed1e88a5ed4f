"""Uploads: archive safety, resumable chunks, content addressing, server paths."""

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from curation.models import Blob, SubmissionState
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
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Bad")
    archive = make_zip(tmp_path / "bad.zip", {"meta/info.json": b"{}", "../evil.json": b"x"})
    upload_whole(submission, lab_member, archive, kind="archive")
    before = set(os.listdir(tmp_path))
    submit_and_run(submission, lab_member)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT
    assert "'..' is not allowed" in submission.last_error
    assert submission.files.count() == 0
    assert set(os.listdir(tmp_path)) == before
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
