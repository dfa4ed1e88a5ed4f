"""Curation fixtures: submissions in each state, reached through the real services."""

import io

import pytest

from curation.services import storage, workflow
from curation.services.uploads import upload_append, upload_start

INFO_JSON = b'{"codebase_version": "v3.0", "fps": 10}'


def report_dict(
    *,
    errors=0,
    warnings=0,
    episodes=2,
    robot_type="so101_follower",
    cameras=("observation.images.wrist",),
    tasks=("pick the cube",),
):
    """A report shaped like ``validators.Report.to_dict()``, for workflow tests that need one
    without running validation (the pipeline tests run the real validator)."""
    findings = [
        {"code": "E1", "severity": "error", "message": "bad", "location": {"file": "data/x"}}
    ] * errors + [
        {"code": "W1", "severity": "warning", "message": "meh", "location": {"episode": 1}}
    ] * warnings
    return {
        "valid": errors == 0,
        "codebase_version": "v3.0",
        "summary": {
            "episodes": episodes,
            "frames": episodes * 12,
            "fps": 10,
            "robot_type": robot_type,
            "codebase_version": "v3.0",
            "layout": "v3",
            "tasks": list(tasks),
            "cameras": [
                {
                    "key": k,
                    "height": 48,
                    "width": 64,
                    "channels": 3,
                    "codec": "av1",
                    "fps": 10,
                    "pix_fmt": "yuv420p",
                }
                for k in cameras
            ],
            "features": {"action": {"dtype": "float32", "shape": [6], "names": None}},
            "episode_lengths": [12] * episodes,
            "data_files": 1,
            "video_files": len(cameras),
            "total_bytes": 1000,
            "has_stats": True,
            "has_quantiles": False,
        },
        "findings": findings,
    }


def add_file(submission, user, path="meta/info.json", content=INFO_JSON):
    session = upload_start(
        submission=submission, user=user, kind="file", path=path, size=len(content)
    )
    return upload_append(
        token=session.token, user=user, offset=0, stream=io.BytesIO(content), length=len(content)
    )


@pytest.fixture
def draft(lab_member, lab):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Pick and place")
    add_file(submission, lab_member)
    return submission


def to_ready(submission, user, **report_kw):
    """Submit, then finish validation with the given report (what the pipeline does)."""
    from django.db import transaction

    with (
        transaction.atomic()
    ):  # on_commit (the pipeline message) is dropped in non-transactional tests
        workflow.submission_submit(submission_id=submission.pk, user=user)
    return workflow.submission_validation_finished(
        submission_id=submission.pk, report=report_dict(**report_kw)
    )


@pytest.fixture
def ready(draft, lab_member):
    return to_ready(draft, lab_member)


__all__ = ["add_file", "report_dict", "storage", "to_ready"]


@pytest.fixture(scope="session")
def v30_dataset(tmp_path_factory):
    """One small real v3.0 dataset (2 episodes, 1 camera) recorded with lerobot, built once."""
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(tmp_path_factory.mktemp("lerobot") / "pick_place")
