"""Session-wide tiny datasets and policies for the inference-check tests (built once, ~10 s)."""

import shutil
from pathlib import Path

import pytest

from validators.inference import tiny as builders


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inference")


@pytest.fixture(scope="session")
def dataset(artefacts) -> Path:
    """2 episodes x 10 frames at 10 fps, 6-D state and action, one 64x96 camera (h264)."""
    return builders.make_dataset(artefacts / "so101_pick")


@pytest.fixture(scope="session")
def other_dataset(artefacts) -> Path:
    """A dataset the policies do not fit: 7-D state/action and a differently named camera."""
    return builders.make_dataset(
        artefacts / "aloha_like",
        state_dim=7,
        action_dim=7,
        cameras={"observation.images.wrist": (48, 64)},
        episodes=1,
        frames=4,
    )


@pytest.fixture(scope="session")
def vlm(artefacts) -> Path:
    return builders.make_tiny_vlm(artefacts / "tiny_smolvlm")


@pytest.fixture(scope="session")
def smolvla(artefacts, dataset, vlm) -> Path:
    return builders.make_tiny_smolvla(artefacts / "smolvla", dataset, vlm)


@pytest.fixture(scope="session")
def smolvla_without_processors(artefacts, dataset, vlm) -> Path:
    return builders.make_tiny_smolvla(
        artefacts / "smolvla_bare", dataset, vlm, with_processors=False
    )


@pytest.fixture(scope="session")
def act(artefacts, dataset) -> Path:
    return builders.make_tiny_act(artefacts / "act", dataset)


@pytest.fixture(scope="session")
def diffusion(artefacts, dataset) -> Path:
    return builders.make_tiny_diffusion(artefacts / "diffusion", dataset)


@pytest.fixture
def damaged_copy(smolvla, tmp_path):
    """A fresh copy of the SmolVLA folder that a test may break."""

    def copy() -> Path:
        target = tmp_path / "damaged_policy"
        shutil.copytree(smolvla, target)
        return target

    return copy
