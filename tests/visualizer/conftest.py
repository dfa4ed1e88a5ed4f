"""Visualizer fixtures: small datasets recorded with lerobot (v3.0) or written in the v2.x layouts,
published through the real services, with the visualizer built the way the pipeline builds it."""

import shutil

import pytest
from django.db import transaction

from curation.services import storage, uploads, workflow
from curation.visualizer import store


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """One v3.0 dataset recorded with lerobot: 3 episodes of 20 frames, one camera, and one with
    a damaged episode (a frozen stretch and a jump) for the flags."""
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(tmp_path_factory.mktemp("vis") / "pick_place", episodes=3, frames=20)


def publish_folder(folder, user, lab, curator, title="Pick and place", approve=True):
    """Upload a folder, validate it in-process, build the visualizer and (optionally) approve."""
    from validators import validate

    submission = workflow.submission_create(user=user, lab=lab, title=title)
    uploads.ingest_folder(submission, folder)
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)
    work = storage.materialise(submission)
    try:
        report = validate(work).to_dict()
        store.version_index(submission.pk, work, report)
    finally:
        storage.dematerialise(work)
    submission = workflow.submission_validation_finished(submission_id=submission.pk, report=report)
    if approve:
        submission = workflow.submission_approve(submission_id=submission.pk, user=curator)
    return submission


def copy_of(folder, tmp_path, name="copy"):
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


@pytest.fixture(autouse=True)
def _fresh_visualizer_storage():
    """Visualizer files are keyed by submission id, and ids restart with each test's database:
    every test starts without earlier tests' builds."""
    store._delete_tree(store.ROOT)
