"""A real dataset-version resolver for the tests: copies a registered dataset into a fresh folder
for the check and removes it afterwards, as the platform's blob storage would lay a version out."""

import contextlib
import shutil
import tempfile
from pathlib import Path

VERSIONS: dict[int, Path] = {}  # version id -> dataset folder, filled by the test
LAID_OUT: list[Path] = []  # every folder handed to a check


@contextlib.contextmanager
def copy_of_version(version_id: int):
    if version_id not in VERSIONS:
        raise LookupError(f"no dataset version {version_id}")
    folder = Path(tempfile.mkdtemp(prefix=f"version-{version_id}-")) / "dataset"
    shutil.copytree(VERSIONS[version_id], folder)
    LAID_OUT.append(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder.parent)
