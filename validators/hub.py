"""Validating a Hub dataset by repo id: fetch only the files a validation reads (meta/, data/,
videos/; not the card, images/ staging or anything else), into a plain folder (no cache
symlinks), then validate that folder.

``HF_ENDPOINT`` selects the Hub (the tests point it at a local stand-in); ``HF_TOKEN`` opens
private repos. A local folder always wins over a repo id of the same spelling.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ID = re.compile(r"^(?:hf://datasets/)?([A-Za-z0-9][\w.-]{0,95})/([\w.-]{1,96})$")
NEEDED_PREFIXES = ("meta/", "data/", "videos/")


def cache_root() -> Path:
    base = os.environ.get("VALIDATOR_HUB_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "lerobot-curation", "hub"
    )
    return Path(base)


def looks_like_repo_id(text: str) -> bool:
    return bool(REPO_ID.match(text)) and not Path(text).exists()


def fetch_if_repo_id(path: str, *, revision: str | None = None) -> str:
    """``path`` itself when it is a folder (or not a repo id); else the folder the repo's
    dataset files were downloaded to. Raises FileNotFoundError when the repo does not exist."""
    if not isinstance(path, str) or not looks_like_repo_id(path):
        return path
    org, name = REPO_ID.match(path).groups()
    repo_id = f"{org}/{name}"
    try:
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.errors import (
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError as error:  # pragma: no cover - huggingface_hub is a dependency
        raise FileNotFoundError(
            f"{path} is not a folder, and huggingface_hub is missing"
        ) from error
    target = cache_root() / org / name / (revision or "main")
    try:
        # The repo's file list (one API call), then only the files a validation reads.
        info = HfApi().dataset_info(repo_id, revision=revision)
        wanted = sorted(
            s.rfilename for s in (info.siblings or []) if s.rfilename.startswith(NEEDED_PREFIXES)
        )
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(
                pool.map(
                    lambda name: hf_hub_download(
                        repo_id,
                        name,
                        repo_type="dataset",
                        revision=info.sha or revision,
                        local_dir=target,
                    ),
                    wanted,
                )
            )
    except (RepositoryNotFoundError, RevisionNotFoundError, GatedRepoError) as error:
        raise FileNotFoundError(
            f"{path} is not a folder, and the Hub has no dataset {repo_id}"
            + (f" at revision {revision}" if revision else "")
            + f" that this machine can read ({type(error).__name__})"
        ) from error
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as error:
        raise FileNotFoundError(
            f"{path} is not a folder, and downloading dataset {repo_id} failed: {error}"
        ) from error
    if not wanted:
        raise FileNotFoundError(f"the Hub dataset {repo_id} has no meta/, data/ or videos/ files")
    return str(target)
