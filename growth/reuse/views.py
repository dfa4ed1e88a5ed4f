"""Pages of the reuse metrics: thin views over ``selectors`` (stored metrics, nothing computed)."""

import datetime as dt

from django.http import Http404
from django.shortcuts import render

from growth.core.reuse.definitions import ALL, CORE, lookup

from .selectors import (
    hub_snapshot_on,
    reuse_concentration_over_time,
    reuse_daily_downloads,
    reuse_metrics_by_domain,
    reuse_snapshot_dates,
)


def _requested_date(request) -> tuple[dt.date | None, str]:
    raw = request.GET.get("date", "").strip()
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return None, f"'{raw}' is not a date (YYYY-MM-DD); showing the latest snapshot."


def _metric_rows(metrics_list: list[dict], definitions) -> list[dict]:
    return [
        {"metric": m, "values": [lookup(metrics, m.key) for metrics in metrics_list]}
        for m in definitions
    ]


def _polyline(values: list, width: int = 320, height: int = 80) -> str:
    """SVG polyline points for a small line chart of values in [0, max] (None skipped)."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    top = max(v for _, v in points) or 1.0
    last = max(len(values) - 1, 1)
    return " ".join(
        f"{4 + i * (width - 8) / last:.1f},{height - 4 - v / top * (height - 8):.1f}"
        for i, v in points
    )


def reuse_index(request):
    wanted, warning = _requested_date(request)
    date, domains = reuse_metrics_by_domain(wanted)
    if wanted and date is None:
        warning = f"No reuse metrics stored for {wanted.isoformat()}."
    return render(
        request,
        "growth/reuse_index.html",
        {
            "snapshot_date": date,
            "snapshot": hub_snapshot_on(date),
            "dates": reuse_snapshot_dates(),
            "domains": list(domains),
            "rows": _metric_rows(list(domains.values()), CORE),
            "warning": warning,
        },
    )


def reuse_domain(request, domain: str):
    wanted, warning = _requested_date(request)
    date, domains = reuse_metrics_by_domain(wanted)
    if domain not in domains:
        raise Http404(f"no reuse metrics for domain {domain!r}")
    metrics = domains[domain]
    over_time = reuse_concentration_over_time(domain)
    daily = reuse_daily_downloads(domain)
    return render(
        request,
        "growth/reuse_domain.html",
        {
            "domain": domain,
            "snapshot_date": date,
            "snapshot": hub_snapshot_on(date),
            "warning": warning,
            "metrics": metrics,
            "rows": _metric_rows([metrics], ALL),
            "over_time": over_time,
            "top1_line": _polyline([p["downloads"].get("top1pct_share") for p in over_time]),
            "gini_line": _polyline([p["downloads"].get("gini") for p in over_time]),
            "daily": daily,
            "daily_line": _polyline([p["daily_downloads"] for p in daily]),
        },
    )


def reuse_dataset(request, repo_id: str):
    """The Hub models citing a dataset, in the snapshot of ``?date=`` (default the latest)."""
    wanted, warning = _requested_date(request)
    return render(
        request,
        "growth/reuse_dataset.html",
        {"dataset_repo_id": repo_id, "snapshot_date": wanted, "warning": warning},
    )
