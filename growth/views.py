"""Pages and CSV/JSON exports. Thin: every number comes from growth.selectors."""

import csv
import io
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.params import is_whole_number
from growth import selectors
from growth.definitions import CHART_DEFINITIONS, DEFINITIONS


class ChartQuery:
    """The query parameters shared by pages, exports and the API, validated with clear errors."""

    def __init__(self, params, key: str | None = None):
        self.errors = []
        self.repo_type = params.get("repo_type", "dataset")
        if self.repo_type not in selectors.REPO_TYPE_NAMES:
            self.errors.append(f"repo_type must be one of {', '.join(selectors.REPO_TYPE_NAMES)}")
        self.period = params.get("period", "year")
        if self.period not in selectors.PERIODS:
            self.errors.append(f"period must be one of {', '.join(selectors.PERIODS)}")
        snapshot_id = params.get("snapshot")
        if snapshot_id not in (None, "") and not is_whole_number(str(snapshot_id)):
            self.errors.append("snapshot must be a snapshot id (an integer)")
            snapshot_id = None
        self.snapshot = selectors.current_snapshot(int(snapshot_id) if snapshot_id else None)
        if snapshot_id and self.snapshot is None:
            self.errors.append(f"no ready snapshot with id {snapshot_id}")
        self.key = key if key is not None else params.get("domain", "")
        if self.snapshot is not None and not self.errors:
            try:
                selectors.require_domain(self.snapshot, self.key)
            except selectors.UnknownDomain:
                self.errors.append(f"unknown domain {self.key!r}")

    def payload(self, chart: str, rows) -> dict:
        """What the JSON export and the API return for one chart: data plus provenance."""
        return {
            "domain": self.key,
            "chart": chart,
            "repo_type": self.repo_type,
            "period": self.period if chart in ("creations", "subdomains") else None,
            "snapshot": self.snapshot.pk,
            "snapshot_date": self.snapshot.taken_on.isoformat(),
            "source": self.snapshot.source,
            "simulated": self.snapshot.simulated,
            "definition": CHART_DEFINITIONS[chart],
            "results": rows,
        }


@require_GET
def index(request):
    snapshot = selectors.current_snapshot()
    context = {
        "snapshot": snapshot,
        "snapshots": selectors.ready_snapshots()[:50],
        "definitions": DEFINITIONS,
        "crawl": selectors.latest_ingest_run(),
    }
    if snapshot is not None:
        context["domains"] = selectors.domain_summaries(snapshot)
        for repo_type in selectors.REPO_TYPE_NAMES:
            # The last complete year (the report's view); the snapshot's year is year-to-date.
            rows, year = selectors.category_rows(snapshot, repo_type, snapshot.taken_on.year - 1)
            if not rows.exists():
                rows, year = selectors.category_rows(snapshot, repo_type)
            context[f"{repo_type}_categories"] = list(rows[:15])
            context[f"{repo_type}_categories_year"] = year
    return render(request, "growth/index.html", context)


@require_GET
def domain_page(request, key: str):
    query = ChartQuery(request.GET, key=key)
    if query.snapshot is None:
        return render(request, "growth/index.html", {"snapshot": None}, status=404)
    if query.errors:
        if any(e.startswith("unknown domain") for e in query.errors):
            raise Http404(f"unknown domain {key!r}")
        return render(request, "growth/error.html", {"errors": query.errors}, status=400)
    charts = {
        chart: selectors.chart_rows(query.snapshot, key, chart, query.repo_type, query.period)
        for chart in selectors.CHARTS
    }
    parent = key.split("/")[0]
    rules = selectors.rules_by_key()
    context = {
        "key": key,
        "parent": parent,
        "subdomains": [k for k in rules if k.startswith(parent + "/")],
        "rules": rules.get(key, []),
        "query": query,
        "snapshot": query.snapshot,
        "snapshots": selectors.ready_snapshots()[:50],
        "charts": charts,
        "chart_definitions": CHART_DEFINITIONS,
        "definitions": DEFINITIONS,
        "organizations": [a for a in charts["authors"] if a["kind"] == "organization"],
        "independents": [a for a in charts["authors"] if a["kind"] == "independent"],
        "periods": selectors.PERIODS,
        "repo_types": selectors.REPO_TYPE_NAMES,
        "chart_names": selectors.CHARTS,
        "chart_meta": {
            "key": key,
            "parent": parent,
            "repo_type": query.repo_type,
            "period": query.period,
            "simulated": query.snapshot.simulated,
            "subdomains": [k for k in rules if k.startswith(parent + "/")],
        },
    }
    return render(request, "growth/domain.html", context)


@require_GET
def export(request, chart: str, fmt: str):
    if chart not in selectors.CHARTS or fmt not in ("csv", "json"):
        raise Http404(f"no export {chart}.{fmt}: charts are {selectors.CHARTS}, formats csv, json")
    query = ChartQuery(request.GET)
    if query.snapshot is None:
        return JsonResponse({"errors": ["no snapshot has been loaded yet"]}, status=404)
    if query.errors:
        return JsonResponse({"errors": query.errors}, status=400)
    rows = selectors.chart_rows(query.snapshot, query.key, chart, query.repo_type, query.period)
    payload = query.payload(chart, rows)
    name = (
        f"growth-{query.key.replace('/', '-')}-{query.repo_type}-{chart}-{query.snapshot.taken_on}"
    )
    if query.snapshot.simulated:
        name += "-SIMULATED"
    if fmt == "json":
        response = HttpResponse(json.dumps(payload, indent=1), content_type="application/json")
    else:
        response = HttpResponse(to_csv(payload), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def to_csv(payload: dict) -> str:
    """One row per data point; provenance columns (domain, snapshot, simulated) on every row."""
    rows = payload["results"]
    provenance = {
        "domain": payload["domain"],
        "repo_type": payload["repo_type"],
        "snapshot_date": payload["snapshot_date"],
        "source": payload["source"],
        "simulated": payload["simulated"],
    }
    columns = list(provenance) + (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**provenance, **row})
    return buffer.getvalue()
