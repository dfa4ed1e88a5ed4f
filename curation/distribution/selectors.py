"""Reads for distribution: repos (datasets), revisions (versions), files and folders.

A dataset ``<lab>/<slug>`` is a repo; each version a user may see is a revision of it:

- ``main``: the latest published version (for a user who sees no published version, the latest
  version they may see);
- ``version-<N>``: version N;
- the dataset's ``codebase_version`` (``v3.0``...): the latest published version in that format,
  the tag lerobot's loader looks for;
- a 40-hex commit id, derived from the version's identity and content (``commit_of``).

The user decides everything: versions come from ``curation.selectors.submissions_visible_to``, so
a user can resolve, list and download exactly what the listings show them.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import QuerySet

from curation import selectors
from curation.models import Dataset, Submission, SubmissionFile, SubmissionState

COMMIT_RE = re.compile(r"[0-9a-f]{40}")
VERSION_REF_RE = re.compile(r"version-(\d+)")


class RepoNotFound(LookupError):
    """No such dataset, or none of its versions is visible to this user."""


class RevisionNotFound(LookupError):
    """The dataset exists for this user, but not at this revision."""


class EntryNotFound(LookupError):
    """The revision exists, but not this file or folder."""


@dataclass(frozen=True)
class RepoFileEntry:
    path: str
    sha256: str
    size: int


@dataclass
class Revision:
    """One version of a dataset, as the Hub would describe a commit of a repo."""

    submission: Submission
    commit: str
    files: list[RepoFileEntry] = field(default_factory=list)

    @property
    def dataset(self) -> Dataset:
        return self.submission.dataset

    def file(self, path: str) -> RepoFileEntry:
        for entry in self.files:
            if entry.path == path:
                return entry
        raise EntryNotFound(path)


def repo_id_of(dataset: Dataset) -> str:
    return f"{dataset.lab.slug}/{dataset.slug}"


def version_ref(submission: Submission) -> str:
    return f"version-{submission.version}"


def file_entries(submission: Submission) -> list[RepoFileEntry]:
    rows = SubmissionFile.objects.filter(submission=submission).values_list(
        "path", "blob__sha256", "blob__size"
    )
    return [RepoFileEntry(p, s, n) for p, s, n in sorted(rows)]


def _commit_from(submission: Submission, files: list[RepoFileEntry]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"lerobot-curation:{submission.pk}:{submission.version}\n".encode())
    for entry in files:
        digest.update(f"{entry.path}\0{entry.sha256}\n".encode())
    return digest.hexdigest()


def commit_of(submission: Submission) -> str:
    """A 40-hex id that names this version's content: it changes whenever a file of an open draft
    changes, and never once the version is published (so it is cached from then on)."""
    published = submission.state == SubmissionState.APPROVED
    key = f"curation:hub:commit:{submission.pk}"
    if published and (hit := cache.get(key)):
        return hit
    commit = _commit_from(submission, file_entries(submission))
    if published:
        cache.set(key, commit, None)
    return commit


def codebase_version_of(submission: Submission) -> str:
    """The LeRobot format version of a dataset version: from its validation report, else from its
    own ``meta/info.json``."""
    summary = (submission.report or {}).get("summary") or {}
    version = summary.get("codebase_version") or (submission.report or {}).get("codebase_version")
    if version:
        return str(version)
    from curation.services import storage

    info = submission.files.select_related("blob").filter(path="meta/info.json").first()
    if info is None or info.blob.size > 1024 * 1024:
        return ""
    try:
        with storage.open_blob(info.blob) as handle:
            return str(json.load(handle).get("codebase_version") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def datasets_visible_to(user) -> QuerySet[Dataset]:
    """Datasets with at least one version this user may see (anonymous: published ones)."""
    visible = selectors.submissions_visible_to(user).values("dataset_id")
    return Dataset.objects.select_related("lab").filter(pk__in=visible)


def dataset_for(user, repo_id: str) -> tuple[Dataset, list[Submission]]:
    """The dataset ``<lab>/<slug>`` and its versions visible to ``user``, newest first."""
    lab, _, slug = repo_id.partition("/")
    dataset = Dataset.objects.select_related("lab").filter(lab__slug=lab, slug=slug).first()
    if dataset is None:
        raise RepoNotFound(repo_id)
    versions = list(selectors.dataset_versions(dataset, user))
    if not versions:
        raise RepoNotFound(repo_id)  # unpublished and not yours: as if it did not exist
    return dataset, versions


def main_version(versions: list[Submission]) -> Submission:
    published = [v for v in versions if v.state == SubmissionState.APPROVED]
    return (published or versions)[0]


def refs_of(versions: list[Submission]) -> dict:
    """Branches and tags of a dataset, as ``list_repo_refs`` expects them."""
    main = main_version(versions)
    tags = []
    codebase_tagged = set()
    for version in versions:  # newest first: the first of each format wins its tag
        tags.append((version_ref(version), version))
        if version.state == SubmissionState.APPROVED or version is main:
            codebase = codebase_version_of(version)
            if codebase and codebase not in codebase_tagged:
                codebase_tagged.add(codebase)
                tags.append((codebase, version))
    return {
        "branches": [("main", main)],
        "tags": tags,
    }


def resolve_revision(versions: list[Submission], revision: str | None) -> Submission:
    revision = revision or "main"
    if revision == "main":
        return main_version(versions)
    if match := VERSION_REF_RE.fullmatch(revision):
        for version in versions:
            if version.version == int(match.group(1)):
                return version
        raise RevisionNotFound(revision)
    if COMMIT_RE.fullmatch(revision):
        for version in versions:
            if commit_of(version) == revision:
                return version
        raise RevisionNotFound(revision)
    for name, version in refs_of(versions)["tags"]:
        if name == revision:
            return version
    raise RevisionNotFound(revision)


def revision_for(user, repo_id: str, revision: str | None) -> Revision:
    """Raise ``RepoNotFound`` / ``RevisionNotFound``, or return the version with its files."""
    _dataset, versions = dataset_for(user, repo_id)
    submission = resolve_revision(versions, revision)
    files = file_entries(submission)
    return Revision(submission=submission, commit=_commit_from(submission, files), files=files)


@dataclass(frozen=True)
class TreeEntry:
    kind: str  # "file" or "directory"
    path: str
    size: int = 0
    sha256: str = ""


def tree(revision: Revision, path: str = "", *, recursive: bool = False) -> list[TreeEntry]:
    """The folders and files under ``path`` (one level, or everything when ``recursive``),
    folders first then files, each by path; ``EntryNotFound`` if ``path`` is no folder."""
    prefix = f"{path.strip('/')}/" if path.strip("/") else ""
    folders: set[str] = set()
    files: list[TreeEntry] = []
    for entry in revision.files:
        if not entry.path.startswith(prefix):
            continue
        rest = entry.path[len(prefix) :].split("/")
        for depth in range(1, len(rest)):
            folders.add(prefix + "/".join(rest[:depth]))
            if not recursive:
                break
        if recursive or len(rest) == 1:
            files.append(TreeEntry("file", entry.path, entry.size, entry.sha256))
    if prefix and not folders and not files:
        raise EntryNotFound(path)
    return [TreeEntry("directory", f) for f in sorted(folders)] + files


def paths_info(revision: Revision, paths: list[str]) -> list[TreeEntry]:
    """The entries among ``paths`` that exist (files, or folders holding files)."""
    found = []
    for raw in paths:
        path = raw.strip("/")
        entry = next((f for f in revision.files if f.path == path), None)
        if entry is not None:
            found.append(TreeEntry("file", entry.path, entry.size, entry.sha256))
        elif path and any(f.path.startswith(path + "/") for f in revision.files):
            found.append(TreeEntry("directory", path))
    return found
