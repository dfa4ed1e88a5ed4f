"""Policies saved by other lerobot releases: they load, or the error names the release and the fix;
the report says which lerobot saved the policy and which one ran it."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

import lerobot
import pytest
import torch
from safetensors.torch import load_file, save_file

from validators.inference import check_policy
from validators.inference.errors import PolicyLoadError
from validators.inference.loading import (
    LEGACY_FORMAT,
    PROCESSOR_FORMAT,
    load_policy,
    policy_saved_with,
)

FIXTURES = Path(__file__).parent / "fixtures" / "lerobot_0_4_4"
FAST = {"steps": 4, "chunks": 1, "warmup": 1}


def lerobot_model_card(policy_folder: Path) -> str:
    """The model card lerobot 0.6.1's training writes beside a checkpoint (its own template)."""
    from huggingface_hub import ModelCard, ModelCardData
    from lerobot.policies.pretrained import _build_card_context

    train = SimpleNamespace(steps=100, batch_size=8, seed=1000, optimizer=None)
    context = _build_card_context(train, None, {}, {})
    template = files("lerobot.templates").joinpath("lerobot_modelcard_template.md").read_text()
    card = ModelCard.from_template(
        ModelCardData(library_name="lerobot", license="apache-2.0"),
        template_str=template,
        **context,
    )
    return str(card)


def test_a_policy_saved_by_lerobot_061_records_both_releases(act, dataset, tmp_path):
    folder = tmp_path / "act_with_card"
    shutil.copytree(act, folder)
    (folder / "README.md").write_text(lerobot_model_card(folder))
    report = check_policy(dataset, str(folder), device="cpu", **FAST)
    assert report.ok, report.error
    saved = report.policy_info["saved_with"]
    assert saved["lerobot"] == lerobot.__version__ == "0.6.1"
    assert saved["format"] == PROCESSOR_FORMAT
    assert "model card" in saved["evidence"]
    assert report.policy_info["run_with_lerobot"] == "0.6.1"


def test_without_a_card_the_format_is_what_is_known(act, dataset):
    report = check_policy(dataset, str(act), device="cpu", **FAST)
    assert report.ok, report.error
    saved = report.policy_info["saved_with"]
    assert saved["lerobot"] is None
    assert saved["format"] == PROCESSOR_FORMAT
    assert "no version recorded" in saved["evidence"]


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="fixture folder not generated")
def test_a_policy_saved_by_lerobot_044_loads_and_acts():
    """tests/inference/fixtures/lerobot_0_4_4 was written by lerobot 0.4.4 itself."""
    folder = FIXTURES / "act_state_only"
    loaded = load_policy(str(folder), device="cpu", dataset_stats=None)
    assert loaded.processors_source == "policy folder"
    assert loaded.saved_with["format"] == PROCESSOR_FORMAT
    assert loaded.warnings == []  # every weight tensor was found under 0.6.1's names
    batch = {
        "observation.state": torch.zeros(1, 6),
        "observation.environment_state": torch.zeros(1, 3),
    }
    with torch.no_grad():
        action = loaded.postprocessor(loaded.policy.select_action(loaded.preprocessor(batch)))
    assert tuple(action.shape) == (1, 6)
    assert torch.isfinite(action).all()


def _pre_04_folder(act: Path, target: Path) -> Path:
    """The layout lerobot 0.3.x saved: normalization buffers inside the weights, no processors."""
    shutil.copytree(act, target)
    weights = load_file(target / "model.safetensors")
    weights["normalize_inputs.buffer_observation_state.mean"] = torch.zeros(6)
    weights["normalize_inputs.buffer_observation_state.std"] = torch.ones(6)
    weights["unnormalize_outputs.buffer_action.mean"] = torch.zeros(6)
    weights["unnormalize_outputs.buffer_action.std"] = torch.ones(6)
    save_file(weights, target / "model.safetensors")
    for processor_file in target.glob("policy_*processor*"):
        processor_file.unlink()
    return target


def test_a_pre_04_policy_gets_the_release_and_the_conversion_command(act, tmp_path):
    folder = _pre_04_folder(act, tmp_path / "act_03")
    keys = set(load_file(folder / "model.safetensors"))
    assert policy_saved_with(str(folder), "local folder", keys)["format"] == LEGACY_FORMAT
    with pytest.raises(PolicyLoadError) as raised:
        load_policy(str(folder), device="cpu", dataset_stats=None)
    message = str(raised.value)
    assert "0.3.x or earlier" in message
    assert f"lerobot.processor.migrate_policy_normalization --pretrained-path={folder}" in message


def test_the_check_reports_a_pre_04_policy_as_failed_with_that_reason(act, dataset, tmp_path):
    folder = _pre_04_folder(act, tmp_path / "act_03_check")
    report = check_policy(dataset, str(folder), device="cpu", **FAST)
    assert not report.ok
    assert "migrate_policy_normalization" in report.error["message"]
