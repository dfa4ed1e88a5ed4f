# ruff: noqa: S608 - DuckDB SQL is built from our own rules and a local file path, not user input
"""Benchmark: ingest a Hub snapshot into the database and compute every domain's time series,
side by side with DuckDB doing the same aggregation on the same parquet file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_db \
        python bench/growth.py --models 2000000 --datasets 500000

Prints which database it used, ingest rows/s (COPY on PostgreSQL, executemany on SQLite), the time
to compute and store every domain's aggregates (from the in-memory table at import, and again
from the database rows as a re-aggregation after a rule change does), and DuckDB's time for the
same per-domain monthly series, totals, category ranks and top authors; then checks both agree.
The benchmark's snapshot is deleted afterwards unless --keep.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOW_EPHEMERAL_SECRET", "1")

import django

django.setup()

import duckdb  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from django.db import connection  # noqa: E402

from growth import selectors, services  # noqa: E402
from growth.core.aggregate import HUB_KEY, TOP_AUTHORS, aggregate  # noqa: E402
from growth.core.simulate import simulate  # noqa: E402
from growth.core.snapshot import read_snapshot  # noqa: E402
from growth.models import Snapshot  # noqa: E402

BENCH_DAY = date(2026, 11, 16)


def timed(label, function, *args, **kwargs):
    """Run and print wall time, and this process's CPU time (all threads; PostgreSQL's own work
    is not in it), which says more than wall time on a machine shared with other jobs."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"  {label:<58} {elapsed:8.2f} s wall {cpu:8.2f} s cpu", flush=True)
    return result, elapsed


def sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + "]"


def _matches(rules) -> str:
    """Any of ``rules`` as a DuckDB predicate over lower-cased tags/pipeline/library/author."""
    tags = {r.value.lower() for r in rules if r.field in ("tag", "architecture")}
    tags |= {f"task_categories:{r.value.lower()}" for r in rules if r.field == "task_category"}
    pipelines = {r.value.lower() for r in rules if r.field == "pipeline_tag"}
    libraries = {r.value.lower() for r in rules if r.field == "library_name"}
    authors = {r.value.lower() for r in rules if r.field == "author"}
    terms = []
    if tags:
        terms.append(f"list_has_any(t, {sql_list(tags)}::VARCHAR[])")
    if pipelines:
        terms.append(f"coalesce(list_contains({sql_list(pipelines)}::VARCHAR[], p), false)")
    if libraries:
        terms.append(f"coalesce(list_contains({sql_list(libraries)}::VARCHAR[], l), false)")
    if authors:
        terms.append(f"coalesce(list_contains({sql_list(authors)}::VARCHAR[], a), false)")
    return "(" + (" OR ".join(terms) or "false") + ")"


def domain_condition(rules, key: str) -> str:
    """The key's membership as growth.core.domains.classify defines it: an include rule of the
    key matches, and no exclusion of the key or its domain does unless the matching include rule
    overrides exclusions; a domain is its own rules' repos or any sub-domain's. (Lineage rules are
    not ported: the default rules have none.)"""
    if "/" in key:
        return _key_condition(rules, key)
    rule_keys = sorted({r.key for r in rules if r.domain == key})
    return " OR ".join(f"({_key_condition(rules, k)})" for k in rule_keys) or "false"


def _key_condition(rules, key: str) -> str:
    own = [r for r in rules if r.key == key]
    domain = key.split("/")[0]
    exclusions = [r for r in rules if r.exclude and r.domain == domain and not r.subdomain]
    if "/" in key:
        exclusions += [r for r in own if r.exclude]
    included = _matches([r for r in own if not r.exclude])
    kept = _matches([r for r in own if r.overrides_exclusions])
    return f"{included} AND (NOT {_matches(exclusions)} OR {kept})"


def duckdb_aggregates(path: str, rules, organizations):
    """The same aggregates as growth.core.aggregate, in SQL over the parquet file."""
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute(f"SET threads = {os.cpu_count() or 1}")
    keys = selectors.domain_keys(rules)
    db.execute(
        f"""CREATE TEMP TABLE base AS SELECT repo_type, author,
              CAST(date_trunc('month', createdAt) AS DATE) AS month,
              list_transform(coalesce(tags, []), lambda x: lower(x)) AS t,
              lower(pipeline_tag) AS p, lower(library_name) AS l,
              lower(coalesce(nullif(author, ''), split_part(id, '/', 1))) AS a,
              downloads, downloadsAllTime, likes
            FROM read_parquet('{path}') WHERE snapshot_date = DATE '{BENCH_DAY}'"""
    )
    flags = ", ".join(f'({domain_condition(rules, k)}) AS "{k}"' for k in keys)
    db.execute(f"CREATE TEMP TABLE flagged AS SELECT *, {flags} FROM base")
    monthly = {}
    stats = {}
    for key in [HUB_KEY, *keys]:
        where = "true" if key == HUB_KEY else f'"{key}"'
        for domain_key, repo_type, month, count in db.execute(
            f"SELECT ?, repo_type, month, count(*) FROM flagged WHERE {where} AND month IS NOT NULL GROUP BY ALL",
            [key],
        ).fetchall():
            monthly[(domain_key, repo_type, month)] = count
        for row in db.execute(
            f"SELECT repo_type, count(*), sum(downloads), sum(downloadsAllTime), sum(likes),"
            f" count(DISTINCT author) FROM flagged WHERE {where} GROUP BY ALL"
        ).fetchall():
            stats[(key, row[0])] = row[1:]
        if key != HUB_KEY:
            db.execute(
                f"""WITH g AS (
                      SELECT repo_type, author,
                        coalesce(list_contains({sql_list(organizations)}::VARCHAR[], lower(author)), false) AS org,
                        count(*) AS n, sum(downloadsAllTime) AS dl
                      FROM flagged WHERE {where} AND author <> '' GROUP BY repo_type, author, org)
                    SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY repo_type, org
                                     ORDER BY n DESC, dl DESC, author) AS rank FROM g)
                    WHERE rank <= {TOP_AUTHORS}"""
            ).fetchall()
    db.execute(
        """SELECT category, year, count(*) FROM (
             SELECT substr(tag, 17) AS category, year(month) AS year
             FROM (SELECT unnest(t) AS tag, month FROM flagged WHERE repo_type = 'dataset')
             WHERE tag LIKE 'task_categories:%' AND month IS NOT NULL)
           GROUP BY ALL"""
    ).fetchall()
    return monthly, stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=2_000_000)
    parser.add_argument("--datasets", type=int, default=500_000)
    parser.add_argument("--parquet", help="an existing snapshot file (default: simulate one)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark snapshot")
    args = parser.parse_args()

    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    print(f"database: {vendor} ({version.split(',')[0]}) {connection.settings_dict['NAME']}")
    if vendor != "postgresql":
        print("  (set DATABASE_URL=postgres://... to measure PostgreSQL + COPY)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(f"size: {args.models:,} models + {args.datasets:,} datasets")

    workdir = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    path = args.parquet or str(workdir / "hub.parquet")
    if not args.parquet:
        timed(
            "simulate (numpy, one snapshot)",
            simulate,
            path,
            models=args.models,
            datasets=args.datasets,
            seed=1,
            snapshots=1,
            end=BENCH_DAY,
        )
    table, _ = timed("read parquet", read_snapshot, path)
    table = table.filter(pc.equal(table["snapshot_date"], BENCH_DAY))
    rows = table.num_rows

    Snapshot.objects.filter(taken_on=BENCH_DAY, source=Snapshot.Source.SIMULATED).delete()
    snapshot, ingest_s = timed(
        f"ingest {rows:,} rows ({'COPY' if vendor == 'postgresql' else 'executemany'})",
        services.load_snapshot_rows,
        BENCH_DAY,
        Snapshot.Source.SIMULATED,
        True,
        table,
        "bench",
    )
    rules = selectors.active_rules()
    organizations = selectors.organization_directory()
    result, compute_s = timed(
        "aggregate every domain (numpy, in memory)", aggregate, table, rules, organizations
    )
    # DuckDB's query only looks names up (no heuristic); the compared totals do not depend on it.
    organizations = {o.name.lower() for o in organizations if o.developer_type != "independent"}
    _, store_s = timed(
        "aggregate + store (import path)", services.store_aggregates, snapshot, table
    )
    _, reagg_s = timed(
        "re-aggregate from the database rows + store", services.aggregate_snapshot, snapshot.pk
    )
    (duck_monthly, duck_stats), duck_s = timed(
        "DuckDB: same aggregates on the parquet file", duckdb_aggregates, path, rules, organizations
    )

    ours_monthly = {(d, t, m): c for d, t, m, c in result.monthly}
    ours_stats = {
        (s["domain"], s["repo_type"]): (
            s["repos"], s["downloads_30d"], s["downloads_all_time"], s["likes"],
        )
        for s in result.stats
    }  # fmt: skip
    duck_stats = {k: tuple(int(x) for x in v[:4]) for k, v in duck_stats.items()}
    same = ours_monthly == duck_monthly and ours_stats == duck_stats
    print(
        f"results agree with DuckDB: {'yes' if same else 'NO'} "
        f"({len(ours_monthly)} monthly points, {len(ours_stats)} domain totals, "
        f"{len(selectors.domain_keys(rules))} domains)"
    )
    print()
    print(f"ingest: {rows / ingest_s:,.0f} rows/s ({rows:,} rows in {ingest_s:.1f} s, {vendor})")
    print(f"every domain's time series: ours {compute_s:.2f} s compute, {store_s:.2f} s compute+store,"
          f" {reagg_s:.2f} s from the database; DuckDB {duck_s:.2f} s")  # fmt: skip
    print("load average at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    if not args.keep:
        timed("delete the benchmark snapshot", snapshot.delete)
    if not args.parquet:
        Path(path).unlink(missing_ok=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
