"""The validation and indexing pipeline of one submission, run by ``curation.tasks.run_pipeline``.

Steps: fetch (unpack the archive, copy a server folder or download a Hub repo into the blob store)
→ materialise (lay the files out as a folder) → validate (``validators.validate``) → store the
report → queue the episode visualizer's build (``curation.tasks.build_visualizer``). Progress goes
to the submission row, which the status endpoint polls. The function is idempotent: a stale or repeated message (another run number, or a submission no longer validating)
does nothing, and each run works in its own folder.
"""

import logging
import shutil
import time
from pathlib import Path

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from config.security import strip_server_paths
from curation import conf
from curation.models import Submission, SubmissionState
from curation.services import archives, quotas, storage, uploads, workflow

logger = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.5


class Progress:
    """Writes (step, done, total) to the submission row, at most every PROGRESS_INTERVAL_S.

    Each write is also the run's heartbeat (``progress_updated_at``) for the sweeper. Only the current run
    writes: a run the sweeper has replaced cannot overwrite its successor's progress."""

    def __init__(self, submission_id: int, run_id: int | None = None):
        self.submission_id = submission_id
        self.run_id = run_id
        self.last = 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_S and done < total:
            return
        self.last = now
        rows = Submission.objects.filter(pk=self.submission_id)
        if self.run_id is not None:
            rows = rows.filter(pipeline_run=self.run_id)
        try:
            rows.update(
                progress_step=step[:80],
                progress_done=max(done, 0),
                progress_total=max(total, 0),
                progress_updated_at=timezone.now(),
            )
        except DB_ERRORS:
            # Progress is best effort: a database restart must not fail the validation itself.
            # Drop the broken connection; the next write opens a fresh one.
            logger.warning(
                "pipeline %s: progress not saved (database unavailable)", self.submission_id
            )
            connection.close()


def _current(submission_id: int, run_id: int) -> Submission | None:
    submission = Submission.objects.select_related("dataset__lab").filter(pk=submission_id).first()
    if submission is None or submission.state != SubmissionState.VALIDATING:
        return None
    if submission.pipeline_run != run_id:
        return None
    return submission


def fetch(submission: Submission, progress) -> None:
    """Bring the submission's content into the blob store, whatever its source."""
    if submission.pending_archive:
        stored = submission.pending_archive
        if not storage.archive_exists(stored):
            raise uploads.UploadError("the uploaded archive is missing; upload it again")
        progress("check archive", 0, 1)
        # Unpack with no transaction open (issue 19, H3): unpacking takes as long as it takes,
        # and no one else's write may wait for it. Only the result is recorded, in one short
        # transaction; blobs of a refused archive are left for the blob collector.
        unpacked = []

        def room_for(members) -> None:  # the lab's and the user's quotas, before any byte lands
            quotas.check_room(
                user=submission.submitted_by,
                submission=submission,
                adding=sum(m.size for m in members),
                what=f"unpacking {submission.source_ref or 'the archive'}",
            )

        with storage.archive_local(stored) as archive_path:
            archives.ingest(
                archive_path,
                lambda member, blob: unpacked.append((member, blob)),
                progress,
                before_unpack=room_for,
            )
        with transaction.atomic():
            submission.files.all().delete()  # an archive replaces the whole file set
            for member, blob in unpacked:
                storage.submission_file_set(submission, member.name, blob)
            submission.pending_archive = ""
            submission.save(update_fields=["pending_archive"])
        storage.archive_delete(stored)
    elif submission.source == "path" and not submission.files.exists():
        folder = uploads.resolve_import_path(submission.source_ref)
        uploads.ingest_folder(submission, folder, progress)
    elif submission.source == "hub" and not submission.files.exists():
        progress("download from the Hub", 0, 1)
        folder = uploads.hub_download(submission.source_ref)
        try:
            uploads.ingest_folder(submission, folder, progress)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if not submission.files.exists():
        raise uploads.UploadError("the submission has no files")


DB_ERRORS = (OperationalError, InterfaceError)
DB_RETRY_DELAYS_S = (0.5, 1, 2, 4, 8, 15)


def with_db_retry(write, what: str):
    """Run a database write, riding out a database restart: on a lost connection, close it and
    try again with a fresh one (about 30 s in all) before giving up."""
    for delay in (*DB_RETRY_DELAYS_S, None):
        try:
            return write()
        except DB_ERRORS:
            if delay is None:
                raise
            logger.warning(
                "pipeline: %s failed (database unavailable); retrying in %ss", what, delay
            )
            connection.close()
            time.sleep(delay)
    return None


def _start_attempt(submission_id: int, run_id: int) -> int | None:
    """Count one more start of this validation; None when the run is stale or finished."""
    with transaction.atomic():
        updated = Submission.objects.filter(
            pk=submission_id, state=SubmissionState.VALIDATING, pipeline_run=run_id
        ).update(
            pipeline_attempts=F("pipeline_attempts") + 1,
            progress_updated_at=timezone.now(),
            progress_step="started",
        )
        if not updated:
            return None
        return Submission.objects.values_list("pipeline_attempts", flat=True).get(pk=submission_id)


def pipeline_run(submission_id: int, run_id: int) -> None:
    submission = _current(submission_id, run_id)
    if submission is None:
        logger.info("pipeline %s/%s: nothing to do (stale or finished)", submission_id, run_id)
        return
    attempts = _start_attempt(submission_id, run_id)
    if attempts is None:
        return
    if attempts > conf.pipeline_max_attempts():
        # The message came back after its worker died this many times (late acknowledgement):
        # the dataset itself most likely kills the worker. Stop here, say so, free the files.
        workflow.submission_validation_abandoned(
            submission_id=submission_id,
            error=(
                f"validation was started {attempts - 1} times and its worker stopped each time "
                "(crashed, killed or ran out of memory) before it finished; check the dataset's "
                "largest files, then submit again"
            ),
        )
        return
    progress = Progress(submission_id, run_id)
    try:
        fetch(submission, progress)
    except (
        archives.ArchiveError,
        uploads.UploadError,
        storage.UnsafePath,
        quotas.QuotaExceeded,
    ) as exc:
        error = str(exc)
        if submission.pending_archive:
            # The stored archive is named "<upload token>-<name>": say the name the lab uploaded,
            # and never show the token.
            stored = Path(submission.pending_archive).name
            error = error.replace(stored, submission.source_ref or "the archive")
        workflow.submission_upload_failed(submission_id=submission_id, error=error)
        return

    progress("prepare folder", 0, 1)
    folder = storage.materialise(submission)
    try:
        try:
            from validators import validate
        except ImportError as exc:  # deployment problem, not the dataset's: say so plainly
            raise RuntimeError(f"the validator is not installed ({exc})") from exc
        # Advice names the submitter's copy by the dataset's name, never the server folder
        # ("submission-12-3f9a...") it is checked in; any other path is made relative to it.
        report = validate(
            folder,
            progress=progress,
            name=submission.dataset.slug,
            decode_video=conf.video_decode_mode(submission.dataset.lab.slug),
        )
        report_dict = strip_server_paths(report.to_dict(), folder)
        error = ""
    except Exception as exc:
        logger.exception("pipeline %s/%s: validation crashed", submission_id, run_id)
        error = strip_server_paths(f"validation could not run: {type(exc).__name__}: {exc}", folder)
        report_dict = None
    finally:
        storage.dematerialise(folder)
    if with_db_retry(lambda: _current(submission_id, run_id), "reading the submission") is None:
        return  # withdrawn or superseded while we worked
    # Hours of validation must not be lost to a database restart at the last moment.
    with_db_retry(
        lambda: workflow.submission_validation_finished(
            submission_id=submission_id, report=report_dict, error=error
        ),
        "saving the report",
    )
    if report_dict is not None:
        # The episode visualizer's heavy work (series, flags, frames), once per version, in its
        # own task: the report is not held back by it, and a failed build never fails validation.
        from curation.tasks import build_visualizer

        transaction.on_commit(
            lambda: build_visualizer.apply_async(args=[submission_id], queue="validation")
        )
