"""Layout, version and info.json checks."""

import json
import os

import pytest

from tests.validators.conftest import DELETE, edit_feature, edit_info, first_data_file
from validators import validate


def codes(root):
    return validate(root, workers=1).codes()


def test_a_folder_without_lerobot_files_is_not_lerobot(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    report = validate(tmp_path)
    assert report.codes() == {"not_lerobot"}
    assert not report.valid


def test_an_empty_folder_is_not_lerobot(tmp_path):
    assert validate(tmp_path).codes() == {"not_lerobot"}


def test_a_path_that_is_not_a_folder_raises(tmp_path):
    with pytest.raises(NotADirectoryError):
        validate(tmp_path / "missing")


def test_missing_info_json(dataset):
    root = dataset("v30")
    (root / "meta/info.json").unlink()
    assert "info.missing" in codes(root)


def test_unparseable_info_json(dataset):
    root = dataset("v30")
    (root / "meta/info.json").write_text("{not json")
    report = validate(root)
    assert "info.invalid" in report.codes()
    assert "not valid JSON" in report.by_code("info.invalid")[0].message


def test_zero_byte_info_json(dataset):
    root = dataset("v30")
    (root / "meta/info.json").write_bytes(b"")
    assert {"file.empty", "info.invalid"} <= codes(root)


@pytest.mark.parametrize("version", ["banana", "v1.6", "1.0"])
def test_unsupported_version(dataset, version):
    root = dataset("v30")
    edit_info(root, codebase_version=version)
    assert "version.unsupported" in codes(root)


@pytest.mark.parametrize("version", ["v3.1", "3.0", "v4.0"])
def test_unknown_spelling_or_future_version_is_checked_as_v3(dataset, version):
    root = dataset("v30")
    edit_info(root, codebase_version=version)
    report = validate(root, workers=1)
    assert report.codebase_version == "v3.0"
    assert report.by_code("version.unknown")[0].severity == "warning"
    assert report.valid


def test_fps_as_a_float_is_a_warning(dataset):
    root = dataset("v30")
    edit_info(root, fps=10.0)
    report = validate(root, workers=1)
    assert report.valid
    assert report.by_code("info.fps_not_integer")[0].severity == "warning"


@pytest.mark.parametrize("fps", [0, -5, "ten", None])
def test_fps_must_be_a_positive_number(dataset, fps):
    root = dataset("v21")
    edit_info(root, fps=fps)
    assert "info.invalid" in codes(root)


def test_missing_robot_type_is_a_warning(dataset):
    root = dataset("v30")
    edit_info(root, robot_type=DELETE)
    report = validate(root, workers=1)
    assert report.valid
    assert "info.robot_type_missing" in report.codes()


def test_missing_required_field(dataset):
    root = dataset("v21")
    edit_info(root, total_chunks=DELETE, data_path=DELETE)
    report = validate(root, workers=1)
    messages = " ".join(f.message for f in report.by_code("info.invalid"))
    assert "total_chunks" in messages and "data_path" in messages


def test_feature_name_with_a_slash(dataset):
    root = dataset("v30")
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    info["features"]["observation/state"] = info["features"].pop("observation.state")
    path.write_text(json.dumps(info))
    report = validate(root, workers=1)
    [finding] = report.by_code("info.feature_name_invalid")
    assert finding.location["feature"] == "observation/state"


def test_default_feature_not_declared(dataset):
    root = dataset("v30")
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    del info["features"]["task_index"]
    path.write_text(json.dumps(info))
    report = validate(root, workers=1)
    assert "info.default_feature_missing" in report.codes()
    assert "schema.undeclared_column" in report.codes()


def test_bad_dtype_and_shape(dataset):
    root = dataset("v30")
    edit_feature(root, "action", dtype="float128x")
    edit_feature(root, "observation.state", shape=[0])
    assert len(validate(root, workers=1).by_code("info.feature_invalid")) == 2


def test_chw_camera_declaration_matches_the_video(dataset):
    root = dataset("v30")
    edit_feature(
        root, "observation.images.front", shape=[3, 48, 64], names=["channels", "height", "width"]
    )
    report = validate(root, workers=1)
    assert "video.resolution_mismatch" not in report.codes()
    assert report.valid


def test_camera_names_that_are_neither_hwc_nor_chw(dataset):
    root = dataset("v30")
    edit_feature(root, "observation.images.front", names=["rows", "cols", "rgb"])
    assert "info.camera_convention" in codes(root)


def test_two_dimensional_camera_shape(dataset):
    root = dataset("v30_image")
    edit_feature(root, "observation.images.front", shape=[48, 64])
    assert "info.feature_invalid" in codes(root)


def test_vector_with_image_in_its_name_is_warned(dataset):
    root = dataset("v21")
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    info["features"]["observation.image_embedding"] = {
        "dtype": "float32",
        "shape": [4],
        "names": None,
    }
    path.write_text(json.dumps(info))
    assert "info.image_in_name" in codes(root)


def test_git_lfs_pointer_in_place_of_a_parquet_file(dataset):
    root = dataset("v30")
    first_data_file(root).write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 12345\n"
    )
    report = validate(root, workers=1)
    [finding] = report.by_code("file.lfs_pointer")
    assert finding.location["file"] == "data/chunk-000/file-000.parquet"
    assert "git lfs pull" in finding.message
    assert "file.corrupt" not in report.codes()


def test_zero_byte_meta_file(dataset):
    root = dataset("v30")
    (root / "meta/tasks.parquet").write_bytes(b"")
    report = validate(root, workers=1)
    assert report.by_code("file.empty")[0].location["file"] == "meta/tasks.parquet"


def test_mixed_v2_and_v3_files(dataset, base_datasets):
    root = dataset("v30")
    (root / "meta/episodes.jsonl").write_text(
        (base_datasets["v21"] / "meta/episodes.jsonl").read_text()
    )
    assert "layout.mixed" in codes(root)


def test_v30_label_on_a_v2_layout(dataset):
    root = dataset("v21")
    edit_info(root, codebase_version="v3.0")
    report = validate(root, workers=1)
    assert "layout.version_mismatch" in report.codes()
    assert report.summary["layout"] == "v2"
    # The files are still checked as what they are: no spurious data findings.
    assert {f.code for f in report.errors} == {"layout.version_mismatch"}


def test_stray_files_and_image_staging(dataset):
    root = dataset("v30")
    (root / "notes.txt").write_text("x")
    (root / "images/observation.images.front/episode-000000").mkdir(parents=True)
    (root / "images/observation.images.front/episode-000000/frame-000000.png").write_bytes(b"png")
    report = validate(root, workers=1)
    files = {f.location.get("file") for f in report.by_code("file.unexpected")}
    assert {"notes.txt", "images/"} <= files
    assert report.valid


def test_link_pointing_outside_the_dataset(dataset, tmp_path):
    root = dataset("v30")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, root / "meta" / "link.txt")
    assert "file.link_outside" in codes(root)


def test_path_template_with_unknown_placeholder(dataset):
    root = dataset("v30")
    edit_info(root, data_path="data/{split}/file-{file_index:03d}.parquet")
    assert "info.path_template" in codes(root)


def test_non_standard_path_template_that_matches_no_file(dataset):
    root = dataset("v21")
    edit_info(root, data_path="data/chunk-000/train-{episode_index:05d}.parquet")
    report = validate(root, workers=1)
    assert "info.path_template" in report.codes()
    assert "file.missing" not in report.codes()  # one clear finding, not one per episode


def test_non_standard_path_template_that_matches_the_files_is_fine(dataset):
    root = dataset("v21")
    for path in sorted((root / "data/chunk-000").glob("*.parquet")):
        path.rename(path.with_name(path.name.replace("episode_", "train-")))
    edit_info(root, data_path="data/chunk-{episode_chunk:03d}/train-{episode_index:06d}.parquet")
    report = validate(root, workers=1)
    assert report.valid, [(f.code, f.message) for f in report.errors]


@pytest.mark.parametrize("key", ["shape", "names", "dtype", "info"])
@pytest.mark.parametrize("value", [1.5, "x", [1, "a"], {"a": 1}, None, True])
def test_any_value_of_a_feature_key_is_a_finding_never_a_failed_check(dataset, key, value):
    """Found by the structural fuzzer: a float ``shape`` broke the summary (TypeError)."""
    root = dataset("v30")
    edit_feature(root, "observation.state", **{key: value})
    report = validate(root, workers=1, decode_video="none")
    assert "check.failed" not in report.codes(), [f.message for f in report.findings]
