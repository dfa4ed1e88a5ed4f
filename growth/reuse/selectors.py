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


def report_comparison(snapshot_date=None, source: str | None = None) -> dict:
    """The report's headline figures beside ours, for one stored snapshot (default the latest):
    ``{"snapshot_date", "source", "simulated", "rows": [...]}`` (``growth.core.report``)."""
    from growth import selectors as growth_selectors
    from growth.core.report import headline_rows

    date, domains = reuse_metrics_by_domain(snapshot_date, source)
    chosen = reuse_source_on(date, source)
    snapshot = hub_snapshot_on(date, chosen)
    growth = {}
    if snapshot is not None and snapshot.status == snapshot.Status.READY:
        yearly = growth_selectors.rank_series(snapshot, "robotics", "dataset")
        growth["robotics_datasets_by_year"] = {str(r["year"]): r["created"] for r in yearly}
        growth["robotics_rank_by_year"] = {
            str(r["year"]): r["rank_created"] for r in yearly if r["rank_created"]
        }
    lineage = [
        rule.key
        for rule in growth_selectors.active_rules()
        if rule.field == "lineage" and rule.value.lower() == "qwen"
    ]
    growth["qwen_domain"] = lineage[0] if lineage else None
    return {
        "snapshot_date": date.isoformat() if date else None,
        "source": chosen,
        "simulated": chosen == "simulated",
        "rows": headline_rows(domains, growth) if domains else [],
    }


REUSE_CHARTS = ("metrics", "concentration", "daily")
EXPORT_KEYS = (
    "repos", "downloads_total", "gini_downloads", "top1pct_share_downloads",
    "top0_01pct_share_downloads", "share_under_200_downloads", "hhi_authors",
    "derivatives_total", "dataset_reuse_ratio", "declaration_rate",
)  # fmt: skip


def _flat(value):
    return value if not isinstance(value, (dict, list)) else None


def reuse_chart_rows(chart: str, domain: str | None, snapshot_date=None, source=None) -> dict:
    """What the reuse charts draw and the exports hold: ``{"snapshot_date", "source",
    "simulated", "domain", "results": [flat rows]}``. ``metrics``: one row per domain (and its
    models/datasets) for one snapshot; ``concentration`` and ``daily``: one row per stored date
    of one domain, never mixing simulated and real snapshots."""
    date, domains = reuse_metrics_by_domain(snapshot_date, source)
    chosen = reuse_source_on(date, source)
    simulated = chosen == "simulated"
    if chart == "metrics":
        results = []
        for key, metrics in domains.items():
            for scope, values in (("all", metrics), ("models", metrics.get("models")),
                                  ("datasets", metrics.get("datasets"))):  # fmt: skip
                if not isinstance(values, dict):
                    continue
                row = {"domain": key, "repo_type": scope}
                row |= {k: _flat(values.get(k)) for k in EXPORT_KEYS}
                shares = values.get("country_share_downloads_30d")
                row["cn_share_downloads_30d"] = (
                    shares.get("CN") if isinstance(shares, dict) else None
                )
                row["us_share_downloads_30d"] = (
                    shares.get("US") if isinstance(shares, dict) else None
                )
                row["unknown_country_share_downloads_30d"] = (
                    shares.get("unknown") if isinstance(shares, dict) else None
                )
                types = values.get("developer_type_share_downloads")
                for name in ("industry", "academic", "non-profit", "government", "independent"):
                    row[f"{name}_share_downloads"] = (
                        types.get(name) if isinstance(types, dict) else None
                    )
                results.append(row)
    elif chart == "concentration":
        results = [
            {
                "date": p["date"],
                "repos": p["repos"],
                "top0_01pct_share": p["downloads"].get("top0_01pct_share"),
                "top1pct_share": p["downloads"].get("top1pct_share"),
                "gini": p["downloads"].get("gini"),
                "hhi_authors": p["downloads"].get("hhi_authors"),
                "independent_share": p["independent_share"],
            }
            for p in reuse_concentration_over_time(domain, simulated)
        ]
    elif chart == "daily":
        results = [
            {"date": p["date"], "daily_downloads": p["daily_downloads"]}
            for p in reuse_daily_downloads(domain, simulated)
        ]
    else:
        raise KeyError(chart)
    return {
        "snapshot_date": date.isoformat() if date else None,
        "source": chosen,
        "simulated": simulated,
        "domain": domain,
        "results": results,
    }
