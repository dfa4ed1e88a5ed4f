"""Hostile uploads through the real API and the real worker pipeline.

Each case is uploaded with the resumable API (token auth, chunked PATCH), submitted, and run by a
real Celery worker. Every one must be refused with a clear error, write nothing outside the
submission's own storage (checked on the filesystem), and leave the worker answering pings.
"""

import contextlib
import io
import os
import re
import shutil
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from curation.models import SubmissionState as S
from curation.models import ValidationOutcome
from tests.conftest import REPO
from tests.reliability import parquet_craft
from tests.reliability.conftest import (
    Api,
    files_named,
    storage_snapshot,
    tried,
    unique_marker,
    wait_until_settled,
    worker_answers,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

INFO = b'{"codebase_version": "v3.0", "fps": 10}'
BOMB_BYTES = 64 * 1024 * 1024


# --- archive builders -----------------------------------------------------------------------------


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return path


def zip_bomb(path: Path, marker: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("meta/info.json", INFO)
        with archive.open("data/chunk-000/file-000.parquet", "w") as member:
            block = bytes(1024 * 1024)
            for _ in range(BOMB_BYTES // len(block)):
                member.write(block)
    return path


def tar_of(path: Path, members: list[tarfile.TarInfo], mode="w") -> Path:
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link_member(name: str, target: str, kind=tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def tar_gz_bomb(path: Path, marker: str) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=9) as archive:
        info_member, data = file_member("meta/info.json", INFO)
        archive.addfile(info_member, io.BytesIO(data))
        info = tarfile.TarInfo("data/chunk-000/file-000.parquet")
        info.size = BOMB_BYTES

        class Zeros(io.RawIOBase):
            def readinto(self, buffer):
                buffer[:] = bytes(len(buffer))
                return len(buffer)

        archive.addfile(info, Zeros())
    return path


def tar_claims_300_gb(path: Path, marker: str) -> Path:
    """A header that declares a 300 GB member, followed by a few bytes: a lie about size."""
    info = tarfile.TarInfo("data/chunk-000/file-000.parquet")
    info.size = 300 * 1024**3
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    name, data = file_member("meta/info.json", INFO)
    with open(path, "wb") as out:
        out.write(name.tobuf(format=tarfile.GNU_FORMAT))
        out.write(data + bytes(512 - len(data)))
        out.write(header)
        out.write(b"PAR1" * 128)
    return path


def zip_lying_about_size(path: Path, marker: str) -> Path:
    """The central directory says 10 bytes; the member holds 64 KiB."""
    zip_of(path, {"meta/info.json": INFO, "meta/stats.json": b"{" + b" " * 65534 + b"}"})
    raw = bytearray(path.read_bytes())
    start = raw.rfind(b"PK\x01\x02")  # the last central directory entry: meta/stats.json
    raw[start + 24 : start + 28] = struct.pack("<I", 10)
    path.write_bytes(bytes(raw))
    return path


def zip_with_too_many_members(path: Path, marker: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(100_001):
            archive.writestr(f"meta/m{i}.json", b"")
    return path


def zip_member_named(name_template: str):
    def build(path: Path, marker: str) -> Path:
        return zip_of(path, {"meta/info.json": INFO, name_template.format(marker=marker): b"{}"})

    return build


def zip_symlink(path: Path, marker: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta/info.json", INFO)
        info = zipfile.ZipInfo("meta/stats.json")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, f"/tmp/{marker}.json")
    return path


def tar_members(*members):
    def build(path: Path, marker: str) -> Path:
        return tar_of(
            path,
            [
                (info, data)
                for info, data in (
                    (m[0](marker) if callable(m[0]) else m[0], m[1]) for m in members
                )
            ],
        )

    return build


def _named_file(template):
    return lambda marker: file_member(template.format(marker=marker), b"{}")[0]


def _named_link(name, target, kind=tarfile.SYMTYPE):
    return lambda marker: link_member(
        name.format(marker=marker), target.format(marker=marker), kind
    )[0]


INFO_MEMBER = (file_member("meta/info.json", INFO)[0], INFO)

ARCHIVES = [
    ("zip bomb (ratio, 64 MiB of zeros in 64 KiB)", "bomb.zip", zip_bomb, "compression ratio"),
    ("tar.gz bomb (ratio)", "bomb.tar.gz", tar_gz_bomb, "compression ratio"),
    ("tar header claiming a 300 GB member (size)", "big.tar", tar_claims_300_gb, "compression ratio|unpacks to|damaged"),
    ("zip whose directory lies about a member's size", "lie.zip", zip_lying_about_size, "damaged|larger than it declared"),
    ("zip with 100 001 members", "many.zip", zip_with_too_many_members, "more than the limit"),
    ("zip member ../../<marker>.json", "dotdot.zip", zip_member_named("../../{marker}.json"), "'..' is not allowed"),
    ("zip member /tmp/<marker>.json", "abs.zip", zip_member_named("/tmp/{marker}.json"), "absolute paths"),
    ("zip member ..\\..\\<marker>.json", "win.zip", zip_member_named("..\\..\\{marker}.json"), "'..' is not allowed"),
    ("zip member C:\\<marker>.json", "drive.zip", zip_member_named("C:\\{marker}.json"), "absolute paths"),
    ("zip symlink member", "link.zip", zip_symlink, "symbolic link"),
    ("tar member ../<marker>.json", "dotdot.tar", tar_members(INFO_MEMBER, (_named_file("../{marker}.json"), b"{}")), "'..' is not allowed"),
    ("tar member /tmp/<marker>.json", "abs.tar", tar_members(INFO_MEMBER, (_named_file("/tmp/{marker}.json"), b"{}")), "absolute paths"),
    ("tar symlink meta/stats.json -> /etc/passwd", "sym.tar", tar_members(INFO_MEMBER, (_named_link("meta/stats.json", "/etc/passwd"), None)), "links are not allowed"),
    ("tar symlink dir meta/x -> /tmp, then meta/x/<marker>.json", "symdir.tar", tar_members(INFO_MEMBER, (_named_link("meta/x", "/tmp"), None), (_named_file("meta/x/{marker}.json"), b"{}")), "links are not allowed"),
    ("tar hardlink meta/stats.json -> ../../../etc/passwd", "hard.tar", tar_members(INFO_MEMBER, (_named_link("meta/stats.json", "../../../etc/passwd", tarfile.LNKTYPE), None)), "links are not allowed"),
]  # fmt: skip


def _where_a_marker_could_land() -> list[Path]:
    root = Path(settings.STORAGE_ROOT)
    return [root, root.parent, REPO, Path("/tmp"), Path("/")]


def _marker_files(marker: str) -> list[Path]:
    storage = Path(settings.STORAGE_ROOT)
    found = files_named(marker, [storage])
    for top in _where_a_marker_could_land()[1:]:
        with contextlib.suppress(OSError):
            found += [top / n for n in os.listdir(top) if marker in n]
    return found


def _allowed(path: str, pk: int) -> bool:
    # cache/limits/ is the rate limiter's shared file cache on lane 1 (no submission data in it).
    return (
        path.startswith("media/blobs/")
        or path.startswith(f"curation/archives/submission-{pk}/")
        or path.startswith("cache/limits/")
    )


@pytest.mark.parametrize(
    ("case", "filename", "build", "expected"), ARCHIVES, ids=[a[1] for a in ARCHIVES]
)
def test_hostile_archive_is_refused_and_writes_nothing_outside(
    celery_worker, lab_member, lab, tmp_path, case, filename, build, expected
):
    marker = unique_marker()
    archive = build(tmp_path / filename, marker)
    api = Api(lab_member)
    pk = api.create(lab, title=case[:60])
    before = storage_snapshot()
    response = api.upload(pk, "archive", filename, archive)
    assert response.status_code in (200, 201), response.content[:300]
    assert api.action(pk, "submit").status_code == 200
    submission = wait_until_settled(pk)

    assert submission.state == S.DRAFT, (case, submission.state, submission.last_error)
    assert submission.validation_outcome == ValidationOutcome.ERROR
    assert re.search(expected, submission.last_error), submission.last_error
    token = submission.uploads.get().token
    assert token not in submission.last_error  # the archive is named as uploaded
    assert not submission.files.exists()  # a refused archive adds no file to the submission
    status = api.status(pk)
    assert status["finished"] and status["last_error"] == submission.last_error

    new_files = storage_snapshot() - before
    outside = sorted(p for p in new_files if not _allowed(p, pk))
    assert not outside, f"written outside the submission's storage: {outside}"
    assert not _marker_files(marker)
    assert worker_answers("validation"), "the worker no longer answers after " + case
    tried("hostile uploads", case, f"refused ({submission.last_error[:90]})")


@pytest.mark.parametrize(
    "path",
    ["../../evil.json", "/etc/cron.d/evil", "..\\..\\evil.json", "C:\\evil.json", "meta/\x00.json"],
)
def test_file_upload_with_a_dangerous_path_is_refused_at_once(lab_member, lab, tmp_path, path):
    api = Api(lab_member)
    pk = api.create(lab)
    data = tmp_path / "x.json"
    data.write_bytes(b"{}")
    response = api.upload(pk, "file", path, data)
    assert response.status_code == 400, response.content
    message = str(response.json())
    assert re.search("not allowed|NUL", message, re.IGNORECASE), message
    tried("hostile uploads", f"file upload to {path!r}", f"400 {message[:70]}")


# --- hostile dataset content: accepted as files, refused by the validator ---------------------------

DATA = "data/chunk-000/file-000.parquet"
VIDEO = "videos/observation.images.front/chunk-000/file-000.mp4"


def deep_info(folder: Path) -> None:
    (folder / "meta/info.json").write_text("[" * 100_000 + "]" * 100_000)


def huge_info(folder: Path) -> None:
    with open(folder / "meta/info.json", "ab") as out:
        out.write(b" " * (100 * 1024 * 1024))


def giant_string_column(folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(folder / DATA)
    giant = pa.array(["a" * (64 * 1024 * 1024)] + ["0"] * (table.num_rows - 1), pa.large_string())
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp", giant)
    pq.write_table(table, folder / DATA, compression="zstd")


def truncate_video(folder: Path) -> None:
    path = folder / VIDEO
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def garbage_video(folder: Path) -> None:
    (folder / VIDEO).write_bytes(os.urandom(50_000))


CONTENT = [
    ("info.json nested 100 000 levels deep", deep_info, "info.invalid", "nested too deeply"),
    ("info.json of 100 MB", huge_info, "info.invalid", "more than the"),
    ("parquet footer claiming 2**62 rows", lambda f: parquet_craft.footer_claims_huge_row_groups(f / DATA, f / DATA), "file.corrupt", "rows"),
    ("parquet footer claiming 32 TiB for one column", lambda f: parquet_craft.footer_claims_huge_column(f / DATA, f / DATA, column="observation.state"), "file.corrupt", "more than such rows can hold"),
    ("parquet page header claiming 2 GiB", lambda f: parquet_craft.page_claims_huge_size(f / DATA, f / DATA, column="action"), "file.corrupt", "could not be read"),
    ("parquet with a 64 MiB string in the timestamp column", giant_string_column, "schema.mismatch", "not numbers"),
    ("mp4 truncated to a third", truncate_video, "video.", ""),
    ("mp4 of random bytes", garbage_video, "video.", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "damage", "code", "words"), CONTENT, ids=[c[0][:30] for c in CONTENT]
)
def test_hostile_dataset_content_is_reported_not_crashed_on(
    celery_worker, lab_member, lab, tmp_path, v30_dataset, case, damage, code, words
):
    folder = tmp_path / "ds"
    shutil.copytree(v30_dataset, folder)
    damage(folder)
    api = Api(lab_member)
    pk = api.create(lab, title=case[:60])
    before = storage_snapshot()
    api.upload_folder(pk, folder)
    assert api.action(pk, "submit").status_code == 200
    submission = wait_until_settled(pk)

    assert submission.state == S.RETURNED, submission.last_error  # back to the lab
    assert submission.validation_outcome == ValidationOutcome.FAILED, submission.last_error
    errors = [f for f in submission.report["findings"] if f["severity"] == "error"]
    matching = [f for f in errors if f["code"].startswith(code) and words in f["message"]]
    assert matching, [(f["code"], f["message"][:120]) for f in errors]
    assert all(len(f["message"]) < 2000 for f in submission.report["findings"])
    new_files = storage_snapshot() - before
    # Blobs, the visualizer's derived data for the version and the rate limiter's cache only;
    # the visualizer task (queued after validation) may still be working in its scratch folders.
    scratch = (f"curation/work/submission-{pk}-", "curation/tmp/visualizer-")
    assert all(
        p.startswith(("media/blobs/", "media/visualizer/", "cache/limits/", *scratch))
        for p in new_files
    ), sorted(new_files)
    assert worker_answers("validation")
    tried("hostile dataset content", case, f"{matching[0]['code']}: {matching[0]['message'][:90]}")
