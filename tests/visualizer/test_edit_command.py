"""The delete command the dataset page exports, run for real: lerobot 0.6.1's lerobot-edit-dataset
on a copy of a dataset recorded by lerobot removes exactly the listed episodes."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validators.lerobot_commands import delete_episodes_command, delete_episodes_prefix


def test_command_is_the_prefix_plus_the_sorted_selection():
    command = delete_episodes_command("pick-place", [7, 2, 2])
    assert command == (
        delete_episodes_prefix("pick-place") + " --operation.episode_indices='[2, 7]'"
    )
    assert "--root=pick-place " in command and "--new_root=pick-place_curated" in command


def test_lerobot_edit_dataset_runs_the_exported_command(frozen_dataset, tmp_path):
    import pyarrow.parquet as pq

    edit = Path(sys.executable).parent / "lerobot-edit-dataset"
    if not edit.exists():
        pytest.skip("lerobot-edit-dataset is not installed")
    shutil.copytree(frozen_dataset, tmp_path / "frozen-arm")  # the user's copy
    argv = shlex.split(delete_episodes_command("frozen-arm", [2]))
    argv[0] = str(edit)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_LEROBOT_HOME": str(tmp_path / "home")}
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    curated = tmp_path / "frozen-arm_curated"
    episodes = pq.read_table(curated / "meta" / "episodes").column("episode_index").to_pylist()
    assert episodes == [0, 1, 2]  # four minus one, renumbered
    info = (curated / "meta" / "info.json").read_text()
    assert '"total_episodes": 3' in info
    # The copy itself is untouched.
    assert '"total_episodes": 4' in (tmp_path / "frozen-arm" / "meta" / "info.json").read_text()
