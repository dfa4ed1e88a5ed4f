"""Getting files into a submission: resumable uploads, server-side paths and Hub repos.

Resumable upload protocol (the web uploader and ``curl`` both speak it; see curation/README.md):
1. ``upload_start`` declares a file (or an archive) and its size, and returns a token;
2. ``upload_append`` writes a chunk at the offset the server reports, streaming it to a part file
   under STORAGE_ROOT (never into memory);
3. after a broken connection the client asks for the offset (``upload_status``) and continues;
4. the last chunk turns the part file into a blob (a file) or a pending archive (unpacked by the
   pipeline, see ``curation.services.archives``).
"""

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.http import UnreadablePostError
from django.utils import timezone

from config.security import body_read_timeout
from curation import conf, policies
from curation.models import Submission, UploadSession
from curation.services.archives import ARCHIVE_SUFFIXES
from curation.services.storage import (
    UnsafePath,
    archive_delete,
    archive_keep,
    blob_from_path,
    check_layout,
    safe_relative_path,
    submission_file_set,
)
from curation.services.workflow import PermissionDenied, WorkflowError, audit

WRITE_BUFFER = 1024 * 1024
# The stored archive is named "<token>-<name>"; file systems allow 255 bytes per name.
MAX_ARCHIVE_NAME_BYTES = 200


class UploadError(WorkflowError):
    pass


class OffsetMismatch(UploadError):
    def __init__(self, expected: int):
        super().__init__(f"this upload continues at offset {expected}")
        self.expected = expected


def _parts_dir() -> Path:
    path = conf.work_root() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def part_path(session: UploadSession) -> Path:
    return _parts_dir() / f"{session.token}.part"


def _check_editable(user, submission: Submission) -> None:
    if not policies.can_edit_files(user, submission):
        if policies.can_view_submission(user, submission) and policies.can_create_in_lab(
            user, submission.dataset.lab
        ):
            raise UploadError(
                f"files are locked while the submission is {submission.get_state_display().lower()}"
            )
        raise PermissionDenied("you cannot change this submission's files")


def upload_start(*, submission: Submission, user, kind: str, path: str, size: int) -> UploadSession:
    _check_editable(user, submission)
    if size < 0 or size > conf.upload_max_bytes():
        raise UploadError(
            f"size {size} is outside the allowed range (0 to {conf.upload_max_bytes()} bytes)"
        )
    if kind == UploadSession.Kind.FILE:
        try:
            path = check_layout(path)
        except UnsafePath as exc:
            raise UploadError(str(exc)) from exc
    elif kind == UploadSession.Kind.ARCHIVE:
        name = Path(path).name
        if not name.lower().endswith(ARCHIVE_SUFFIXES):
            raise UploadError(f"{name}: archives must be .zip, .tar, .tar.gz or .tgz")
        if len(name.encode()) > MAX_ARCHIVE_NAME_BYTES:
            raise UploadError(
                f"{name[:40]}...: archive names are limited to {MAX_ARCHIVE_NAME_BYTES} bytes; "
                "rename the file and upload it again"
            )
        path = name
    else:
        raise UploadError(f"unknown upload kind {kind!r} (use 'file' or 'archive')")
    from curation.services.quotas import check_room

    check_room(user=user, submission=submission, adding=size, what=f"uploading {path}")
    session = UploadSession.objects.create(
        token=secrets.token_urlsafe(24),
        submission=submission,
        created_by=user,
        kind=kind,
        path=path,
        size=size,
    )
    part_path(session).touch()
    if size == 0:
        session = _complete(session)
    return session


def upload_get(*, token: str, user) -> UploadSession:
    session = (
        UploadSession.objects.select_related("submission__dataset__lab").filter(token=token).first()
    )
    if session is None or session.created_by_id != user.pk:
        raise PermissionDenied("no such upload")
    return session


def upload_append(*, token: str, user, offset: int, stream, length: int) -> UploadSession:
    """Write ``length`` bytes read from ``stream`` at ``offset``; idempotent for a retried chunk.

    The body is read with no transaction open and no lock held (issue 19, H2): a client that
    stalls mid-chunk holds up its own request only, never another user's writes. The chunk goes
    to a file of its own; only then is the session locked, briefly, to check the offset again,
    append the chunk to the part file (a local copy of at most one chunk) and record the offset.
    """
    session = upload_get(token=token, user=user)
    if session.completed_at is None and session.offset == session.size and session.size > 0:
        return _complete(session)  # a completion cut short (crash, lost race): finish it now
    _check_chunk(session, user, offset, length)
    chunk = _parts_dir() / f"{session.token}.{secrets.token_hex(6)}.chunk"
    try:
        received = receive_body(stream, chunk, length)
        with transaction.atomic():
            session = (
                UploadSession.objects.select_for_update()
                .select_related("submission__dataset__lab")
                .get(pk=session.pk)
            )
            _check_chunk(session, user, offset, length)  # another request may have moved on
            if session.completed_at is not None:
                return session
            _append_chunk(part_path(session), offset, chunk, received)
            session.offset = offset + received
            session.save(update_fields=["offset", "updated_at"])
    finally:
        with contextlib.suppress(FileNotFoundError):
            chunk.unlink()
    # A short body (broken or stalled connection) keeps what arrived; the client resumes at the
    # offset it is told.
    if session.offset == session.size:
        return _complete(session)
    return session


def _check_chunk(session: UploadSession, user, offset: int, length: int) -> None:
    if session.completed_at is not None:
        if offset + length == session.size:
            return  # the last chunk, sent again after a lost response
        raise UploadError("this upload is already complete")
    _check_editable(user, session.submission)
    if offset != session.offset:
        raise OffsetMismatch(session.offset)
    if length < 0 or offset + length > session.size:
        raise UploadError(
            f"chunk of {length} bytes at {offset} goes past the declared size {session.size}"
        )


def receive_body(stream, target: Path, length: int) -> int:
    """Copy up to ``length`` bytes of a request body to ``target``; returns how many arrived.

    Each read waits at most UPLOAD_READ_TIMEOUT_SECONDS (``body_read_timeout``): a client that
    stops sending ends its own request with what it sent so far, and resumes from there."""
    written = 0
    with body_read_timeout(stream, conf.upload_read_timeout_seconds()), open(target, "wb") as out:
        while written < length:
            try:
                data = stream.read(min(WRITE_BUFFER, length - written))
            except (TimeoutError, OSError, UnreadablePostError):
                break  # stalled or broken connection: keep what arrived
            if not data:
                break
            out.write(data)
            written += len(data)
    return written


def _append_chunk(part: Path, offset: int, chunk: Path, size: int) -> None:
    with open(part, "r+b" if part.exists() else "wb") as out, open(chunk, "rb") as source:
        out.seek(offset)
        shutil.copyfileobj(source, out, WRITE_BUFFER)
        out.truncate(offset + size)


def _complete(session: UploadSession) -> UploadSession:
    """Turn a fully received part file into a blob or a pending archive.

    Hashing a large file takes a while, so it happens before the (short) transaction that records
    the result. Two requests racing to complete the same upload: the one that finds the part file
    gone reports the other's result."""
    part = part_path(session)
    try:
        if session.kind == UploadSession.Kind.FILE:
            blob = blob_from_path(part, move=True)
            target = None
        else:
            # Kept in storage (a local folder or the S3 bucket) until the pipeline unpacks it.
            target = archive_keep(part, session.submission, f"{session.token}-{session.path}")
    except FileNotFoundError:
        session.refresh_from_db()
        if session.completed_at is None:
            raise UploadError("this upload is being completed; ask for its status again") from None
        return session
    with transaction.atomic():
        session = (
            UploadSession.objects.select_for_update()
            .select_related("submission")
            .get(pk=session.pk)
        )
        if session.completed_at is not None:
            return session
        submission = session.submission
        if target is None:
            submission_file_set(submission, session.path, blob)
            audit(
                submission,
                actor=session.created_by,
                action="upload_file",
                path=session.path,
                sha256=blob.sha256,
                size=blob.size,
            )
        else:
            old = submission.pending_archive
            submission.pending_archive = target
            submission.source, submission.source_ref = "archive", session.path
            submission.save(update_fields=["pending_archive", "source", "source_ref"])
            if old and old != target:
                archive_delete(old)
            audit(
                submission,
                actor=session.created_by,
                action="upload_archive",
                path=session.path,
                size=session.size,
            )
        session.completed_at = timezone.now()
        session.save(update_fields=["completed_at", "updated_at"])
    return session


def upload_cancel(*, token: str, user) -> None:
    session = upload_get(token=token, user=user)
    with contextlib.suppress(FileNotFoundError):
        part_path(session).unlink()
    session.delete()


@transaction.atomic
def submission_remove_file(*, submission: Submission, user, path: str) -> int:
    """Remove one file, or a whole folder when ``path`` names one (``data/chunk-001``)."""
    _check_editable(user, submission)
    folder = path.strip("/") + "/"
    removed, _ = submission.files.filter(Q(path=path) | Q(path__startswith=folder)).delete()
    audit(submission, actor=user, action="remove_file", path=path, files=removed)
    return removed


@transaction.atomic
def submission_remove_archive(*, submission: Submission, user) -> str:
    """Drop the uploaded archive waiting to be unpacked (one that failed, or the wrong one)."""
    _check_editable(user, submission)
    if not submission.pending_archive:
        raise UploadError("there is no uploaded archive to remove")
    name = submission.source_ref or Path(submission.pending_archive).name
    with contextlib.suppress(FileNotFoundError):
        Path(submission.pending_archive).unlink()
    submission.pending_archive = ""
    submission.source, submission.source_ref = "upload", ""
    submission.last_error = ""
    submission.save(update_fields=["pending_archive", "source", "source_ref", "last_error"])
    audit(submission, actor=user, action="remove_archive", path=name)
    return name


# --- server-side paths and Hub repos --------------------------------------------------------------


def resolve_import_path(raw: str) -> Path:
    """The folder ``raw`` if it lies inside one of DATASET_IMPORT_ROOTS, else a clear error."""
    roots = conf.import_roots()
    if not roots:
        raise UploadError("importing from server paths is disabled (DATASET_IMPORT_ROOTS is empty)")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise UploadError(f"{raw}: give an absolute path")
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise UploadError(
            f"{raw}: outside the allowed import roots ({', '.join(str(r) for r in roots)})"
        )
    if not resolved.is_dir():
        raise UploadError(f"{raw}: no such folder")
    return resolved


@transaction.atomic
def submission_set_source(*, submission: Submission, user, source: str, ref: str) -> Submission:
    """Register a server path or a Hub repo id; the pipeline copies the files in."""
    _check_editable(user, submission)
    if source == "path":
        ref = str(resolve_import_path(ref))
    elif source == "hub":
        ref = hub_repo_id_check(ref)
    else:
        raise UploadError(f"unknown source {source!r}")
    submission.source, submission.source_ref = source, ref
    submission.pending_archive = ""
    submission.save(update_fields=["source", "source_ref", "pending_archive"])
    audit(submission, actor=user, action=f"register_{source}", ref=ref)
    return submission


HUB_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}")


def hub_repo_id_check(raw: str) -> str:
    """``raw`` as a Hub dataset repo id (``namespace/name``), checked against the Hub's own rules
    (huggingface_hub's ``validate_repo_id``) and limited to ASCII; anything else is refused with a
    message that never repeats the raw text (it may be markup meant for a curator's browser)."""
    ref = (raw or "").strip()
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(ref)
        valid = bool(HUB_REPO_ID.fullmatch(ref))
    except HFValidationError:
        valid = False
    if not valid:
        raise UploadError(
            "not a Hub dataset repo id: it looks like 'lab/dataset-name' (letters, digits, '-', "
            "'_' and '.', at most 96 characters each side, no '--' or '..')"
        )
    return ref


SKIPPED_DIRS = {".git", ".cache", ".huggingface"}


def ingest_folder(submission: Submission, folder: Path, progress=None) -> int:
    """Copy every file of ``folder`` into the blob store; links and unknown files are refused."""
    folder = Path(folder)
    files = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                raise UploadError(f"{Path(dirpath, d).relative_to(folder)}: links are not allowed")
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(folder).as_posix()
            if full.is_symlink() or not full.is_file():
                raise UploadError(f"{rel}: links and special files are not allowed")
            try:
                files.append((check_layout(safe_relative_path(rel)), full))
            except UnsafePath as exc:
                raise UploadError(str(exc)) from exc
    if not files:
        raise UploadError(f"{folder}: the folder has no dataset files")
    # Copy first, with no transaction open (a large folder takes minutes); then record the whole
    # file set at once, in a short transaction.
    stored = []
    for i, (rel, full) in enumerate(files, 1):
        stored.append((rel, blob_from_path(full)))
        if progress:
            progress("copy files", i, len(files))
    with transaction.atomic():
        for rel, blob in stored:
            submission_file_set(submission, rel, blob)
    return len(files)


def hub_download(repo_id: str, revision: str | None = None) -> Path:
    """Download a dataset repo with huggingface_hub (honours HF_ENDPOINT) into a work folder."""
    from huggingface_hub import snapshot_download

    repo_id = hub_repo_id_check(repo_id)  # also for ids registered before the check existed

    target = conf.work_root() / "hub" / (repo_id.replace("/", "__") + "-" + secrets.token_hex(4))
    target.mkdir(parents=True, exist_ok=True)
    try:
        snapshot_download(
            repo_id=repo_id,
            repo_type="dataset",
            revision=revision,
            local_dir=target,
            # Read at call time, so a worker started before HF_ENDPOINT changed still honours it.
            endpoint=os.environ.get("HF_ENDPOINT") or None,
        )
    except Exception as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise UploadError(f"could not download {repo_id} from the Hub: {exc}") from exc
    return target
