"""Writes for the inference check: register policies, request runs, execute them (from the task)."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from config.security import strip_server_paths
from curation.models import InferenceRun, Policy

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_STEPS = 1000  # a bound for requests from the web; the command line can ask for more
# A run the worker lost (out of memory, hard time limit) is redelivered; after this many starts
# it is marked failed instead of being retried forever.
MAX_ATTEMPTS = 2
# A run still "running" this long after its hard time limit has lost its worker.
STALLED_GRACE_S = 5 * 60


def dataset_roots() -> list[Path]:
    """Folders the web may point the check at: the platform's storage (datasets live there)."""
    roots = getattr(settings, "INFERENCE_DATASET_ROOTS", None) or [settings.STORAGE_ROOT]
    return [Path(root).resolve() for root in roots]


def clean_dataset_path(dataset_path: str) -> str:
    """The resolved folder, if it is a dataset folder inside the platform's storage."""
    if not dataset_path or not str(dataset_path).strip():
        raise ValidationError({"dataset_path": "give the dataset's folder"})
    path = Path(str(dataset_path).strip()).expanduser().resolve()
    if not any(path == root or root in path.parents for root in dataset_roots()):
        raise ValidationError(
            {"dataset_path": f"{path} is not inside the platform's dataset storage"}
        )
    if not (path / "meta" / "info.json").is_file():
        raise ValidationError(
            {"dataset_path": f"{path} is not a LeRobot dataset (no meta/info.json)"}
        )
    return str(path)


def dataset_resolver():
    """The configured ``resolver(version_id)`` context manager yielding a dataset folder, or None."""
    dotted = getattr(settings, "INFERENCE_DATASET_RESOLVER", "")
    return import_string(dotted) if dotted else None


@contextlib.contextmanager
def dataset_folder(run: InferenceRun) -> Iterator[str]:
    """The folder to check: the run's ``dataset_path`` when it names one; otherwise the dataset
    version laid out by the configured resolver, and cleaned up afterwards."""
    resolver = dataset_resolver()
    if not run.dataset_path and resolver is not None and run.dataset_version_id is not None:
        with resolver(run.dataset_version_id) as folder:
            yield str(folder)
    else:
        yield run.dataset_path


def policy_create(
    *, name: str, path: str, policy_type: str = "", notes: str = "", vlm_model: str = ""
) -> Policy:
    policy = Policy(name=name, path=path, policy_type=policy_type, notes=notes, vlm_model=vlm_model)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def inference_run_request(
    *,
    dataset_path: str,
    policy: Policy,
    device: str = "auto",
    steps: int = 100,
    dataset_version_id: int | None = None,
    requested_by=None,
) -> tuple[InferenceRun, bool]:
    """Queue a check of ``policy`` on the dataset; returns ``(run, created)``.

    Asking again while the same check is queued or running returns that run instead of a second
    one, so double-clicks and retried API calls cost one GPU run.
    """
    if dataset_version_id is not None and not dataset_path and dataset_resolver() is not None:
        path = ""  # the worker lays the version out (INFERENCE_DATASET_RESOLVER)
    else:
        path = clean_dataset_path(dataset_path)
    if not policy.is_active:
        raise ValidationError({"policy": f"policy {policy.name!r} is inactive"})
    device = (device or "auto").strip().lower()
    if device.split(":", 1)[0] not in DEVICES:
        raise ValidationError({"device": f"unknown device {device!r}: use one of {DEVICES}"})
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValidationError({"steps": f"steps must be between 1 and {MAX_STEPS}"})

    inference_runs_fail_stalled()
    pending = (
        InferenceRun.objects.select_for_update()
        .filter(
            dataset_path=path,
            dataset_version_id=dataset_version_id,
            policy=policy,
            requested_device=device,
            steps=steps,
            status__in=[InferenceRun.Status.QUEUED, InferenceRun.Status.RUNNING],
        )
        .first()
    )
    if pending is not None:
        return pending, False
    run = InferenceRun.objects.create(
        dataset_path=path,
        dataset_version_id=dataset_version_id,
        policy=policy,
        requested_device=device,
        steps=steps,
        requested_by=requested_by,
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run, True


def inference_runs_fail_stalled() -> int:
    """Fail runs still "running" well past the hard time limit: their worker was killed (hard
    limit, out of memory) without a chance to say so. Returns how many were failed."""
    from curation.inference.tasks import TIME_LIMIT

    cutoff = timezone.now() - timedelta(seconds=TIME_LIMIT + STALLED_GRACE_S)
    return InferenceRun.objects.filter(
        status=InferenceRun.Status.RUNNING, started_at__lt=cutoff
    ).update(
        status=InferenceRun.Status.FAILED,
        error="the worker stopped without finishing (killed at the hard time limit, or out of "
        "memory?)",
        finished_at=timezone.now(),
    )


def _enqueue(run_id: int) -> None:
    from curation.inference.tasks import run_inference_check

    run_inference_check.apply_async(args=[run_id], queue="inference")


def _claim(run_id: int) -> InferenceRun | None:
    """Mark the run as running, unless it is finished already (a duplicate delivery)."""
    with transaction.atomic():
        run = (
            InferenceRun.objects.select_for_update()
            .select_related("policy")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.is_finished:
            return None
        if run.attempts >= MAX_ATTEMPTS:
            _finish_failed(
                run,
                f"the worker stopped during {run.attempts} attempts (out of memory, or the hard "
                "time limit?)",
            )
            return None
        run.status = InferenceRun.Status.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.worker = socket.gethostname()[:200]
        run.stage, run.progress = "starting", 0.0
        run.save()
        return run


def _finish_failed(run: InferenceRun, message: str) -> None:
    run.status = InferenceRun.Status.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save()


def inference_run_mark_failed(run_id: int, message: str) -> None:
    with transaction.atomic():
        run = InferenceRun.objects.select_for_update().filter(pk=run_id).first()
        if run is not None and not run.is_finished:
            _finish_failed(run, message)


def inference_run_execute(
    run_id: int, *, reraise: tuple = (), time_limit_s: float | None = None
) -> InferenceRun | None:
    """Run the check for a queued run and store its report. Safe to call twice for one run."""
    from validators.inference import UsageError, check_policy

    run = _claim(run_id)
    if run is None:
        return None

    def progress(stage: str, fraction: float) -> None:
        InferenceRun.objects.filter(pk=run_id).update(stage=stage[:100], progress=fraction)

    try:
        with dataset_folder(run) as folder:
            report = check_policy(
                folder,
                run.policy.path,
                device=run.requested_device,
                steps=run.steps,
                vlm_model=run.policy.vlm_model or None,
                progress=progress,
                reraise=reraise,
                time_limit_s=time_limit_s,
            )
    except reraise:
        raise
    except UsageError as exc:
        # e.g. "cuda" asked for on a worker without a GPU: nothing to retry.
        inference_run_mark_failed(run_id, str(exc))
        return InferenceRun.objects.get(pk=run_id)
    except Exception as exc:  # the resolver could not lay the dataset version out
        logger.exception("inference run %s: dataset version %s", run_id, run.dataset_version_id)
        inference_run_mark_failed(
            run_id, f"dataset version {run.dataset_version_id} cannot be laid out: {exc}"
        )
        return InferenceRun.objects.get(pk=run_id)
    return inference_run_store_report(run_id, report)


@transaction.atomic
def inference_run_store_report(run_id: int, report) -> InferenceRun:
    run = InferenceRun.objects.select_for_update().get(pk=run_id)
    statuses = {
        "ok": InferenceRun.Status.OK,
        "incompatible": InferenceRun.Status.INCOMPATIBLE,
        "failed": InferenceRun.Status.FAILED,
    }
    run.status = statuses[report.status]
    # No server folders in what labs read: paths relative to the dataset, <storage> for the rest.
    run.report = strip_server_paths(report.to_dict(), run.dataset_path or None)
    run.device = report.device or ""
    run.device_name = (report.device_name or "")[:200]
    run.error = strip_server_paths((report.error or {}).get("message", "") if report.error else "")
    run.load_s = report.load_s
    run.first_call_ms = report.first_call_ms
    run.action_p50_ms = report.per_action.p50_ms
    run.action_p95_ms = report.per_action.p95_ms
    run.chunk_p50_ms = report.per_chunk.p50_ms
    run.achieved_hz = report.control.get("achieved_hz")
    run.realtime_verdict = report.control.get("verdict", "")
    run.stage, run.progress = "done", 1.0
    run.finished_at = timezone.now()
    run.save()
    return run
