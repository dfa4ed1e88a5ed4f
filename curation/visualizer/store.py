"""The visualizer's precomputed files in storage: written once per indexed version, read by the
page and its data endpoints (never a parquet scan or a video decode per request).

Layout in the default storage::

    visualizer/<submission id>/current          name of the live build ("b<timestamp>")
    visualizer/<submission id>/<build>/...      the files ``build.build`` wrote

A rebuild writes a new build folder, then switches ``current``, then removes the old folder, so a
reader never sees half a build.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from curation import conf
from curation.models import Submission
from curation.services import storage

from . import build as builder

logger = logging.getLogger(__name__)
ROOT = "visualizer"


def _prefix(submission_id: int) -> str:
    return f"{ROOT}/{int(submission_id)}"


def _delete_tree(name: str) -> None:
    try:
        folders, files = default_storage.listdir(name)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    for file in files:
        default_storage.delete(f"{name}/{file}")
    for folder in folders:
        _delete_tree(f"{name}/{folder}")
    if storage._is_local():
        shutil.rmtree(default_storage.path(name), ignore_errors=True)


def _save_folder(local: Path, name: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                default_storage.save(f"{name}/{path.relative_to(local).as_posix()}", handle)


def _switch(submission_id: int, build_name: str) -> None:
    pointer = f"{_prefix(submission_id)}/current"
    previous = current_build(submission_id)
    if default_storage.exists(pointer):
        default_storage.delete(pointer)
    default_storage.save(pointer, ContentFile(build_name.encode()))
    if previous and previous != build_name:
        _delete_tree(f"{_prefix(submission_id)}/{previous}")


def version_index(submission_id: int, folder: Path, report: dict | None) -> dict:
    """Build the visualizer files of a version laid out at ``folder`` (the pipeline calls this
    while the folder exists) and make them live. Never raises: a build that fails leaves an index
    that says why, which the page shows."""
    findings = (report or {}).get("findings") or []
    build_name = f"b{time.time_ns()}"
    temp_root = conf.work_root() / "tmp"
    temp_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="visualizer-", dir=temp_root))
    try:
        try:
            index = builder.build(folder, work, findings)
        except Exception as exc:
            logger.exception("visualizer: build of submission %s failed", submission_id)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            index = failed_index(f"{type(exc).__name__}: {exc}")
            builder._write_json(work / "index.json", index)
        _save_folder(work, f"{_prefix(submission_id)}/{build_name}")
        _switch(submission_id, build_name)
        return index
    finally:
        shutil.rmtree(work, ignore_errors=True)


def failed_index(reason: str) -> dict:
    return {
        "format": builder.FORMAT,
        "episodes": [],
        "features": [],
        "cameras": [],
        "problems": [f"the visualizer data could not be built: {reason}"],
        "histogram": {"edges": [], "counts": []},
        "stats": [],
    }


def submission_index(submission_id: int) -> dict:
    """Build the visualizer files of a stored version (backfill, tests): lays it out, builds,
    removes the folder."""
    submission = Submission.objects.get(pk=submission_id)
    folder = storage.materialise(submission)
    try:
        return version_index(submission_id, folder, submission.report)
    finally:
        storage.dematerialise(folder)


# --- reads -----------------------------------------------------------------------------------


def current_build(submission_id: int) -> str | None:
    pointer = f"{_prefix(submission_id)}/current"
    try:
        with default_storage.open(pointer, "rb") as handle:
            name = handle.read().decode().strip()
    except (FileNotFoundError, OSError):
        return None
    return name if name.startswith("b") and name[1:].isdigit() else None


@lru_cache(maxsize=64)
def _parsed_index(submission_id: int, build_name: str) -> dict:
    with default_storage.open(f"{_prefix(submission_id)}/{build_name}/index.json", "rb") as h:
        return json.loads(h.read())


def load_index(submission_id: int) -> dict | None:
    """The version's index (parsed once per build and process), or None when never built."""
    build_name = current_build(submission_id)
    if build_name is None:
        return None
    try:
        return _parsed_index(submission_id, build_name)
    except (FileNotFoundError, OSError, ValueError):
        return None


def open_file(submission_id: int, relative: str):
    """An open handle on one file of the live build (``episodes/3.json``, ``frames/...jpg``), or
    None. ``relative`` must be one of the names the build wrote (checked by the caller's URL
    pattern); '..' never reaches storage."""
    build_name = current_build(submission_id)
    if build_name is None or ".." in relative.split("/") or relative.startswith("/"):
        return None
    try:
        return default_storage.open(f"{_prefix(submission_id)}/{build_name}/{relative}", "rb")
    except (FileNotFoundError, OSError):
        return None
