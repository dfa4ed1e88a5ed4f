"""Community projects: read the commit history of a domain's largest organizations' repos.

The Hub lists one author namespace per repo; contributors are only in each repo's commit
history (``HfApi.list_repo_commits``: one request per repo, paginated). So this scans a bounded
sample: the ``projects`` organizations with the most releases in the domain (the heatmap's
rows) and, for each, its ``repos_per_project`` most downloaded repos in the domain. Every repo
is stored as it is read (a rerun skips what is done: resumable and idempotent); a repo whose
history cannot be read is stored with the error, never stopping the scan. Simulated snapshots
are refused: their repos do not exist on the Hub.
"""

import logging
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from growth import selectors
from growth.core.aggregate import AGGREGATE_COLUMNS
from growth.core.domains import classify
from growth.models import ReleaseCell, RepoContributors, Snapshot

from .ingest import hub_endpoint
from .repo_rows import read_repo_rows

log = logging.getLogger(__name__)


class CommunityScanError(ValueError):
    """A scan that cannot run, saying why."""


def _projects(snapshot: Snapshot, domain: str, limit: int) -> list[str]:
    totals = Counter()
    for cell in ReleaseCell.objects.filter(snapshot=snapshot, domain=domain):
        totals[cell.author] += cell.model_releases + cell.dataset_releases
    return [name for name, _ in sorted(totals.items(), key=lambda i: (-i[1], i[0].lower()))][:limit]


def repos_to_scan(snapshot: Snapshot, domain: str, projects: int, repos_per_project: int):
    """(project, repo_type, repo_id) for the domain's top organizations' most downloaded repos."""
    names = _projects(snapshot, domain, projects)
    if not names:
        return []
    table = read_repo_rows(snapshot.pk, [*AGGREGATE_COLUMNS, "baseModels"])
    authors = pc.utf8_lower(pc.fill_null(table["author"], ""))
    table = table.filter(pc.is_in(authors, pa.array([n.lower() for n in names])))
    in_domain = classify(table, selectors.active_rules()).get(domain)
    if in_domain is None:
        return []
    table = table.filter(pa.array(in_domain))
    order = np.argsort(-pc.fill_null(table["downloadsAllTime"], 0).to_numpy(zero_copy_only=False))
    canonical = {n.lower(): n for n in names}
    picked, per_project = [], Counter()
    for row in order.tolist():
        project = canonical[table["author"][row].as_py().lower()]
        if per_project[project] < repos_per_project:
            per_project[project] += 1
            picked.append((project, table["repo_type"][row].as_py(), table["id"][row].as_py()))
    return picked


def scan_contributors(
    snapshot_id: int,
    domain: str = "science",
    projects: int = 20,
    repos_per_project: int = 10,
    endpoint: str | None = None,
    token: str | None = None,
) -> dict:
    """Read and store the commit authors of the sample; returns what was scanned, skipped, failed."""
    snapshot = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.READY).first()
    if snapshot is None:
        raise CommunityScanError(f"no ready snapshot with id {snapshot_id}")
    if snapshot.simulated:
        raise CommunityScanError(
            f"snapshot {snapshot} is simulated: its repos do not exist on the Hub, so they have "
            "no commit history to read"
        )
    if snapshot.rows_pruned:
        raise CommunityScanError(f"snapshot {snapshot} has no repo rows any more (pruned)")
    api = HfApi(endpoint=endpoint or hub_endpoint(), token=token)
    done = set(
        RepoContributors.objects.filter(snapshot=snapshot, domain=domain, error="").values_list(
            "repo_type", "repo_id"
        )
    )
    counts = {"scanned": 0, "skipped": 0, "failed": 0}
    for project, repo_type, repo_id in repos_to_scan(snapshot, domain, projects, repos_per_project):
        if (repo_type, repo_id) in done:
            counts["skipped"] += 1
            continue
        authors, error = {}, ""
        try:
            commits = api.list_repo_commits(repo_id, repo_type=repo_type)
            authors = dict(Counter(a for commit in commits for a in commit.authors))
        except (HfHubHTTPError, OSError, ValueError, KeyError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("commit history of %s %s not read: %s", repo_type, repo_id, error)
        RepoContributors.objects.update_or_create(
            snapshot=snapshot, domain=domain, repo_type=repo_type, repo_id=repo_id,
            defaults={"project": project, "authors": authors, "error": error},
        )  # fmt: skip
        counts["failed" if error else "scanned"] += 1
    return counts
