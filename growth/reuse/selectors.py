"""Reads of the stored reuse metrics and dataset citations (no computation: pages stay instant)."""

import datetime as dt

from growth.reuse.models import SOURCE_PREFERENCE, DatasetCitation, ReuseMetrics

HUB_URL = "https://huggingface.co"


def _domain_order(key: str):
    return (key != "hub", key.split("/")[0], "/" in key, key)


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


def reuse_source_on(date: dt.date | None, source: str | None = None) -> str | None:
    """Which snapshot of ``date`` to show: ``source`` when it has rows, else the first of
    live crawl, imported file, simulated that has. A date can hold several snapshots (a
    simulated and a real one of the same day never share rows)."""
    if date is None:
        return None
    present = set(
        ReuseMetrics.objects.filter(snapshot_date=date).values_list("snapshot_source", flat=True)
    )
    if source is not None:
        return source if source in present else None
    return next((s for s in SOURCE_PREFERENCE if s in present), None)


def reuse_metrics_by_domain(
    snapshot_date=None, source: str | None = None
) -> tuple[dt.date | None, dict[str, dict]]:
    """``(date, {domain: metrics})`` for a date (default: the latest stored) and snapshot source
    (default: see ``reuse_source_on``), ``hub`` first, then domains in order."""
    date = _as_date(snapshot_date) or reuse_latest_date()
    chosen = reuse_source_on(date, source)
    if date is None or chosen is None:
        return date, {}
    rows = ReuseMetrics.objects.filter(snapshot_date=date, snapshot_source=chosen).values_list(
        "domain", "metrics"
    )
    return date, dict(sorted(rows, key=lambda row: _domain_order(row[0])))


def _series_rows(domain: str, simulated: bool):
    """One stored row per date for a domain, never mixing simulated and real snapshots; a date
    with both a live and an imported snapshot gives the live one."""
    sources = ["simulated"] if simulated else [s for s in SOURCE_PREFERENCE if s != "simulated"]
    rows = ReuseMetrics.objects.filter(domain=domain, snapshot_source__in=sources)
    return rows.order_by("snapshot_date", "snapshot_source")


def _first_per_date(rows):
    seen, kept = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            kept.append(row)
    return kept


def reuse_concentration_over_time(domain: str, simulated: bool = False) -> list[dict]:
    """Per stored date, oldest first: repos, the concentration of downloads and likes, and the
    independent authors' share. Only these keys are read from the JSON, not whole rows."""
    rows = _series_rows(domain, simulated).values_list(
        "snapshot_date",
        "metrics__repos",
        "metrics__concentration__downloads",
        "metrics__concentration__likes",
        "metrics__authors__independent_share_downloads",
    )
    return [
        {
            "date": date.isoformat(),
            "repos": repos,
            "downloads": downloads or {},
            "likes": likes or {},
            "independent_share": independent,
        }
        for date, repos, downloads, likes, independent in _first_per_date(rows)
    ]


def reuse_daily_downloads(domain: str, simulated: bool = False) -> list[dict]:
    """The domain's daily downloads on each stored date (from snapshot differences)."""
    rows = _series_rows(domain, simulated).values_list(
        "snapshot_date", "metrics__adoption__daily_downloads_at_date"
    )
    return [point for _, point in _first_per_date(rows) if point]


def models_citing_dataset(repo_id: str, snapshot=None) -> list[dict]:
    """The Hub models that declare the dataset ``repo_id`` (``dataset:<repo_id>`` tag).

    ``snapshot`` is a date (or ISO string); default the latest date with stored metrics, so a
    dataset that lost its citations shows none rather than stale ones. Most downloaded first.
    Each dict: model_id, url (None for a simulated snapshot), simulated, author, downloads (30 days), downloads_all_time, likes,
    pipeline_tag, library_name, external (author differs from the dataset's), snapshot_date.
    """
    date = _as_date(snapshot) if snapshot is not None else reuse_latest_date()
    if date is None:
        return []
    source = reuse_source_on(date)
    if source is None:
        return []
    # A simulated snapshot's models do not exist on the Hub: labelled, and no link.
    simulated = source == "simulated"
    rows = DatasetCitation.objects.filter(
        snapshot_date=date, snapshot_source=source, dataset_id=repo_id
    )
    return [
        {
            "model_id": c.model_id,
            "url": None if simulated else f"{HUB_URL}/{c.model_id}",
            "simulated": simulated,
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


def hub_snapshot_on(date: dt.date | None, source: str | None = None):
    """The growth ``Snapshot`` shown for ``date`` (the source ``reuse_source_on`` picks), to
    say whether the metrics describe simulated data; None when the date has no stored snapshot."""
    if date is None:
        return None
    from growth.models import Snapshot

    chosen = reuse_source_on(date, source)
    snapshots = Snapshot.objects.filter(taken_on=date)
    if chosen is not None:
        return snapshots.filter(source=chosen).first()
    return snapshots.order_by("-simulated").first()
