"""Pages and CSV/JSON exports. Thin: every number comes from growth.selectors."""

import csv
import io
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.params import is_whole_number
from growth import selectors
from growth.core import science
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
        # "hub" is every repo of the snapshot, stored under HUB_KEY beside the domains.
        self.storage_key = selectors.storage_key(self.key)
        if self.snapshot is not None and not self.errors:
            try:
                selectors.require_domain(self.snapshot, self.storage_key)
            except selectors.UnknownDomain:
                self.errors.append(f"unknown domain {self.key!r}")

    def payload(self, chart: str, rows) -> dict:
        """What the JSON export and the API return for one chart: data plus provenance."""
        version = selectors.rules_version(self.snapshot)
        return {
            "domain": self.key,
            "chart": chart,
            # The heatmap counts models and datasets together, as the report's heatmap does.
            "repo_type": "all" if chart == "heatmap" else self.repo_type,
            "period": self.period if chart in ("creations", "subdomains") else None,
            "snapshot": self.snapshot.pk,
            "snapshot_date": self.snapshot.taken_on.isoformat(),
            "source": self.snapshot.source,
            "simulated": self.snapshot.simulated,
            "rules_version": version["number"],
            "rules_current": version["current"],
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
        chart: selectors.chart_rows(
            query.snapshot, query.storage_key, chart, query.repo_type, query.period
        )
        for chart in selectors.CHARTS
    }
    parent = key.split("/")[0]
    rules = selectors.rules_by_key()
    context = {
        "key": key,
        "parent": parent,
        "subdomains": [k for k in rules if k.startswith(parent + "/")],
        "rules": rules.get(key, []) + _exclusions_for(rules, key),
        "rules_version": selectors.rules_version(query.snapshot),
        "taxonomy": _taxonomy(parent),
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


def _exclusions_for(rules: dict, key: str) -> list:
    """A sub-domain's page also lists its domain's exclusions (they apply to it too)."""
    if "/" not in key:
        return []
    return [r for r in rules.get(key.split("/")[0], []) if r.exclude and not r.subdomain]


def _taxonomy(parent: str) -> list[dict]:
    """The science sub-domains with what they cover (the report's four areas first)."""
    if parent != science.DOMAIN:
        return []
    return [
        {"key": science.subdomain_key(name), "label": label, "description": description,
         "report_area": name in science.REPORT_AREAS}
        for name, (label, description) in science.TAXONOMY.items()
    ]  # fmt: skip


@require_GET
def heatmap(request):
    """Organizations x months: releases (models + datasets) in a domain, filterable by sub-domain.

    Plain HTML and CSS (no script): the grid is a table whose cells carry a colour level.
    """
    params = request.GET.copy()
    params.setdefault("domain", "science")
    query = ChartQuery(params)
    if query.snapshot is None:
        return render(request, "growth/index.html", {"snapshot": None}, status=404)
    window = params.get("months", "24")
    if not window.isdigit() or int(window) not in selectors.HEATMAP_WINDOWS:
        query.errors.append(
            "months must be one of "
            + ", ".join(str(w) for w in selectors.HEATMAP_WINDOWS)
            + " (0 = every month)"
        )
    if query.errors:
        return render(request, "growth/error.html", {"errors": query.errors}, status=400)
    window = int(window)
    grid = selectors.heatmap_grid(query.snapshot, query.key, window)
    parent = query.key.split("/")[0]
    rules = selectors.rules_by_key()
    context = {
        "key": query.key,
        "parent": parent,
        "domains": [k for k in rules if "/" not in k],
        "subdomains": [k for k in rules if k.startswith(parent + "/")],
        "query": query,
        "snapshot": query.snapshot,
        "snapshots": selectors.ready_snapshots()[:50],
        "grid": grid,
        "windows": selectors.HEATMAP_WINDOWS,
        "levels": range(selectors.HEATMAP_LEVELS + 1),
        "rules_version": selectors.rules_version(query.snapshot),
        "definitions": DEFINITIONS,
        "export_query": f"domain={query.key}&snapshot={query.snapshot.pk}",
    }
    return render(request, "growth/heatmap.html", context)


@require_GET
def community(request):
    """Community projects: the domain's organizations ranked by distinct commit authors."""
    params = request.GET.copy()
    params.setdefault("domain", "science")
    query = ChartQuery(params)
    if query.snapshot is None:
        return render(request, "growth/index.html", {"snapshot": None}, status=404)
    if query.errors:
        return render(request, "growth/error.html", {"errors": query.errors}, status=400)
    rules = selectors.rules_by_key()
    context = {
        "key": query.key,
        "parent": query.key.split("/")[0],
        "keys": list(rules),
        "query": query,
        "snapshot": query.snapshot,
        "snapshots": selectors.ready_snapshots()[:50],
        "community": selectors.community(query.snapshot, query.key),
    }
    return render(request, "growth/community.html", context)


@require_GET
def export(request, chart: str, fmt: str):
    if chart not in selectors.CHARTS or fmt not in ("csv", "json"):
        raise Http404(f"no export {chart}.{fmt}: charts are {selectors.CHARTS}, formats csv, json")
    query = ChartQuery(request.GET)
    if query.snapshot is None:
        return JsonResponse({"errors": ["no snapshot has been loaded yet"]}, status=404)
    if query.errors:
        return JsonResponse({"errors": query.errors}, status=400)
    rows = selectors.chart_rows(
        query.snapshot, query.storage_key, chart, query.repo_type, query.period
    )
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
        "rules_version": payload.get("rules_version"),
    }
    columns = list(provenance) + (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**provenance, **row})
    return buffer.getvalue()
