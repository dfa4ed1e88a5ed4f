"""Benchmark: the columnar snapshot history (growth/core/history.py) over many daily snapshots.

    python bench/history.py [--repos 100000] [--days 30]

Writes ``--days`` daily snapshots of ``--repos`` repos (models and datasets from
bench/reuse_metrics.py's generator, all-time downloads growing day by day), then measures, each
phase in its own process so its peak RSS is its own:

1. ingest: writing one more day into the history (``history.write_day``);
2. recompute, ours: every reuse time metric (daily downloads, half-life, age-matched RAM) with
   ``growth.core.reuse.compute`` over the whole history read through Arrow datasets;
3. recompute, DuckDB out of core: daily downloads per repo and date (LAG over the partitioned
   files) and the per-date sums, with ``memory_limit`` set, never loading the history at once.

The issue's target size is 30 days x 2.5M repos (75M rows); this 2-core shared machine cannot
run that in minutes, so pass the sizes you can afford and report them. Prints figures; asserts
nothing about time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/growth.py would shadow the growth package: keep bench/ off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


def generate(n_models: int, n_datasets: int, seed: int):
    """bench/reuse_metrics.py's snapshot generator, loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "reuse_bench", ROOT / "bench" / "reuse_metrics.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(n_models, n_datasets, seed)


START = date(2026, 10, 1)


def day_table(base, day_index: int):
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(day_index)
    all_time = base["downloadsAllTime"].to_numpy(zero_copy_only=False).astype(np.int64)
    # A daily rate that decays for most repos (interest after release) plus noise.
    rate = np.maximum(all_time // 200, 1) * np.exp(-day_index / rng.uniform(10, 60, all_time.size))
    grown = all_time + (rate * (day_index + 1)).astype(np.int64)
    table = base.set_column(
        base.schema.get_field_index("downloadsAllTime"), "downloadsAllTime", pa.array(grown)
    )
    return table.set_column(
        table.schema.get_field_index("downloads"),
        "downloads",
        pa.array((rate * 30).astype(np.int64)),
    )


def phase_write(root: str, repos: int, days: int) -> dict:
    from growth.core import history

    base = generate(int(repos * 0.8), repos - int(repos * 0.8), seed=3).drop_columns(
        ["snapshot_date"]
    )
    started = time.perf_counter()
    for index in range(days):
        history.write_day(root, "real", START + timedelta(days=index), day_table(base, index))
    return {"days_written": days, "seconds": time.perf_counter() - started}


def phase_ingest(root: str, repos: int, days: int) -> dict:
    from growth.core import history

    base = generate(int(repos * 0.8), repos - int(repos * 0.8), seed=3).drop_columns(
        ["snapshot_date"]
    )
    table = day_table(base, days)
    started = time.perf_counter()
    history.write_day(root, "real", START + timedelta(days=days), table)
    return {"seconds": time.perf_counter() - started}


def phase_ours(root: str) -> dict:
    from growth.core import history
    from growth.core.reuse.compute import NEEDED_COLUMNS, compute_reuse_metrics

    started = time.perf_counter()
    table = history.read(root, "real", columns=NEEDED_COLUMNS)
    read = time.perf_counter() - started
    hub = compute_reuse_metrics(table, domains=["hub"])["domains"]["hub"]["adoption"]
    return {
        "rows": table.num_rows,
        "read_seconds": read,
        "seconds": time.perf_counter() - started,
        "half_life_days": hub["half_life_days"],
        "repo_half_life_median": hub["repo_half_life_days"]["median"],
        "last_daily_downloads": hub["daily_downloads"][-1]["daily_downloads"],
    }


def phase_duckdb(root: str, memory_limit: str) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{root}/duckdb-spill'")
    started = time.perf_counter()
    rows = con.execute(f"""
        WITH d AS (
            SELECT snapshot_date, repo_type, id, downloads, downloadsAllTime AS a,
                   lag(downloadsAllTime) OVER w AS a_prev, lag(snapshot_date) OVER w AS d_prev
            FROM read_parquet('{root}/real/*/*.parquet', hive_partitioning = true)
            WINDOW w AS (PARTITION BY repo_type, id ORDER BY snapshot_date)
        )
        SELECT snapshot_date,
               sum(CASE WHEN a_prev IS NULL THEN NULL ELSE
                   least(greatest(a - a_prev, 0), downloads)::DOUBLE
                   / date_diff('day', d_prev, snapshot_date) END) AS daily
        FROM d GROUP BY snapshot_date ORDER BY snapshot_date
    """).fetchall()  # noqa: S608 (our own temporary directory)
    return {"seconds": time.perf_counter() - started, "last_daily_downloads": rows[-1][1]}


def run_phase(name: str, *args) -> dict:
    """Run one phase in a child process; returns its result with its own peak RSS."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--phase", name, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"phase {name} failed ({status})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_gib"] = usage.ru_maxrss / 2**20
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {"write": phase_write, "ingest": phase_ingest, "ours": phase_ours,
                  "duckdb": phase_duckdb}  # fmt: skip
        values = [int(a) if a.isdigit() else a for a in args.args]
        print(json.dumps(phases[args.phase](*values)))
        return 0

    with tempfile.TemporaryDirectory() as root:
        write = run_phase("write", root, args.repos, args.days)
        size = sum(f.stat().st_size for f in Path(root).rglob("*.parquet"))
        print(f"history: {args.days} daily snapshots x {args.repos:,} repos = "
              f"{args.days * args.repos:,} rows, {size / 2**20:.0f} MiB of parquet, written in "
              f"{write['seconds']:.1f} s")  # fmt: skip
        ingest = run_phase("ingest", root, args.repos, args.days)
        print(f"ingest one more day: {ingest['seconds']:.2f} s "
              f"(process incl. generating the day: peak RSS {ingest['peak_rss_gib']:.2f} GiB)")  # fmt: skip
        ours = run_phase("ours", root)
        print(f"recompute every time metric, ours (Arrow read of {ours['rows']:,} rows + numpy): "
              f"{ours['seconds']:.1f} s (read {ours['read_seconds']:.1f} s), peak RSS "
              f"{ours['peak_rss_gib']:.2f} GiB; half-life {ours['half_life_days']} days, median repo "
              f"half-life {ours['repo_half_life_median']} days")  # fmt: skip
        duck = run_phase("duckdb", root, args.memory_limit)
        print(f"daily downloads per date, DuckDB out of core (memory_limit {args.memory_limit}): "
              f"{duck['seconds']:.1f} s, peak RSS {duck['peak_rss_gib']:.2f} GiB")  # fmt: skip
        same = abs(duck["last_daily_downloads"] - ours["last_daily_downloads"]) <= 1e-6 * max(
            1.0, abs(ours["last_daily_downloads"])
        )
        print(f"last date's Hub daily downloads agree: {'yes' if same else 'NO'} "
              f"(ours {ours['last_daily_downloads']:.1f}, DuckDB {duck['last_daily_downloads']:.1f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
