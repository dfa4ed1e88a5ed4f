"""Reads for the inference check."""

from __future__ import annotations

from django.db.models import QuerySet

from curation.models import InferenceRun, Policy
from curation.roles import is_curator


def policy_list(*, active_only: bool = True) -> QuerySet[Policy]:
    policies = Policy.objects.all()
    return policies.filter(is_active=True) if active_only else policies


def inference_runs_visible_to(user) -> QuerySet[InferenceRun]:
    """The submission visibility rule, applied to runs (issue 19, M1): curators see every run;
    anyone else only runs on dataset versions they may see (their lab's, or published). Runs on
    server folders are curators' own tools and stay with them."""
    runs = InferenceRun.objects.select_related("policy", "requested_by")
    if user is not None and user.is_authenticated and is_curator(user):
        return runs
    if user is None or not user.is_authenticated:
        return runs.none()
    from curation.selectors import submissions_visible_to

    visible = submissions_visible_to(user).order_by().values("pk")
    return runs.filter(dataset_version_id__in=visible)


def inference_run_list(
    *, user, dataset_path: str | None = None, dataset_version_id: int | None = None
) -> QuerySet[InferenceRun]:
    runs = inference_runs_visible_to(user)
    if dataset_path:
        from pathlib import Path

        runs = runs.filter(dataset_path=str(Path(dataset_path).expanduser().resolve()))
    if dataset_version_id is not None:
        runs = runs.filter(dataset_version_id=dataset_version_id)
    return runs


def can_request_inference(user) -> bool:
    """Runs cost accelerator time: curators (and staff) ask for them."""
    return bool(user and user.is_authenticated and is_curator(user))


def inference_panel_context(user, *, dataset_path=None, dataset_version_id=None, limit=5) -> dict:
    """What ``_inference_panel.html`` shows for one dataset."""
    runs = []
    if dataset_path or dataset_version_id is not None:
        runs = list(
            inference_run_list(
                user=user, dataset_path=dataset_path, dataset_version_id=dataset_version_id
            )[:limit]
        )
    return {
        "runs": runs,
        "policies": list(policy_list()),
        "can_request": can_request_inference(user),
        "dataset_path": dataset_path or "",
        "dataset_version_id": dataset_version_id,
        "devices": ["auto", "cpu", "cuda", "mps"],
    }
