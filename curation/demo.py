"""Demo content for ``manage.py seed_demo``: two small datasets recorded with lerobot, uploaded by
alice and validated; one is approved (so the catalogue is not empty), one waits for review."""

import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from curation.models import Dataset, Lab, SubmissionState
from curation.services import pipeline, uploads, workflow

DEMO_DATASETS = [
    # slug-title, kwargs for make_v30_dataset, domain, publish?
    (
        "Pick the cube (SO-101)",
        {"episodes": 3, "frames": 20, "tasks": ("pick the cube",)},
        "manipulation",
        True,
    ),
    (
        "Sort the blocks (SO-101)",
        {"episodes": 2, "frames": 16, "tasks": ("put the red block in the bin", "sort the blocks")},
        "manipulation",
        False,
    ),
]


def seed(stdout=None) -> None:
    from validators.synthetic import make_v30_dataset  # the same recorder the tests use

    User = get_user_model()
    alice = User.objects.filter(username="alice").first()
    carol = User.objects.filter(username="carol").first()
    lab = Lab.objects.filter(slug="manipulation-lab").first()
    if not (alice and carol and lab):
        return
    for title, kwargs, domain, publish in DEMO_DATASETS:
        if Dataset.objects.filter(lab=lab, title=title).exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = make_v30_dataset(Path(tmp) / "ds", **kwargs)
            submission = workflow.submission_create(
                user=alice,
                lab=lab,
                title=title,
                domain=domain,
                description="Demo data recorded with lerobot.",
            )
            uploads.ingest_folder(submission, folder)
        with transaction.atomic():
            submission = workflow.submission_submit(submission_id=submission.pk, user=alice)
        # Run the pipeline here rather than through a worker: seeding must not need one running.
        pipeline.pipeline_run(submission.pk, submission.pipeline_run)
        submission.refresh_from_db()
        if publish and submission.state == SubmissionState.READY_FOR_REVIEW:
            try:
                workflow.submission_approve(submission_id=submission.pk, user=carol, reason="demo")
            except workflow.WorkflowError as exc:
                if stdout:
                    stdout.write(f"demo dataset {title}: not approved ({exc})")
        if stdout:
            submission.refresh_from_db()
            stdout.write(f"demo dataset: {title} ({submission.get_state_display()})")
