"""Reads of the stored reuse metrics and dataset citations (no computation: pages stay instant)."""

import datetime as dt

from growth.reuse.models import DatasetCitation, ReuseMetrics

HUB_URL = "https://huggingface.co"


def _domain_order(key: str):
    return (key.split("/")[0], "/" in key, key)


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def reuse_snapshot_dates() -> list[dt.date]:
    """Dates with stored metrics, newest first."""
    return list(
        ReuseMetrics.objects.order_by("-snapshot_date")
        .values_list("snapshot_date", flat=True)
        .distinct()
    )


def reuse_latest_date(before: dt.date | None = None) -> dt.date | None:
    rows = ReuseMetrics.objects.all()
    if before is not None:
        rows = rows.filter(snapshot_date__lte=before)
    return rows.order_by("-snapshot_date").values_list("snapshot_date", flat=True).first()


def reuse_metrics_by_domain(snapshot_date=None) -> tuple[dt.date | None, dict[str, dict]]:
    """``(date, {domain: metrics})`` for a date (default: the latest stored), domains in order."""
    date = _as_date(snapshot_date) or reuse_latest_date()
    if date is None:
        return None, {}
    rows = ReuseMetrics.objects.filter(snapshot_date=date).values_list("domain", "metrics")
    return date, dict(sorted(rows, key=lambda row: _domain_order(row[0])))


def reuse_concentration_over_time(domain: str) -> list[dict]:
    """Per stored date, oldest first: repos, the concentration of downloads and likes, and the
    independent authors' share. Only these keys are read from the JSON, not whole rows."""
    rows = (
        ReuseMetrics.objects.filter(domain=domain)
        .order_by("snapshot_date")
        .values_list(
            "snapshot_date",
            "metrics__repos",
            "metrics__concentration__downloads",
            "metrics__concentration__likes",
            "metrics__authors__independent_share_downloads",
        )
    )
    return [
        {
            "date": date.isoformat(),
            "repos": repos,
            "downloads": downloads or {},
            "likes": likes or {},
            "independent_share": independent,
        }
        for date, repos, downloads, likes, independent in rows
    ]


def reuse_daily_downloads(domain: str) -> list[dict]:
    """The domain's daily downloads on each stored date (from snapshot differences)."""
    points = (
        ReuseMetrics.objects.filter(domain=domain)
        .order_by("snapshot_date")
        .values_list("metrics__adoption__daily_downloads_at_date", flat=True)
    )
    return [point for point in points if point]


def models_citing_dataset(repo_id: str, snapshot=None) -> list[dict]:
    """The Hub models that declare the dataset ``repo_id`` (``dataset:<repo_id>`` tag).

    ``snapshot`` is a date (or ISO string); default the latest date with stored metrics, so a
    dataset that lost its citations shows none rather than stale ones. Most downloaded first.
    Each dict: model_id, url, author, downloads (30 days), downloads_all_time, likes,
    pipeline_tag, library_name, external (author differs from the dataset's), snapshot_date.
    """
    date = _as_date(snapshot) if snapshot is not None else reuse_latest_date()
    if date is None:
        return []
    rows = DatasetCitation.objects.filter(snapshot_date=date, dataset_id=repo_id)
    return [
        {
            "model_id": c.model_id,
            "url": f"{HUB_URL}/{c.model_id}",
            "author": c.model_author,
            "downloads": c.downloads,
            "downloads_all_time": c.downloads_all_time,
            "likes": c.likes,
            "pipeline_tag": c.pipeline_tag,
            "library_name": c.library_name,
            "external": c.external,
            "snapshot_date": c.snapshot_date,
        }
        for c in rows.order_by("-downloads_all_time", "model_id")
    ]


def hub_snapshot_on(date: dt.date | None):
    """The growth ``Snapshot`` taken on ``date`` (a simulated one first), to say whether the
    metrics of that date describe simulated data; None when the date has no stored snapshot."""
    if date is None:
        return None
    from growth.models import Snapshot

    return Snapshot.objects.filter(taken_on=date).order_by("-simulated").first()
