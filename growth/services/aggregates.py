"""Growth aggregates of stored snapshots: compute with the active rules, store, recompute
after a rule change, and prune old repo rows."""

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from growth import selectors
from growth.core.aggregate import aggregate
from growth.core.domains import rules_digest
from growth.models import (
    CategoryRank,
    DomainStat,
    HubRepo,
    MonthlyCreation,
    ReleaseCell,
    RuleSetVersion,
    Snapshot,
    TopAuthor,
)

from .repo_rows import read_repo_rows


def rule_version(rules) -> RuleSetVersion:
    """The numbered version of a rule set, recorded the first time the set is used."""
    digest = rules_digest(rules)
    version = RuleSetVersion.objects.filter(digest=digest).first()
    if version is None:
        version, _ = RuleSetVersion.objects.get_or_create(
            digest=digest,
            defaults={
                "rules": [
                    {"domain": r.domain, "subdomain": r.subdomain, "field": r.field,
                     "value": r.value, "reason": r.description, "exclude": r.exclude,
                     "overrides_exclusions": r.overrides_exclusions}
                    for r in rules
                ]
            },
        )  # fmt: skip
    return version


def previous_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """The latest ready snapshot before this one, of the same kind (never mixes simulated/real)."""
    return (
        Snapshot.objects.filter(
            taken_on__lt=snapshot.taken_on,
            simulated=snapshot.simulated,
            status=Snapshot.Status.READY,
            rows_pruned=False,
        )
        .order_by("-taken_on", "-id")
        .first()
    )


@transaction.atomic
def store_aggregates(snapshot: Snapshot, table: pa.Table, previous_table=None, previous=None):
    """Compute a snapshot's aggregates with the active rules and replace the stored ones."""
    rules = selectors.active_rules()
    result = aggregate(table, rules, selectors.organization_directory(), previous=previous_table)
    snapshot.rules_version = rule_version(rules)
    for model in (MonthlyCreation, DomainStat, CategoryRank, TopAuthor, ReleaseCell):
        model.objects.filter(snapshot=snapshot).delete()
    MonthlyCreation.objects.bulk_create(
        [
            MonthlyCreation(snapshot=snapshot, domain=d, repo_type=t, month=m, created=c)
            for d, t, m, c in result.monthly
        ],
        batch_size=2000,
    )
    days = (snapshot.taken_on - previous.taken_on).days if previous is not None else None
    DomainStat.objects.bulk_create(
        [
            DomainStat(
                snapshot=snapshot,
                days_since_previous=days if s["downloads_since_previous"] is not None else None,
                **s,
            )
            for s in result.stats
        ],
        batch_size=2000,
    )
    CategoryRank.objects.bulk_create(
        [CategoryRank(snapshot=snapshot, **r) for r in result.ranks], batch_size=2000
    )
    TopAuthor.objects.bulk_create(
        [TopAuthor(snapshot=snapshot, **a) for a in result.top_authors], batch_size=2000
    )
    ReleaseCell.objects.bulk_create(
        [
            ReleaseCell(
                snapshot=snapshot, domain=c["domain"], author=c["author"], month=c["month"],
                model_releases=c["models"], dataset_releases=c["datasets"],
            )
            for c in result.releases
        ],
        batch_size=2000,
    )  # fmt: skip
    snapshot.models_count = result.models
    snapshot.datasets_count = result.datasets
    snapshot.status = Snapshot.Status.READY
    snapshot.aggregated_at = timezone.now()
    snapshot.save(
        update_fields=["models_count", "datasets_count", "status", "aggregated_at", "rules_version"]
    )
    return result


def aggregate_snapshot(snapshot_id: int) -> Snapshot:
    """(Re)compute one stored snapshot's aggregates from its rows, e.g. after the rules changed."""
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    if snapshot.rows_pruned:
        raise ValueError(f"snapshot {snapshot} has no repo rows any more; its aggregates are kept")
    table = read_repo_rows(snapshot.pk)
    previous = previous_snapshot(snapshot)
    previous_table = (
        read_repo_rows(previous.pk, ["repo_type", "id", "downloadsAllTime"]) if previous else None
    )
    store_aggregates(snapshot, table, previous_table, previous)
    return snapshot


def reaggregate_all() -> int:
    """Recompute every ready snapshot, oldest first (rules or organizations changed)."""
    ids = list(
        Snapshot.objects.filter(status=Snapshot.Status.READY, rows_pruned=False)
        .order_by("taken_on", "id")
        .values_list("id", flat=True)
    )
    for snapshot_id in ids:
        aggregate_snapshot(snapshot_id)
    return len(ids)


def prune_repo_rows(keep: int = 2) -> list[Snapshot]:
    """Delete the repo rows of all but the ``keep`` latest ready snapshots of each kind.

    Aggregates (what the pages show) stay; a pruned snapshot cannot be re-aggregated after a rule
    change. A full Hub snapshot is ~2.5M rows (~1.6 GB on PostgreSQL), so daily crawls add up.
    """
    if keep < 1:
        raise ValueError("keep at least the latest snapshot: the next one needs it for deltas")
    pruned = []
    for simulated in (False, True):
        ready = Snapshot.objects.filter(status=Snapshot.Status.READY, simulated=simulated)
        for snapshot in ready.order_by("-taken_on", "-id")[keep:]:
            if snapshot.rows_pruned:
                continue
            with transaction.atomic():
                HubRepo.objects.filter(snapshot=snapshot).delete()
                snapshot.rows_pruned = True
                snapshot.save(update_fields=["rows_pruned"])
            pruned.append(snapshot)
    return pruned
