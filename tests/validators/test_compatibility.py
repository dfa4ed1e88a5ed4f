"""Which lerobot releases can load a dataset: every report says so, with the reason where not."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from validators import validate
from validators.compatibility import assess, known_bugs, recorded_with
from validators.synthetic import make_v30_dataset

from .conftest import edit_info, first_data_file


def releases(report) -> dict[str, bool]:
    return {r: v["loads"] for r, v in report.compatibility["releases"].items()}


@pytest.fixture(scope="module")
def language_dataset(tmp_path_factory):
    """Recorded by lerobot 0.6.1 with its language columns declared (left empty until annotated)."""
    return make_v30_dataset(tmp_path_factory.mktemp("lang") / "so101_talk", language=True)


@pytest.fixture(scope="module")
def depth_dataset(tmp_path_factory):
    return make_v30_dataset(tmp_path_factory.mktemp("depth") / "so101_depth", depth=True)


def test_a_plain_v30_recording_loads_everywhere(base_datasets):
    report = validate(base_datasets["v30"], workers=1)
    assert releases(report) == {"0.4.x": True, "0.5.x": True, "0.6.x": True}
    assert all(not v["reasons"] for v in report.compatibility["releases"].values())
    assert report.compatibility["recorded_with"] is None
    assert report.compatibility["known_bugs"] == []


def test_language_columns_need_lerobot_06(language_dataset):
    report = validate(language_dataset, workers=1)
    assert report.valid, [(f.code, f.message) for f in report.errors]
    assert releases(report) == {"0.4.x": False, "0.5.x": False, "0.6.x": True}
    [reason] = report.compatibility["releases"]["0.5.x"]["reasons"]
    assert "language_persistent" in reason and "0.6.0" in reason


def test_depth_maps_load_in_older_releases_but_not_as_depths(depth_dataset):
    report = validate(depth_dataset, workers=1)
    assert report.valid, [(f.code, f.message) for f in report.errors]
    assert releases(report) == {"0.4.x": True, "0.5.x": True, "0.6.x": True}
    [caveat] = report.compatibility["releases"]["0.4.x"]["caveats"]
    assert "observation.images.depth" in caveat and "not depths" in caveat
    assert report.compatibility["releases"]["0.6.x"]["caveats"] == []


def test_v21_loads_nowhere_and_says_how_to_convert(base_datasets):
    report = validate(base_datasets["v21"], workers=1)
    assert releases(report) == {"0.4.x": False, "0.5.x": False, "0.6.x": False}
    [reason] = report.compatibility["releases"]["0.6.x"]["reasons"]
    assert "v2.1" in reason and "lerobot.scripts.convert_dataset_v21_to_v30" in reason
    assert str(base_datasets["v21"].parent) not in reason  # the user's copy, not our path


def test_undeclared_language_columns_block_every_release(language_dataset, tmp_path):
    import shutil

    root = tmp_path / "undeclared"
    shutil.copytree(language_dataset, root)
    info = json.loads((root / "meta/info.json").read_text())
    info["features"].pop("language_persistent")
    info["features"].pop("language_events")
    (root / "meta/info.json").write_text(json.dumps(info))
    assert "language_persistent" in pq.read_schema(first_data_file(root)).names
    report = validate(root, workers=1)
    assert releases(report) == {"0.4.x": False, "0.5.x": False, "0.6.x": False}
    assert any(
        "does not declare" in r for r in report.compatibility["releases"]["0.6.x"]["reasons"]
    )


def test_known_bugs_of_the_recording_release(dataset):
    root = dataset("v30")
    edit_info(root, lerobot_version="0.4.3")
    report = validate(root, workers=1)
    assert report.compatibility["recorded_with"] == "0.4.3"
    issues = {bug["issue"] for bug in report.compatibility["known_bugs"]}
    assert "huggingface/lerobot#4109" in issues
    assert all(bug["fixed_in"] == "0.6.1" for bug in report.compatibility["known_bugs"])


@pytest.mark.parametrize(
    ("version", "has_4109", "count"),
    [
        ("0.4.2", False, 4),
        ("0.4.3", True, 5),
        ("0.6.0", True, 5),
        ("0.6.1", False, 0),
        ("0.3.3", False, 0),
    ],
)
def test_known_bugs_by_release(version, has_4109, count):
    bugs = known_bugs(version)
    assert len(bugs) == count
    assert any(b["issue"].endswith("#4109") for b in bugs) == has_4109


def test_the_release_is_read_from_info_or_the_card():
    assert recorded_with({"lerobot_version": "v0.5.1"}, None) == "0.5.1"
    card = "| Steps | 100 |\n| LeRobot version | 0.4.4 |\n"
    assert recorded_with({}, card) == "0.4.4"
    assert recorded_with({"lerobot_version": 5}, "no version here") is None
    assert recorded_with(None, None) is None


def test_odd_feature_shapes_never_break_the_assessment():
    verdict = assess(
        codebase_version=None,
        features={"a": "not a dict", "b": {"dtype": "language"}, "c": {"info": "string"}},
        data_columns=None,
    )
    assert verdict["releases"]["0.6.x"]["loads"] is False  # no codebase_version
    assert verdict["releases"]["0.4.x"]["reasons"][-1].startswith("language columns b")


def test_json_and_text_output_carry_the_section(language_dataset):
    out = subprocess.run(
        [sys.executable, "-m", "validators", str(language_dataset), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["compatibility"]["releases"]["0.4.x"]["loads"] is False
    text = subprocess.run(
        [sys.executable, "-m", "validators", str(language_dataset)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "LEROBOT COMPATIBILITY" in text and "lerobot 0.4.x: cannot load" in text
