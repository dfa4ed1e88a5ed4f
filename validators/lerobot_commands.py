"""The lerobot commands our findings tell a user to run, written for *their* copy of the dataset.

A report is read by the person who recorded the dataset, often on a platform that validated a
copy in its own storage: a command must never carry the path it was validated at. Each command is
run from the folder that holds the user's copy, and names that copy by the dataset's folder name.
The commands are those of the lerobot release the platform runs (0.6.1); the tests run them.
"""

from __future__ import annotations

import shlex

LEROBOT_RELEASE = "0.6.1"

V20_TO_V21_COMMAND = (
    "python -m lerobot.datasets.v21.convert_dataset_v20_to_v21 --repo-id=ORG/NAME "
    "(from lerobot 0.3.3, `pip install lerobot==0.3.3`)"
)


def _local_repo_id(name: str) -> str:
    return shlex.quote(f"local/{name}")


def conversion_command(name: str) -> str:
    """lerobot 0.6.1's v2.1 → v3.0 converter on the copy in folder ``name`` (converted in place;
    the original is kept beside it as ``<name>_old``)."""
    return (
        "python -m lerobot.scripts.convert_dataset_v21_to_v30 "
        f"--repo-id={_local_repo_id(name)} --root={shlex.quote(name)} --push-to-hub=false"
    )


def quantile_command(name: str) -> str:
    """lerobot 0.6.1's script that adds q01…q99 to the stats of the copy in folder ``name``."""
    return (
        "python -m lerobot.scripts.augment_dataset_quantile_stats "
        f"--repo-id={_local_repo_id(name)} --root={shlex.quote(name)}"
    )


def run_from(name: str) -> str:
    """How to say where a command runs."""
    return f"run it in the folder that holds your copy `{name}`"
