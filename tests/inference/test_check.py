"""The inference check end to end on tiny real policies and real (video) datasets, on the CPU."""

import json
import runpy
import shutil
import sys

import pytest
import torch

from validators.inference import (
    FAILED,
    INCOMPATIBLE,
    OK,
    InferenceReport,
    UsageError,
    check_policy,
)
from validators.inference.cli import main

FAST = {"steps": 8, "chunks": 2, "warmup": 1}


@pytest.fixture(scope="module")
def smolvla_report(dataset, smolvla):
    return check_policy(dataset, str(smolvla), device="auto", **FAST)


def test_smolvla_runs_on_the_dataset_frames(smolvla_report):
    report = smolvla_report
    assert report.status == OK, report.error
    assert report.error is None and report.fits
    assert (report.policy_type, report.policy_source) == ("smolvla", "local folder")
    assert report.processors_source == "policy folder"
    expected_device = "cuda" if torch.cuda.is_available() else "cpu"
    assert report.device == expected_device
    assert report.environment["torch"] == torch.__version__
    assert report.environment["lerobot"] == "0.6.1"

    assert report.load_s > 0 and report.first_call_ms > 0
    assert report.per_action.count == 8
    assert report.per_action.p50_ms <= report.per_action.p95_ms <= report.per_action.max_ms
    assert report.per_chunk.count == 2
    assert set(report.chunk_breakdown_ms) == {"pre_p50_ms", "model_p50_ms", "post_p50_ms"}

    assert report.frames["steps"] == 8 and report.frames["decoded"] >= 8
    assert set(report.frames["episodes"]) <= {0, 1}
    assert report.dataset["fps"] == 10 and report.dataset["action_shape"] == [6]


def test_smolvla_outputs_are_checked(smolvla_report):
    outputs = smolvla_report.outputs
    assert outputs["action_shape"] == [1, 6]
    assert outputs["chunk_shape"] == [1, 5, 6]  # chunk_size 5, unpadded from max_action_dim 8
    assert outputs["dataset_action_shape"] == [6]
    assert outputs["shape_ok"] is True
    assert (outputs["nan_count"], outputs["inf_count"]) == (0, 0)
    # first call + 8 actions + 1 warm-up and 2 timed chunks of 5, each 6 values
    assert outputs["values_checked"] == (1 + 8 + 3 * 5) * 6
    out = outputs["out_of_range"]
    assert 0 <= out["count"] <= outputs["values_checked"]
    assert sum(d["count"] for d in out["dims"]) == out["count"]
    for dim in out["dims"]:
        assert dim["name"] == f"joint_{dim['dim']}"
        assert dim["seen_min"] < dim["min"] or dim["seen_max"] > dim["max"]


def test_smolvla_is_deterministic_with_fixed_noise(smolvla_report):
    determinism = smolvla_report.determinism
    assert determinism["method"] == "fixed noise tensor"
    assert determinism["identical"] is True and determinism["max_abs_diff"] == 0.0
    assert determinism["depends_on_noise"] is True  # flow matching: other noise, other actions


def test_control_rate_and_memory_are_reported(smolvla_report):
    control = smolvla_report.control
    assert control["dataset_fps"] == 10.0 and control["period_ms"] == 100.0
    assert control["n_action_steps"] == 5
    assert control["achieved_hz"] == pytest.approx(1000 / smolvla_report.per_action.mean_ms)
    assert control["realtime_factor"] == pytest.approx(control["achieved_hz"] / 10)
    assert control["verdict"] in {"real time", "real time with asynchronous inference", "too slow"}
    memory = smolvla_report.memory
    assert memory["peak_rss_mib"] >= memory["rss_before_load_mib"] > 0


def test_report_round_trips_through_json(smolvla_report):
    data = json.loads(json.dumps(smolvla_report.to_dict()))
    again = InferenceReport.from_dict(data)
    assert again == smolvla_report
    assert again.per_action.p95_ms == smolvla_report.per_action.p95_ms


def test_processors_are_built_from_dataset_stats_when_the_folder_has_none(
    dataset, smolvla_without_processors
):
    report = check_policy(dataset, str(smolvla_without_processors), **FAST)
    assert report.status == OK, report.error
    assert report.processors_source == "dataset stats"
    assert report.outputs["shape_ok"]


def test_act_runs_and_is_deterministic(dataset, act):
    report = check_policy(dataset, str(act), **FAST)
    assert report.status == OK, report.error
    assert report.policy_type == "act"
    assert report.outputs["chunk_shape"] == [1, 4, 6]
    assert report.determinism["method"] == "fixed torch seed"
    assert report.determinism["identical"] is True
    assert report.determinism["depends_on_noise"] is False
    assert report.control["n_action_steps"] == 4


def test_diffusion_runs_with_its_observation_history(dataset, diffusion):
    report = check_policy(dataset, str(diffusion), **FAST)
    assert report.status == OK, report.error
    assert report.policy_info["n_obs_steps"] == 2
    assert report.outputs["chunk_shape"] == [1, 4, 6]  # n_action_steps of the 8-step horizon
    assert report.determinism["method"] == "fixed noise tensor"
    assert report.determinism["identical"] and report.determinism["depends_on_noise"]


def test_policy_that_does_not_fit_is_not_run(other_dataset, smolvla):
    report = check_policy(other_dataset, str(smolvla), **FAST)
    assert report.status == INCOMPATIBLE
    assert report.load_s is None and report.per_action.count == 0  # nothing was loaded or run
    problems = {(i.feature, i.problem) for i in report.issues if i.severity == "error"}
    assert problems == {
        ("observation.images.front", "missing_camera"),
        ("observation.state", "state_dim"),
        ("action", "action_dim"),
    }


def _break_config_missing(folder):
    (folder / "config.json").unlink()


def _break_config_corrupt(folder):
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(text[: len(text) // 2])


def _break_config_type(folder):
    config = json.loads((folder / "config.json").read_text())
    config["type"] = "gpt5_policy"
    (folder / "config.json").write_text(json.dumps(config))


def _break_config_field(folder):
    config = json.loads((folder / "config.json").read_text())
    config["chunk_size"] = "fifty"
    (folder / "config.json").write_text(json.dumps(config))


def _break_weights_truncated(folder):
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 3])


def _break_weights_missing(folder):
    (folder / "model.safetensors").unlink()


def _break_weights_shape(folder):
    config = json.loads((folder / "config.json").read_text())
    config["output_features"]["action"]["shape"] = [6]
    config["max_action_dim"] = 16  # the checkpoint's action projections were built for 8
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_break_config_missing, "config.json is missing"),
        (_break_config_corrupt, "config.json is not valid JSON (line"),
        (_break_config_type, "unknown policy type 'gpt5_policy'"),
        (_break_config_field, "is not a valid smolvla config"),
        (_break_weights_truncated, "model.safetensors cannot be read"),
        (_break_weights_missing, "model.safetensors is missing"),
        (_break_weights_shape, "does not match the config"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[7:],
)
def test_damaged_policy_folder_gives_a_clear_error(dataset, damaged_copy, damage, expected):
    folder = damaged_copy()
    damage(folder)
    report = check_policy(dataset, str(folder), **FAST)
    assert report.status == FAILED
    assert report.error["stage"] == "policy"
    assert expected in report.error["message"]
    assert "Traceback" not in report.error["message"]
    assert "\n" not in report.error["message"]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/no/such/policy", "policy folder '/no/such/policy' does not exist"),
        ("someone/not-downloaded-policy", "is not in the Hugging Face cache"),
        ("not a hub id!", "does not exist"),
    ],
)
def test_unreachable_policies(dataset, reference, expected):
    report = check_policy(dataset, reference, **FAST)
    assert report.status == FAILED and report.error["stage"] == "policy"
    assert expected in report.error["message"]


def test_policy_from_a_cached_hub_id(dataset, smolvla, tmp_path, monkeypatch):
    """The real ``from_pretrained("<org>/<name>")`` path, served by a local Hugging Face cache."""
    from huggingface_hub import constants

    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--lab--tiny-smolvla"
    shutil.copytree(smolvla, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    report = check_policy(dataset, "lab/tiny-smolvla", **FAST)
    assert report.status == OK, report.error
    assert report.policy_source == "hub cache"
    assert report.processors_source == "policy folder"


def test_dataset_problems(tmp_path, smolvla, dataset):
    missing = check_policy(tmp_path / "nothing", str(smolvla), **FAST)
    assert missing.error == {
        "stage": "dataset",
        "message": f"dataset folder '{tmp_path / 'nothing'}' does not exist",
    }
    (tmp_path / "empty").mkdir()
    empty = check_policy(tmp_path / "empty", str(smolvla), **FAST)
    assert "meta/info.json is missing" in empty.error["message"]

    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    info = json.loads((old / "meta" / "info.json").read_text())
    info["codebase_version"] = "v2.1"
    (old / "meta" / "info.json").write_text(json.dumps(info))
    report = check_policy(old, str(smolvla), **FAST)
    assert report.status == FAILED
    assert (
        "v2.1" in report.error["message"]
        and "convert_dataset_v21_to_v30" in report.error["message"]
    )


@pytest.mark.parametrize(
    "arguments",
    [{"device": "tpu"}, {"steps": 0}, {"chunks": -1}, {"device": "cuda:99"}],
)
def test_unusable_arguments_raise(dataset, smolvla, arguments):
    with pytest.raises(UsageError):
        check_policy(dataset, str(smolvla), **{**FAST, **arguments})


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_an_absent_gpu_is_an_argument_error(dataset, smolvla):
    with pytest.raises(UsageError, match="no CUDA GPU"):
        check_policy(dataset, str(smolvla), device="cuda", **FAST)


def test_progress_reports_and_reraise(dataset, smolvla):
    stages = []
    report = check_policy(
        dataset,
        str(smolvla),
        progress=lambda stage, fraction: stages.append((stage, fraction)),
        **FAST,
    )
    assert report.status == OK
    fractions = [fraction for _, fraction in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    class Stop(Exception):
        pass

    def stop(stage, fraction):
        if stage == "loading the policy":
            raise Stop

    with pytest.raises(Stop):  # e.g. Celery's SoftTimeLimitExceeded passes through
        check_policy(dataset, str(smolvla), progress=stop, reraise=(Stop,), **FAST)


def test_command_line_exit_codes(dataset, other_dataset, smolvla, capsys, monkeypatch):
    args = ["--steps", "4", "--chunks", "1", "--warmup", "0"]
    assert main([str(dataset), "--policy", str(smolvla), *args]) == 0
    text = capsys.readouterr().out
    assert "Inference check: OK" in text and "p95" in text and "determinism" in text

    # python -m validators.inference --json: stdout is the JSON alone (lerobot's prints go to stderr)
    monkeypatch.setattr(
        sys,
        "argv",
        ["validators.inference", str(dataset), "--policy", str(smolvla), "--json", *args],
    )
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("validators.inference", run_name="__main__")
    assert exited.value.code == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["status"] == "ok" and report["per_action"]["count"] == 4
    assert "Loading weights from local directory" in captured.err

    assert main([str(other_dataset), "--policy", str(smolvla), "--json", *args]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "incompatible"

    assert main([str(dataset), "--policy", str(smolvla), "--device", "tpu", *args]) == 2
    assert "unknown device" in capsys.readouterr().err


@pytest.mark.parametrize("policy_type", ["pi0", "pi05"])
def test_pi_policies_say_what_the_environment_lacks(dataset, tmp_path, policy_type):
    """lerobot 0.4.4 builds pi0/pi0.5 only with openpi's patched transformers: say so quickly,
    instead of building a 3B-parameter model and failing after it."""
    from lerobot.policies.factory import make_policy_config
    from safetensors.torch import save_file

    from validators.inference.tiny import features_of

    config = make_policy_config(policy_type, push_to_hub=False, device="cpu")
    config.input_features, config.output_features = features_of(dataset)
    config._save_pretrained(tmp_path)
    save_file({}, tmp_path / "model.safetensors")

    report = check_policy(dataset, str(tmp_path), **FAST)
    if report.status == OK:  # an environment with openpi's transformers
        pytest.skip("this environment can build pi0")
    assert report.status == FAILED and report.policy_type == policy_type
    assert report.fits  # the features fit: it is the environment that does not
    assert "openpi" in report.error["message"] and "transformers" in report.error["message"]


def test_time_limit_stops_the_check_between_calls(dataset, smolvla):
    report = check_policy(dataset, str(smolvla), time_limit_s=0.0, **FAST)
    assert report.status == FAILED
    assert report.error["stage"] == "time limit"
    assert "time limit of 0 s" in report.error["message"]


def test_damaged_video_gives_a_clear_error(dataset, smolvla, tmp_path):
    copy = tmp_path / "damaged_video"
    shutil.copytree(dataset, copy)
    (video,) = copy.glob("videos/*/chunk-000/file-000.mp4")
    video.write_bytes(video.read_bytes()[:3000])
    report = check_policy(copy, str(smolvla), **FAST)
    assert report.status == FAILED and report.error["stage"] == "frames"
    assert "cannot be read from the dataset" in report.error["message"]
    assert "video files" in report.error["message"]
