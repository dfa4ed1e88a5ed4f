"""Feature matching: what fits, and the precise report of what does not (no model is built)."""

import pytest
from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.pi05.configuration_pi05 import PI05Config
from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig

from validators.inference.features import dataset_policy_features, match_features
from validators.inference.loading import open_dataset_metadata

STATE = PolicyFeature(type=FeatureType.STATE, shape=(6,))
ACTION = PolicyFeature(type=FeatureType.ACTION, shape=(6,))


def front(height=64, width=96):
    return PolicyFeature(type=FeatureType.VISUAL, shape=(3, height, width))


def configure(config, camera=None, state=STATE, action=ACTION):
    config.input_features = {"observation.state": state}
    config.input_features["observation.images.front"] = camera or front()
    config.output_features = {"action": action}
    return config


def issues_for(config, dataset_root, *, stats_from_dataset=False, tasks=None, stats=None):
    meta = open_dataset_metadata(dataset_root)
    return match_features(
        config,
        dataset_policy_features(meta.features),
        stats=meta.stats if stats is None else stats,
        tasks=[str(t) for t in meta.tasks.index] if tasks is None else tasks,
        stats_from_dataset=stats_from_dataset,
    )


def by_problem(issues):
    return {(issue.feature, issue.problem): issue for issue in issues}


def test_policy_built_for_the_dataset_fits(dataset):
    issues = issues_for(
        configure(SmolVLAConfig(push_to_hub=False)), dataset, stats_from_dataset=True
    )
    assert issues == []


def test_other_robot_dataset_reports_each_difference(other_dataset):
    issues = by_problem(issues_for(configure(SmolVLAConfig(push_to_hub=False)), other_dataset))

    camera = issues["observation.images.front", "missing_camera"]
    assert camera.severity == "error"
    assert "observation.images.wrist" in camera.message  # names what the dataset has instead
    assert camera.found == ["observation.images.wrist"]
    assert "rename" in camera.fix

    state = issues["observation.state", "state_dim"]
    assert (state.severity, state.expected, state.found) == ("error", [6], [7])
    assert "6-D" in state.message and "7-D" in state.message

    action = issues["action", "action_dim"]
    assert (action.expected, action.found) == ([6], [7])

    unused = issues["observation.images.wrist", "unused_camera"]
    assert unused.severity == "warning"
    assert len(issues) == 4


def test_empty_cameras_turn_a_missing_camera_into_a_warning(other_dataset):
    config = configure(SmolVLAConfig(push_to_hub=False, empty_cameras=1))
    issue = by_problem(issues_for(config, other_dataset))[
        "observation.images.front", "missing_camera"
    ]
    assert issue.severity == "warning"
    assert "blank image" in issue.message


@pytest.mark.parametrize(
    ("config", "severity"),
    [
        (SmolVLAConfig(push_to_hub=False), "warning"),  # resizes with padding to 512x512
        (ACTConfig(push_to_hub=False, pretrained_backbone_weights=None), "warning"),
        (DiffusionConfig(push_to_hub=False, crop_shape=None), "error"),
    ],
    ids=["smolvla", "act", "diffusion"],
)
def test_image_size_mismatch_depends_on_the_policy(dataset, config, severity):
    configure(config, camera=front(480, 640))
    issue = by_problem(issues_for(config, dataset))["observation.images.front", "image_size"]
    assert issue.severity == severity
    assert issue.expected == [3, 480, 640] and issue.found == [3, 64, 96]
    assert "480x640" in issue.message and "64x96" in issue.message


def test_channel_mismatch_is_an_error(dataset):
    config = configure(
        SmolVLAConfig(push_to_hub=False), camera=PolicyFeature(FeatureType.VISUAL, (1, 64, 96))
    )
    issue = by_problem(issues_for(config, dataset))["observation.images.front", "image_channels"]
    assert issue.severity == "error"


def test_missing_stats_matter_only_when_processors_come_from_the_dataset(dataset):
    config = configure(SmolVLAConfig(push_to_hub=False))
    stats = {"action": {"mean": [0.0] * 6, "std": [1.0] * 6}}  # nothing for observation.state
    assert issues_for(config, dataset, stats=stats) == []
    issue = by_problem(issues_for(config, dataset, stats=stats, stats_from_dataset=True))[
        "observation.state", "missing_stats"
    ]
    assert issue.severity == "error"
    assert issue.expected == ["mean", "std"]
    assert "silently" in issue.message


def test_quantile_normalisation_needs_quantile_stats(dataset):
    config = configure(PI05Config(push_to_hub=False))
    assert config.normalization_mapping["ACTION"] == NormalizationMode.QUANTILES
    stats = {
        "observation.state": {"mean": [0.0] * 6, "std": [1.0] * 6},
        "action": {"mean": [0.0] * 6, "std": [1.0] * 6, "min": [0.0] * 6, "max": [1.0] * 6},
    }
    issue = by_problem(issues_for(config, dataset, stats=stats, stats_from_dataset=True))[
        "action", "missing_stats"
    ]
    assert issue.expected == ["q01", "q99"]
    assert "augment_dataset_quantile_stats" in issue.fix


def test_vla_without_task_text_cannot_run(dataset):
    issues = by_problem(issues_for(configure(SmolVLAConfig(push_to_hub=False)), dataset, tasks=[]))
    assert issues["task", "missing_task"].severity == "error"
    act = configure(ACTConfig(push_to_hub=False, pretrained_backbone_weights=None))
    assert issues_for(act, dataset, tasks=[]) == []  # ACT takes no language


def test_dimensions_above_the_policy_limit(dataset):
    config = configure(
        SmolVLAConfig(push_to_hub=False, max_state_dim=4),
        state=PolicyFeature(FeatureType.STATE, (6,)),
    )
    issue = by_problem(issues_for(config, dataset))["observation.state", "state_dim_limit"]
    assert (issue.expected, issue.found) == (4, 6)
