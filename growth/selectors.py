"""Reads: rules, snapshots and every chart's series, from the stored aggregates only.

Definitions (also on the page and in growth/README.md):

- created in a period: repos whose ``createdAt`` falls in the period (UTC), as listed in the
  snapshot; repos deleted before the snapshot are not seen, so older periods can only shrink.
- cumulative: repos created up to the end of the period (the stock still on the Hub).
- share of the Hub: the domain's count over all repos of the same type, per period and cumulative.
- YoY growth: ``N_period / N_same_period_a_year_earlier - 1`` for created and for cumulative counts.
- rank among task categories: 1 + the number of categories with more repos that year (datasets:
  ``task_categories:<x>`` tags; models: pipeline tags), not counting the domain's own categories.
"""

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Q

from growth.core.aggregate import HUB_KEY
from growth.core.developers import Organization
from growth.core.domains import DEFAULT_RULES, Rule, domain_keys, rules_digest
from growth.models import (
    CategoryRank,
    DomainRule,
    DomainStat,
    IngestRun,
    KnownOrganization,
    MonthlyCreation,
    ReleaseCell,
    RuleSetVersion,
    Snapshot,
    TopAuthor,
)

log = logging.getLogger(__name__)

PERIODS = ("month", "quarter", "year")
REPO_TYPE_NAMES = ("dataset", "model")
CHARTS = ("creations", "ranks", "subdomains", "downloads", "authors", "heatmap")
HEATMAP_WINDOWS = (12, 24, 36, 0)  # months shown on the heatmap page; 0 = every month
HEATMAP_LEVELS = 6


class UnknownDomain(LookupError):
    pass


def active_rules() -> list[Rule]:
    """The admin's active rules as ``Rule`` objects; the defaults when there are none."""
    rows = DomainRule.objects.filter(active=True).order_by("domain", "subdomain", "field", "value")
    rules = [
        Rule(r.domain, r.subdomain, r.field, r.value, r.description, r.exclude,
             r.overrides_exclusions)
        for r in rows
    ]  # fmt: skip
    return rules or list(DEFAULT_RULES)


def organization_directory() -> list[Organization]:
    """The admin's organization table as rows of the one developer classifier
    (``growth.core.developers``), used by growth and reuse alike. A row the classifier would
    refuse (an unknown type, a country that is not a 2-letter code) is skipped and logged."""
    rows = []
    for org in KnownOrganization.objects.all():
        try:
            rows.append(org.as_organization())
        except ValueError as exc:
            log.warning("organization directory: %s (row skipped)", exc)
    return rows


def rules_by_key(rules: list[Rule] | None = None) -> dict[str, list[Rule]]:
    """Each domain key with the rules that place repos in it (a domain also lists sub-domains')."""
    rules = rules if rules is not None else active_rules()
    result = {key: [] for key in domain_keys(rules)}
    for rule in rules:
        result[rule.key].append(rule)
        if rule.subdomain:
            result[rule.domain].append(rule)
    return result


# --- snapshots -----------------------------------------------------------------------------------


def ready_snapshots():
    return Snapshot.objects.filter(status=Snapshot.Status.READY).order_by("-taken_on", "-id")


def current_snapshot(snapshot_id: int | None = None) -> Snapshot | None:
    """The requested snapshot, else the latest real one, else the latest simulated one."""
    snapshots = ready_snapshots()
    if snapshot_id is not None:
        return snapshots.filter(pk=snapshot_id).first()
    return snapshots.filter(simulated=False).first() or snapshots.first()


def domain_summaries(snapshot: Snapshot) -> list[dict]:
    """Every domain with its repo counts and share of the Hub in this snapshot."""
    stats = DomainStat.objects.filter(snapshot=snapshot)
    by_key = defaultdict(dict)
    for stat in stats:
        by_key[stat.domain][stat.repo_type] = stat
    hub = by_key.get(HUB_KEY, {})
    rules = rules_by_key()
    keys = sorted(
        (set(rules) | set(by_key)) - {HUB_KEY},
        key=lambda key: (key.split("/")[0], "/" in key, key),
    )
    summaries = []
    for key in keys:
        entry = {"key": key, "is_subdomain": "/" in key, "rules": rules.get(key, [])}
        for repo_type in REPO_TYPE_NAMES:
            stat = by_key.get(key, {}).get(repo_type)
            total = hub.get(repo_type)
            count = stat.repos if stat else 0
            entry[f"{repo_type}s"] = count
            entry[f"{repo_type}_share"] = count / total.repos if total and total.repos else None
        summaries.append(entry)
    return summaries


HUB_SCOPE = "hub"  # what pages, exports and the API call the scope of every repo


def storage_key(key: str) -> str:
    """The stored domain key of a requested one: ``hub`` is stored as ``HUB_KEY``."""
    return HUB_KEY if key == HUB_SCOPE else key


def require_domain(snapshot: Snapshot | None, key: str) -> None:
    known = set(rules_by_key())
    if snapshot is not None:
        known |= set(
            DomainStat.objects.filter(snapshot=snapshot).values_list("domain", flat=True).distinct()
        )
    if key == HUB_KEY:
        return
    if key not in known:
        raise UnknownDomain(key)


def latest_ingest_run() -> IngestRun | None:
    """The most recent live crawl, whatever its state (shown so a stalled crawl is noticed)."""
    return IngestRun.objects.select_related("snapshot").order_by("-snapshot__taken_on").first()


# --- periods -------------------------------------------------------------------------------------


def _period_start(month: date, period: str) -> date:
    if period == "year":
        return date(month.year, 1, 1)
    if period == "quarter":
        return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return date(month.year, month.month, 1)


def _period_label(start: date, period: str) -> str:
    if period == "year":
        return str(start.year)
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return start.strftime("%Y-%m")


def _next_start(start: date, period: str) -> date:
    step = {"month": 1, "quarter": 3, "year": 12}[period]
    months = start.year * 12 + start.month - 1 + step
    return date(months // 12, months % 12 + 1, 1)


def _year_before(start: date) -> date:
    return date(start.year - 1, start.month, 1)


def _monthly(snapshot: Snapshot, domain: str, repo_type: str, period: str) -> dict[date, int]:
    counts: dict[date, int] = defaultdict(int)
    rows = MonthlyCreation.objects.filter(snapshot=snapshot, domain=domain, repo_type=repo_type)
    for month, created in rows.values_list("month", "created"):
        counts[_period_start(month, period)] += created
    return counts


def _ratio(a, b):
    return a / b if b else None


def _elapsed_fraction(day: date) -> float:
    """Share of ``day``'s month that lies before it: a snapshot taken on the 16th holds 15 full
    days of that month (the crawl runs early in the day)."""
    days_in_month = (_next_start(date(day.year, day.month, 1), "month") - timedelta(days=1)).day
    return (day.day - 1) / days_in_month


def _same_span_a_year_earlier(monthly: dict[date, int], start: date, taken_on: date) -> tuple:
    """(created, cumulative) a year before, over the span elapsed by ``taken_on`` in the
    partial period starting at ``start``: whole months before the snapshot's month, plus the
    snapshot's month prorated by the elapsed share of its days (monthly aggregates hold no days).
    """
    earlier_start = _year_before(start)
    earlier_month = date(taken_on.year - 1, taken_on.month, 1)
    fraction = _elapsed_fraction(taken_on)
    created = sum(c for m, c in monthly.items() if earlier_start <= m < earlier_month)
    created += fraction * monthly.get(earlier_month, 0)
    cumulative = sum(c for m, c in monthly.items() if m < earlier_month)
    cumulative += fraction * monthly.get(earlier_month, 0)
    return created, cumulative


def creation_series(snapshot: Snapshot, domain: str, repo_type: str, period: str) -> list[dict]:
    """Created per period, cumulative, share of the Hub, and year-over-year growth.

    The period holding the snapshot date is incomplete: its row says ``partial`` (and until
    when), and its YoY compares the **same elapsed span** a year earlier (not a whole year
    against part of one: YoY +11 % for a year seen until November is really more).
    """
    own = _monthly(snapshot, domain, repo_type, period)
    hub = _monthly(snapshot, HUB_KEY, repo_type, period)
    if not hub:
        return []
    own_by_month = _monthly(snapshot, domain, repo_type, "month")
    start, end = min(hub), _period_start(snapshot.taken_on, period)
    end = max(end, max(hub))
    rows, cumulative, hub_cumulative = [], 0, 0
    by_start = {}
    while start <= end:
        created, hub_created = own.get(start, 0), hub.get(start, 0)
        cumulative += created
        hub_cumulative += hub_created
        partial = start <= snapshot.taken_on < _next_start(start, period)
        row = {
            "period": _period_label(start, period),
            "start": start.isoformat(),
            "partial": partial,
            "until": snapshot.taken_on.isoformat() if partial else None,
            "created": created,
            "cumulative": cumulative,
            "hub_created": hub_created,
            "hub_cumulative": hub_cumulative,
            "share_created": _ratio(created, hub_created),
            "share_cumulative": _ratio(cumulative, hub_cumulative),
            "yoy_created": None,
            "yoy_cumulative": None,
        }
        before = by_start.get(_year_before(start))
        if before is not None:
            before_created, before_cumulative = before["created"], before["cumulative"]
            if partial:
                before_created, before_cumulative = _same_span_a_year_earlier(
                    own_by_month, start, snapshot.taken_on
                )
            row["yoy_created"] = created / before_created - 1 if before_created else None
            row["yoy_cumulative"] = (
                cumulative / before_cumulative - 1 if before_cumulative else None
            )
        by_start[start] = row
        rows.append(row)
        start = _next_start(start, period)
    return rows


def _own_categories(domain: str, repo_type: str) -> set[str]:
    field = "task_category" if repo_type == "dataset" else "pipeline_tag"
    return {
        r.value.lower()
        for r in rules_by_key().get(domain, [])
        if r.field == field and not r.exclude  # an exclusion is not one of the domain's categories
    }


def rank_series(snapshot: Snapshot, domain: str, repo_type: str) -> list[dict]:
    """Per year: the domain's created and cumulative counts and its rank among task categories."""
    own_categories = _own_categories(domain, repo_type)
    yearly = creation_series(snapshot, domain, repo_type, "year")
    ranks = defaultdict(list)
    for row in CategoryRank.objects.filter(snapshot=snapshot, repo_type=repo_type):
        ranks[row.year].append(row)
    series = []
    for row in yearly:
        year = int(row["period"])
        others = [r for r in ranks.get(year, []) if r.category not in own_categories]
        mine = sorted(
            (r for r in ranks.get(year, []) if r.category in own_categories),
            key=lambda r: r.rank_created,
        )
        series.append(
            {
                "year": year,
                "created": row["created"],
                "cumulative": row["cumulative"],
                "rank_created": 1 + sum(r.created > row["created"] for r in others)
                if row["created"]
                else None,
                "rank_cumulative": 1 + sum(r.cumulative > row["cumulative"] for r in others)
                if row["cumulative"]
                else None,
                "categories_ranked": len(others) + 1,
                "own_categories": ", ".join(
                    f"{r.category} #{r.rank_created} ({r.created})" for r in mine
                ),
            }
        )
    return series


def subdomain_share_series(
    snapshot: Snapshot, domain: str, repo_type: str, period: str
) -> list[dict]:
    """Each sub-domain's share of the domain's cumulative repos (robotics/lerobot = LeRobot share)."""
    parent = domain.split("/")[0]
    children = [k for k in rules_by_key() if k.startswith(parent + "/")]
    base = creation_series(snapshot, parent, repo_type, period)
    child_series = {k: creation_series(snapshot, k, repo_type, period) for k in children}
    rows = []
    for i, row in enumerate(base):
        entry = {
            "period": row["period"],
            "start": row["start"],
            "domain_cumulative": row["cumulative"],
        }
        for key, series in child_series.items():
            count = series[i]["cumulative"] if i < len(series) else 0
            entry[f"{key}_cumulative"] = count
            entry[f"{key}_share"] = _ratio(count, row["cumulative"])
        rows.append(entry)
    return rows


def downloads_series(snapshot: Snapshot, domain: str, repo_type: str) -> list[dict]:
    """The domain across every snapshot of the same kind up to this one (from snapshot deltas)."""
    stats = (
        DomainStat.objects.filter(
            domain=domain,
            repo_type=repo_type,
            snapshot__simulated=snapshot.simulated,
            snapshot__status=Snapshot.Status.READY,
            snapshot__taken_on__lte=snapshot.taken_on,
        )
        .select_related("snapshot")
        .order_by("snapshot__taken_on")
    )
    return [
        {
            "date": s.snapshot.taken_on.isoformat(),
            "repos": s.repos,
            "downloads_30d": s.downloads_30d,
            "downloads_all_time": s.downloads_all_time,
            "likes": s.likes,
            "authors": s.authors,
            "downloads_since_previous": s.downloads_since_previous,
            "days_since_previous": s.days_since_previous,
            "daily_downloads": s.downloads_since_previous / s.days_since_previous
            if s.downloads_since_previous is not None and s.days_since_previous
            else None,
        }
        for s in stats
    ]


def author_rows(snapshot: Snapshot, domain: str, repo_type: str, kind: str | None = None):
    """Top organizations and independent authors (``kind``: "organization", "independent")."""
    rows = TopAuthor.objects.filter(snapshot=snapshot, domain=domain, repo_type=repo_type)
    if kind == "organization":
        rows = rows.filter(is_organization=True)
    elif kind == "independent":
        rows = rows.filter(is_organization=False)
    return rows.order_by("-is_organization", "rank")


def author_dicts(rows) -> list[dict]:
    return [
        {
            "rank": r.rank,
            "author": r.author,
            "kind": "organization" if r.is_organization else "independent",
            "repos": r.repos,
            "downloads_30d": r.downloads_30d,
            "downloads_all_time": r.downloads_all_time,
            "likes": r.likes,
        }
        for r in rows
    ]


# --- rule versions -------------------------------------------------------------------------------


def rules_version(snapshot: Snapshot) -> dict:
    """Which rule set a snapshot's figures come from, and whether it is the active one now."""
    active_digest = rules_digest(active_rules())
    version = snapshot.rules_version
    active = RuleSetVersion.objects.filter(digest=active_digest).first()
    return {
        "number": version.number if version else None,
        "digest": version.digest if version else None,
        "current": bool(version) and version.digest == active_digest,
        "active_number": active.number if active else None,
        "active_digest": active_digest,
    }


# --- release heatmap -----------------------------------------------------------------------------


def _month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def heatmap_rows(snapshot: Snapshot, domain: str) -> list[dict]:
    """Every non-empty (organization, month) cell: models and datasets created, and their sum.

    Organizations are the domain's top organizations by repos (see ``growth.core.aggregate``);
    rows are ordered by the organization's total releases, then by month.
    """
    cells = list(ReleaseCell.objects.filter(snapshot=snapshot, domain=domain))
    totals = defaultdict(int)
    for cell in cells:
        totals[cell.author] += cell.model_releases + cell.dataset_releases
    cells.sort(key=lambda c: (-totals[c.author], c.author.lower(), c.month))
    return [
        {
            "organization": c.author,
            "month": _month_label(c.month),
            "releases": c.model_releases + c.dataset_releases,
            "models": c.model_releases,
            "datasets": c.dataset_releases,
        }
        for c in cells
    ]


def _months_between(first: date, last: date) -> list[date]:
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = _next_start(current, "month")
    return months


def heatmap_grid(snapshot: Snapshot, domain: str, window: int = 24) -> dict:
    """The heatmap as a grid: organizations (rows, most releases first) x months (columns).

    ``window`` months up to the snapshot's month (0: from the first release). Every cell has a
    colour ``level``: 0 for no release, else 1..HEATMAP_LEVELS on a log scale of the largest
    cell shown, so one huge month does not wash out everything else.
    """
    import math

    rows = heatmap_rows(snapshot, domain)
    last = date(snapshot.taken_on.year, snapshot.taken_on.month, 1)
    if window:
        index = last.year * 12 + last.month - 1 - (window - 1)
        first = date(index // 12, index % 12 + 1, 1)
    else:
        first = min((date.fromisoformat(r["month"] + "-01") for r in rows), default=last)
    months = _months_between(first, last)
    labels = [_month_label(m) for m in months]
    shown = set(labels)
    by_org: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["month"] in shown:
            by_org.setdefault(row["organization"], {})[row["month"]] = row
    largest = max((r["releases"] for cells in by_org.values() for r in cells.values()), default=0)
    grid = []
    for organization, cells in sorted(
        by_org.items(),
        key=lambda item: (-sum(c["releases"] for c in item[1].values()), item[0].lower()),
    ):
        line = []
        for label in labels:
            cell = cells.get(label)
            releases = cell["releases"] if cell else 0
            level = 0
            if releases:
                level = max(
                    1, math.ceil(HEATMAP_LEVELS * math.log1p(releases) / math.log1p(largest))
                )
            line.append(
                {
                    "month": label,
                    "releases": releases,
                    "models": cell["models"] if cell else 0,
                    "datasets": cell["datasets"] if cell else 0,
                    "level": level,
                }
            )
        grid.append(
            {"organization": organization, "total": sum(c["releases"] for c in line), "cells": line}
        )
    return {"months": labels, "rows": grid, "largest": largest, "window": window}


# --- community projects --------------------------------------------------------------------------


def community(snapshot: Snapshot, domain: str) -> dict:
    """Community projects of a domain from the stored commit histories (``RepoContributors``)."""
    from growth.core.community import RepoCommits, community_projects
    from growth.models import RepoContributors

    rows = list(RepoContributors.objects.filter(snapshot=snapshot, domain=domain))
    read = [r for r in rows if not r.error]
    return {
        "projects": community_projects(
            RepoCommits(r.project, r.repo_type, r.repo_id, r.authors) for r in read
        ),
        "repos_read": len(read),
        "failures": [r for r in rows if r.error],
        "fetched_from": min((r.fetched_at for r in rows), default=None),
        "fetched_to": max((r.fetched_at for r in rows), default=None),
    }


def chart_rows(snapshot: Snapshot, key: str, chart: str, repo_type: str, period: str) -> list:
    """Every chart's data by name: what the page draws, the exports and the API all use this."""
    if chart == "creations":
        return creation_series(snapshot, key, repo_type, period)
    if chart == "ranks":
        return rank_series(snapshot, key, repo_type)
    if chart == "subdomains":
        return subdomain_share_series(snapshot, key, repo_type, period)
    if chart == "downloads":
        return downloads_series(snapshot, key, repo_type)
    if chart == "authors":
        return author_dicts(author_rows(snapshot, key, repo_type))
    if chart == "heatmap":  # models and datasets together, as the report's heatmap counts them
        return heatmap_rows(snapshot, key)
    raise UnknownDomain(f"no chart named {chart!r}")


def category_rows(snapshot: Snapshot, repo_type: str, year: int | None = None):
    rows = CategoryRank.objects.filter(snapshot=snapshot, repo_type=repo_type)
    if year is None:
        year = rows.order_by("-year").values_list("year", flat=True).first()
    return rows.filter(Q(year=year)).order_by("rank_created", "category"), year
