"""Content-addressed file storage through Django's storage API.

Every file is stored once, as ``blobs/aa/bb/<sha256>`` in the default storage (local disk, or S3
with ``STORAGE_BACKEND=s3``). Submissions list their files by relative path (``SubmissionFile``).
The validator needs a folder on disk, so ``materialise`` lays a submission out in a working folder
under STORAGE_ROOT, hard-linking blobs on local storage and copying them otherwise.
"""

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone
from django.utils.http import content_disposition_header

from curation import conf
from curation.models import Blob, Submission, SubmissionFile

COPY_BUFFER = 1024 * 1024


class UnsafePath(ValueError):
    """A file name that could escape the dataset folder or does not belong in a LeRobot dataset."""


# What a LeRobot dataset (v2.0, v2.1, v3.0) may contain; anything else is refused.
_NAME = r"[A-Za-z0-9_.\-=+,@ ()]+"
LEROBOT_LAYOUT = [
    re.compile(p)
    for p in (
        rf"meta/{_NAME}\.(json|jsonl|parquet)",
        rf"meta/(episodes|tasks|stats|episodes_stats)(/{_NAME})*\.(parquet|json|jsonl)",
        rf"data(/{_NAME})+\.parquet",
        rf"videos(/{_NAME})+\.(mp4|mkv|webm|avi|mov)",
        rf"images(/{_NAME})+\.(png|jpg|jpeg)",
        r"(README|LICENSE|CITATION|CHANGELOG)(\.(md|txt|cff))?",
        r"\.gitattributes",
    )
]
MAX_PATH_LENGTH = 400


def safe_relative_path(name: str) -> str:
    """The normalised relative path of a dataset member, or ``UnsafePath`` saying what is wrong."""
    if "\x00" in name:
        raise UnsafePath(f"{name!r}: NUL byte in the file name")
    normalised = unicodedata.normalize("NFC", name).replace("\\", "/")
    if normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised):
        raise UnsafePath(f"{name!r}: absolute paths are not allowed")
    parts = [p for p in normalised.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePath(f"{name!r}: '..' is not allowed in a path")
    if not parts:
        raise UnsafePath(f"{name!r}: empty path")
    if any(ord(c) < 32 for c in normalised):
        raise UnsafePath(f"{name!r}: control characters in the file name")
    clean = "/".join(parts)
    if len(clean) > MAX_PATH_LENGTH:
        raise UnsafePath(f"{clean[:60]}...: path longer than {MAX_PATH_LENGTH} characters")
    return clean


def check_layout(path: str) -> str:
    clean = safe_relative_path(path)
    if not any(p.fullmatch(clean) for p in LEROBOT_LAYOUT):
        raise UnsafePath(
            f"{clean}: not part of a LeRobot dataset layout (expected meta/, data/, videos/, "
            "images/ or README.md)"
        )
    return clean


def _temp_dir() -> Path:
    path = conf.work_root() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def _put_blob(temp_path: Path, sha256: str, size: int) -> Blob:
    """Move a hashed temporary file into the store unless the content is already there."""
    blob = Blob(sha256=sha256, size=size)
    name = blob.storage_name
    if not default_storage.exists(name):
        if _is_local():
            target = Path(default_storage.path(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_path, target)  # same filesystem: no second copy of the bytes
        else:
            with open(temp_path, "rb") as handle:
                default_storage.save(name, File(handle))
    with contextlib.suppress(FileNotFoundError):
        temp_path.unlink()
    blob, created = Blob.objects.get_or_create(sha256=sha256, defaults={"size": size})
    if not created:
        # Stored again: restart its grace period, so the collector of unused blobs
        # (quotas.blobs_collect) leaves it to the upload that is about to use it.
        Blob.objects.filter(sha256=sha256).update(created_at=timezone.now())
    return blob


def blob_from_stream(stream, *, max_bytes: int | None = None) -> Blob:
    """Hash ``stream`` while spooling it to a temporary file, then store it (streamed, O(1) RAM)."""
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=_temp_dir(), suffix=".blob")
    temp_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(COPY_BUFFER):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise UnsafePath(f"member is larger than it declared ({max_bytes} bytes)")
                digest.update(chunk)
                out.write(chunk)
        return _put_blob(temp_path, digest.hexdigest(), size)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()


def blob_from_path(path: Path, *, move: bool = False) -> Blob:
    """Store a file already on disk; ``move`` consumes it (an upload's part file)."""
    if move:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(COPY_BUFFER):
                digest.update(chunk)
        return _put_blob(Path(path), digest.hexdigest(), Path(path).stat().st_size)
    with open(path, "rb") as handle:
        return blob_from_stream(handle)


# Uploaded archives wait for the pipeline to unpack them. On local storage they stay where the
# upload wrote them (a path under STORAGE_ROOT); with S3 they go to the bucket, so that a worker on
# another machine can fetch them, and ``pending_archive`` holds this prefix and their key.
STORED_ARCHIVE = "storage:"


def archive_keep(part: Path, submission: Submission, name: str) -> str:
    """Keep an uploaded archive (consuming ``part``) until the pipeline unpacks it; returns the
    reference to store in ``Submission.pending_archive``."""
    if _is_local():
        target_dir = conf.work_root() / "archives" / f"submission-{submission.pk}"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / name
        os.replace(part, target)
        return str(target)
    with open(part, "rb") as handle:
        key = default_storage.save(f"archives/submission-{submission.pk}/{name}", File(handle))
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    return STORED_ARCHIVE + key


def archive_exists(ref: str) -> bool:
    if ref.startswith(STORED_ARCHIVE):
        return default_storage.exists(ref.removeprefix(STORED_ARCHIVE))
    return Path(ref).exists()


@contextlib.contextmanager
def archive_local(ref: str) -> Iterator[Path]:
    """The archive as a file on this machine (downloaded to a temporary file from S3)."""
    if not ref.startswith(STORED_ARCHIVE):
        yield Path(ref)
        return
    fd, name = tempfile.mkstemp(dir=_temp_dir(), suffix=Path(ref).suffix)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            default_storage.open(ref.removeprefix(STORED_ARCHIVE)) as src,
        ):
            shutil.copyfileobj(src, out, COPY_BUFFER)
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def archive_delete(ref: str) -> None:
    if not ref:
        return
    if ref.startswith(STORED_ARCHIVE):
        default_storage.delete(ref.removeprefix(STORED_ARCHIVE))
        return
    with contextlib.suppress(FileNotFoundError):
        Path(ref).unlink()


def submission_file_set(submission: Submission, path: str, blob: Blob) -> SubmissionFile:
    clean = check_layout(path)
    file, _ = SubmissionFile.objects.update_or_create(
        submission=submission, path=clean, defaults={"blob": blob}
    )
    return file


def open_blob(blob: Blob):
    return default_storage.open(blob.storage_name, "rb")


class _ObjectStream:
    """An S3 object's body as a file Django's ``FileResponse`` reads block by block: bytes go
    from S3 to the client as they arrive, never whole into memory or onto disk (django-storages'
    own ``S3File`` first downloads the whole object into a spooled temporary file)."""

    def __init__(self, body):
        self._body = body

    def read(self, size=-1):
        return self._body.read(None if size is None or size < 0 else size)

    def close(self):
        self._body.close()


def blob_stream(blob: Blob):
    """The blob's content as a readable stream, for a download streamed through this process."""
    if _is_local():
        return open_blob(blob)
    obj = default_storage.bucket.Object(default_storage._normalize_name(blob.storage_name))
    return _ObjectStream(obj.get()["Body"])


def blob_presigned_url(blob: Blob, filename: str) -> str | None:
    """A short-lived URL the client downloads the blob from, straight from S3, when downloads are
    handed off (``S3_DOWNLOADS=presigned``); ``None`` when they go through this process."""
    if _is_local() or conf.s3_downloads() != "presigned":
        return None
    return default_storage.url(
        blob.storage_name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": "application/octet-stream",
        },
    )


def local_path_of(blob: Blob) -> Path | None:
    return Path(default_storage.path(blob.storage_name)) if _is_local() else None


def materialise(submission: Submission) -> Path:
    """Lay the submission's files out as a dataset folder under STORAGE_ROOT; returns it.

    Each call builds a fresh folder (a redelivered task never sees a half-written one); the caller
    removes it with ``dematerialise`` when done.
    """
    root = conf.work_root() / "work" / f"submission-{submission.pk}-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True)
    for file in submission.files.select_related("blob"):
        target = root / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = local_path_of(file.blob)
        if source is not None:
            try:
                os.link(source, target)
                continue
            except OSError:
                pass  # another filesystem: copy instead
        with open_blob(file.blob) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, COPY_BUFFER)
    return root


@contextlib.contextmanager
def submission_folder(submission_id: int) -> Iterator[Path]:
    """A dataset version laid out on disk for as long as the caller needs it (the inference
    check's ``INFERENCE_DATASET_RESOLVER``)."""
    folder = materialise(Submission.objects.get(pk=submission_id))
    try:
        yield folder
    finally:
        dematerialise(folder)


def dematerialise(folder: Path) -> None:
    work = (conf.work_root() / "work").resolve()
    if Path(folder).resolve().is_relative_to(work):
        shutil.rmtree(folder, ignore_errors=True)
