"""Pages of the reuse metrics: thin views over ``selectors`` (stored metrics, nothing computed)."""

import datetime as dt

from django.http import Http404
from django.shortcuts import render

from growth.core.reuse.definitions import ALL, CORE, lookup

from .selectors import (
    hub_snapshot_on,
    reuse_chart_rows,
    reuse_concentration_over_time,
    reuse_daily_downloads,
    reuse_metrics_by_domain,
    reuse_snapshot_dates,
    reuse_source_on,
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


def _origins(metrics: dict) -> dict:
    """The countries/developer-types tables of a domain page, largest first ("not available"
    values stay strings and the template shows them)."""
    countries = metrics.get("country_share_downloads_30d")
    types = metrics.get("developer_type_share_downloads")
    developers = metrics.get("developers") if isinstance(metrics.get("developers"), dict) else {}
    by_month = developers.get("country_share_of_new_repos_by_created_month")
    by_month = by_month if isinstance(by_month, dict) else {}
    recent = sorted(by_month.items())[-12:]
    month_countries = sorted(
        {c for _, shares in recent for c in (shares or {})}, key=lambda c: (c == "unknown", c)
    )
    return {
        "countries": sorted(countries.items(), key=lambda kv: -kv[1])
        if isinstance(countries, dict)
        else [],
        "types": sorted(types.items(), key=lambda kv: -kv[1]) if isinstance(types, dict) else [],
        "bases": list((developers.get("classified_by") or {}).items()),
        "new_repos_by_month": recent,
        "month_countries": month_countries,
    }


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
    simulated = reuse_source_on(date) == "simulated"
    over_time = reuse_concentration_over_time(domain, simulated)
    daily = reuse_daily_downloads(domain, simulated)
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
            "daily": daily,
            "origins": _origins(metrics),
            "reuse_charts": {
                "simulated": simulated,
                "concentration": reuse_chart_rows("concentration", domain, date)["results"],
                "daily": reuse_chart_rows("daily", domain, date)["results"],
            },
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


def reuse_report(request):
    """ "Report vs platform": every headline figure of the Spring 2026 report beside ours."""
    from django.http import JsonResponse

    from .selectors import report_comparison

    wanted, warning = _requested_date(request)
    source = request.GET.get("source") or None
    comparison = report_comparison(wanted, source)
    if request.GET.get("format") == "json":
        return JsonResponse(comparison, json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "growth/reuse_report.html",
        {
            "comparison": comparison,
            "snapshot_date": comparison["snapshot_date"],
            "snapshot": hub_snapshot_on(
                dt.date.fromisoformat(comparison["snapshot_date"]), comparison["source"]
            )
            if comparison["snapshot_date"]
            else None,
            "dates": reuse_snapshot_dates(),
            "warning": warning,
        },
    )


def reuse_export(request, chart: str, fmt: str):
    """CSV/JSON of a reuse chart: ``metrics`` (every domain of a snapshot), ``concentration``
    and ``daily`` (one domain over time, ``?domain=``); ``?date=`` and ``?source=`` pick the
    snapshot. Simulated data is labelled in every row and in the file name."""
    import csv
    import io
    import json

    from django.http import HttpResponse, JsonResponse

    from .selectors import REUSE_CHARTS

    if chart not in REUSE_CHARTS or fmt not in ("csv", "json"):
        raise Http404(f"no export {chart}.{fmt}: charts are {REUSE_CHARTS}, formats csv, json")
    wanted, warning = _requested_date(request)
    if warning:
        return JsonResponse({"errors": [warning]}, status=400)
    domain = request.GET.get("domain") or ("hub" if chart != "metrics" else None)
    payload = reuse_chart_rows(chart, domain, wanted, request.GET.get("source") or None)
    if payload["snapshot_date"] is None:
        return JsonResponse({"errors": ["no reuse metrics stored"]}, status=404)
    name = f"reuse-{chart}-{(domain or 'all').replace('/', '-')}-{payload['snapshot_date']}"
    if payload["simulated"]:
        name += "-SIMULATED"
    if fmt == "json":
        response = HttpResponse(json.dumps(payload, indent=1), content_type="application/json")
    else:
        rows = payload["results"]
        provenance = {k: payload[k] for k in ("snapshot_date", "source", "simulated")}
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(provenance) + (list(rows[0]) if rows else [])
        )
        writer.writeheader()
        for row in rows:
            writer.writerow({**provenance, **row})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
