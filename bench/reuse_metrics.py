"""Benchmark: every reuse metric of every domain on a synthetic 2,000,000-model snapshot.

    python bench/reuse_metrics.py [--models 2000000] [--datasets 500000] [--seed 7] [--repeat 3]

Generates the snapshot vectorized (heavy-tailed downloads and likes, Zipf-distributed authors,
preferential base-model links with fine-tunes, adapters, quantizations and merges, dataset
citations, robotics and science tags), writes it as a parquet file, then times in one run:

1. ``growth.core.reuse.compute`` (pyarrow + numpy): every metric of every domain;
2. a plain pandas implementation of the core metrics (those of ``reuse_metrics --json``) plus
   the transitive descendant count, written the way one would with pandas (explode, merge,
   groupby),

3. DuckDB SQL over the same parquet file: the core metrics plus the top 0.01 % share, for
   ``hub`` and every domain,

and checks that all agree. Prints wall and CPU seconds (best of ``--repeat`` runs); asserts
nothing about time.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from growth.core.domains import DEFAULT_RULES, domain_keys
from growth.core.reuse.compute import compute_reuse_metrics, load_history
from growth.core.snapshot import BASE_MODELS_TYPE, SNAPSHOT_SCHEMA

RELATIONS = np.array(["finetune", "adapter", "quantized", "merge"])
CORE = [
    "repos", "downloads_total", "gini_downloads", "top1pct_share_downloads",
    "share_under_200_downloads", "hhi_authors", "derivatives_total", "dataset_reuse_ratio",
    "declaration_rate",
]  # fmt: skip
SCIENCE_TAGS = np.array(["biology", "genomics", "chemistry", "physics", "medical", "climate",
                         "materials", "math", "science"])  # fmt: skip


# --- synthetic snapshot ---------------------------------------------------------------------------


def strings(prefix: str, numbers: np.ndarray, suffix: str = "") -> pa.Array:
    text = pc.cast(pa.array(numbers), pa.string())
    return pc.binary_join_element_wise(prefix, text, suffix, "")


def list_column(n_rows: int, rows: np.ndarray, values: pa.Array) -> pa.ListArray:
    """A list<string> column from (row, value) pairs, values of a row kept in their order."""
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def generate(n_models: int, n_datasets: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = n_models + n_datasets
    is_model = np.arange(n) < n_models
    n_authors = max(n // 8, 10)
    # Zipf-like authors: a few publish a lot. The first 200 are organizations ("-ai", "labs").
    author = np.minimum(rng.zipf(1.6, n) - 1, n_authors - 1)
    author_names = pc.if_else(
        pa.array(np.arange(n_authors) < 200),
        strings("org", np.arange(n_authors), "-ai"),
        strings("user", np.arange(n_authors)),
    )
    authors = author_names.take(pa.array(author))
    names = pc.if_else(
        pa.array(is_model), strings("model-", np.arange(n)), strings("dataset-", np.arange(n))
    )
    ids = pc.binary_join_element_wise(authors, names, "/")

    # Heavy tails: about half the repos under 200 downloads, a few with hundreds of millions.
    downloads_all = np.floor(rng.lognormal(5.0, 2.6, n)).astype(np.int64)
    downloads_all[rng.random(n) < 0.15] = 0
    downloads_30 = np.floor(downloads_all * rng.beta(1, 6, n)).astype(np.int64)
    likes = np.floor(np.sqrt(downloads_all) * rng.beta(0.5, 8, n)).astype(np.int64)

    robotics = rng.random(n) < np.where(is_model, 0.03, 0.35)
    science = rng.random(n) < np.where(is_model, 0.02, 0.05)
    pipeline = pa.array(np.where(is_model & robotics, "robotics", None), pa.string())
    library = pa.array(np.where(is_model & robotics & (rng.random(n) < 0.8), "lerobot", None))

    # Parents: 40% of models derive from an earlier model, preferentially a popular early one.
    child = np.flatnonzero(is_model & (rng.random(n) < 0.40) & (np.arange(n) > 0))
    parent = (child * rng.random(child.size) ** 3).astype(np.int64)
    relation = RELATIONS[rng.choice(4, child.size, p=[0.55, 0.2, 0.2, 0.05])]
    merge = relation == "merge"
    second = (child[merge] * rng.random(merge.sum()) ** 3).astype(np.int64)
    edge_child = np.concatenate([child, child[merge]])
    edge_parent = np.concatenate([parent, second])
    order = np.argsort(edge_child, kind="stable")
    edge_child, edge_parent = edge_child[order], edge_parent[order]
    counts = np.bincount(edge_child, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    parent_structs = pa.StructArray.from_arrays([ids.take(pa.array(edge_parent))], ["id"])
    row_relation = np.full(n, None, dtype=object)
    row_relation[child] = relation
    has_parent = counts > 0
    base_models = pa.StructArray.from_arrays(
        [
            pa.array(row_relation, pa.string()),
            pa.ListArray.from_arrays(pa.array(offsets), parent_structs),
        ],
        fields=list(BASE_MODELS_TYPE),
        mask=pa.array(~has_parent),
    )

    # Tags: domain tags, base_model:<relation>:<parent>, dataset:<id> citations.
    tag_rows, tag_values = [], []
    rows = np.flatnonzero(robotics & ~is_model)
    tag_rows += [rows, rows]
    tag_values += [pa.array(["LeRobot"] * rows.size), pa.array(["task_categories:robotics"] * rows.size)]  # fmt: skip
    rows = np.flatnonzero(science)
    tag_rows.append(rows)
    tag_values.append(pa.array(SCIENCE_TAGS[rng.integers(0, SCIENCE_TAGS.size, rows.size)]))
    tag_rows.append(child)
    tag_values.append(
        pc.binary_join_element_wise(
            "base_model:", pa.array(relation), ":", ids.take(pa.array(parent)), ""
        )
    )
    datasets = np.flatnonzero(~is_model)
    cites = is_model & (rng.random(n) < np.where(robotics, 0.6, 0.15))
    citing = np.flatnonzero(cites)
    popular = datasets[(datasets.size * rng.random(citing.size) ** 4).astype(np.int64)]
    tag_rows.append(citing)
    tag_values.append(pc.binary_join_element_wise("dataset:", ids.take(pa.array(popular)), ""))
    tags = list_column(n, np.concatenate(tag_rows), pa.concat_arrays(tag_values))

    created = pa.array(
        (np.datetime64("2022-03-02") + rng.integers(0, 1300, n).astype("timedelta64[D]")).astype(
            "datetime64[ms]"
        ),
        pa.timestamp("ms", tz="UTC"),
    )
    return pa.table(
        {
            "repo_type": pa.array(np.where(is_model, "model", "dataset")),
            "id": ids,
            "author": authors,
            "createdAt": created,
            "lastModified": created,
            "downloads": pa.array(downloads_30),
            "downloadsAllTime": pa.array(downloads_all),
            "likes": pa.array(likes),
            "tags": tags,
            "pipeline_tag": pipeline,
            "library_name": library,
            "baseModels": base_models,
            "snapshot_date": pa.array(np.full(n, np.datetime64("2026-03-01")), pa.date32()),
        },
        schema=SNAPSHOT_SCHEMA,
    )


# --- the same core metrics, in plain pandas ----------------------------------------------------------


def pandas_metrics(path: str) -> dict:
    df = pd.read_parquet(path)
    df = df[df["snapshot_date"] == df["snapshot_date"].max()].reset_index(drop=True)
    df["author"] = df["author"].where(df["author"].fillna("") != "", df["id"].str.split("/").str[0])
    tags = df["tags"].explode().dropna()
    lowered = tags.str.lower()

    # Domain membership, as growth.core.domains.DEFAULT_RULES says.
    masks = {}
    for key in domain_keys(DEFAULT_RULES):
        rules = [r for r in DEFAULT_RULES if r.key == key or (("/" not in key) and r.domain == key)]
        wanted = {r.value.lower() for r in rules if r.field == "tag"}
        wanted |= {
            f"task_categories:{r.value.lower()}" for r in rules if r.field == "task_category"
        }
        mask = pd.Series(False, index=df.index)
        mask[lowered[lowered.isin(wanted)].index.unique()] = True
        for field in ("pipeline_tag", "library_name"):
            values = {r.value.lower() for r in rules if r.field == field}
            mask |= df[field].str.lower().isin(values)
        masks[key] = mask

    models = df[df["repo_type"] == "model"]
    model_row = pd.Series(models.index, index=models["id"])
    parents = df["baseModels"].dropna().map(lambda bm: [m["id"] for m in bm["models"]]).explode()
    edges = pd.DataFrame({"child": parents.index, "parent_id": parents.values}).dropna()
    edges = edges[df.loc[edges["child"], "repo_type"].values == "model"]
    edges["parent"] = edges["parent_id"].map(model_row)
    edges = edges.dropna().astype({"parent": "int64"})
    edges = edges[edges["child"] != edges["parent"]]
    # descendants use every declaration: baseModels and base_model: tags
    tag_parents = tags[tags.str.startswith("base_model:")].str.replace(
        r"^base_model:(?:(?:finetune|adapter|quantized|merge):)?", "", regex=True
    )
    tag_edges = pd.DataFrame(
        {"child": tag_parents.index, "parent": tag_parents.map(model_row).values}
    )
    tag_edges = tag_edges.dropna().astype({"parent": "int64"})
    tag_edges = tag_edges[df.loc[tag_edges["child"], "repo_type"].values == "model"]
    all_edges = pd.concat([edges[["child", "parent"]], tag_edges]).drop_duplicates()
    all_edges = all_edges[all_edges["child"] != all_edges["parent"]]

    cited = tags[tags.str.startswith("dataset:")].str.slice(len("dataset:"))
    cited = cited[df.loc[cited.index, "repo_type"].values == "model"]
    cited_ids = set(cited.values)
    declaring = set(cited.index)

    out = {}
    for key, mask in masks.items():
        d = df[mask]
        x = d["downloadsAllTime"].fillna(0).astype("int64")
        total = int(x.sum())
        n = len(d)
        if n and total:
            ranks = np.arange(1, n + 1)
            gini = 2 * (ranks * x.sort_values().to_numpy()).sum() / (n * total) - (n + 1) / n
            top = x.nlargest(-(-n // 100)).sum() / total
            shares = d.groupby("author")["downloadsAllTime"].sum() / total
            hhi = float((shares**2).sum())
        else:
            gini = top = hhi = None
        domain_models = d[d["repo_type"] == "model"]
        domain_datasets = d[d["repo_type"] == "dataset"]
        derivatives = edges[edges["parent"].isin(domain_models.index)]["child"].nunique()

        reached, frontier = set(), set(domain_models.index)
        expanded = set(frontier)
        while frontier:
            step = all_edges[all_edges["parent"].isin(frontier)]["child"]
            new = set(step) - reached
            reached |= new
            frontier = new - expanded
            expanded |= frontier

        out[key] = {
            "repos": n,
            "downloads_total": total,
            "gini_downloads": gini,
            "top1pct_share_downloads": top,
            "share_under_200_downloads": float((x < 200).mean()) if n else None,
            "hhi_authors": hhi,
            "derivatives_total": int(derivatives),
            "dataset_reuse_ratio": float(domain_datasets["id"].isin(cited_ids).mean())
            if len(domain_datasets)
            else None,
            "declaration_rate": float(pd.Series(domain_models.index).isin(declaring).mean())
            if len(domain_models)
            else None,
            "descendants_total": len(reached),
        }
    return out


def _sql_list(values) -> str:
    return (
        "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + "]::VARCHAR[]"
    )


def duckdb_metrics(path: str) -> dict:
    """The core metrics (``reuse_metrics --json``) plus the top 0.01 % share, per domain and for
    ``hub``, in DuckDB SQL over the same parquet file (what one would write with DuckDB: one
    query per domain over temporary tables). No transitive descendants: a recursive CTE over
    2M models is not what a DuckDB user would run per domain."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count()}")
    con.execute(f"""
        CREATE TEMP TABLE snap AS
        SELECT row_number() OVER () - 1 AS row, repo_type, id,
               coalesce(nullif(author, ''), split_part(id, '/', 1)) AS author,
               coalesce(downloadsAllTime, 0) AS x, tags, lower(pipeline_tag) AS pt,
               lower(library_name) AS lib, baseModels
        FROM read_parquet('{path}')
        WHERE snapshot_date = (SELECT max(snapshot_date) FROM read_parquet('{path}'))
    """)  # noqa: S608 (our own temporary file)
    con.execute("CREATE TEMP TABLE flat AS SELECT row, unnest(tags) AS tag FROM snap")
    con.execute("""
        CREATE TEMP TABLE edges AS
        SELECT DISTINCT c.row AS child, p.row AS parent
        FROM (SELECT row, unnest(baseModels.models).id AS parent_id FROM snap
              WHERE repo_type = 'model' AND baseModels IS NOT NULL) c
        JOIN snap p ON p.id = c.parent_id AND p.repo_type = 'model'
        WHERE c.row <> p.row
    """)
    con.execute("""
        CREATE TEMP TABLE cited AS
        SELECT DISTINCT substr(f.tag, 9) AS dataset_id FROM flat f JOIN snap s USING (row)
        WHERE s.repo_type = 'model' AND f.tag LIKE 'dataset:%'
    """)
    con.execute("""
        CREATE TEMP TABLE declaring AS
        SELECT DISTINCT f.row FROM flat f JOIN snap s USING (row)
        WHERE s.repo_type = 'model' AND f.tag LIKE 'dataset:%'
    """)
    keys = ["hub", *domain_keys(DEFAULT_RULES)]
    out = {}
    for key in keys:
        if key == "hub":
            con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT row FROM snap")
        else:
            rules = [
                r for r in DEFAULT_RULES if r.key == key or ("/" not in key and r.domain == key)
            ]
            tags = {r.value.lower() for r in rules if r.field == "tag"}
            tags |= {
                f"task_categories:{r.value.lower()}" for r in rules if r.field == "task_category"
            }
            pts = {r.value.lower() for r in rules if r.field == "pipeline_tag"} or {""}
            libs = {r.value.lower() for r in rules if r.field == "library_name"} or {""}
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE m AS
                SELECT row FROM snap WHERE list_contains({_sql_list(pts)}, pt)
                    OR list_contains({_sql_list(libs)}, lib)
                UNION SELECT row FROM flat WHERE list_contains({_sql_list(tags or {""})}, lower(tag))
            """)  # noqa: S608
        n, total, gini, top1, top001, under200 = con.execute("""
            WITH d AS (SELECT s.x FROM snap s JOIN m USING (row)),
                 r AS (SELECT x, row_number() OVER (ORDER BY x) AS asc_rank,
                              row_number() OVER (ORDER BY x DESC) AS desc_rank FROM d),
                 k AS (SELECT count(*) AS n, sum(x) AS total FROM d)
            SELECT k.n, k.total,
                   CASE WHEN k.total > 0 THEN 2 * sum(r.asc_rank * r.x) / (k.n * k.total)
                        - (k.n + 1) / k.n END,
                   CASE WHEN k.total > 0 THEN sum(r.x) FILTER (WHERE r.desc_rank <= ceil(k.n / 100))
                        / k.total END,
                   CASE WHEN k.total > 0 THEN sum(r.x) FILTER (WHERE r.desc_rank <= ceil(k.n / 10000))
                        / k.total END,
                   CASE WHEN k.n > 0 THEN avg((r.x < 200)::INT) END
            FROM r, k GROUP BY k.n, k.total
        """).fetchone() or (0, 0, None, None, None, None)
        hhi = con.execute("""
            SELECT CASE WHEN sum(a) > 0 THEN sum(a * a) / (sum(a) * sum(a)) END
            FROM (SELECT sum(s.x)::DOUBLE AS a FROM snap s JOIN m USING (row) GROUP BY s.author)
        """).fetchone()[0]
        derivatives, reuse, declared = con.execute("""
            SELECT (SELECT count(DISTINCT e.child) FROM edges e JOIN m ON m.row = e.parent
                    JOIN snap p ON p.row = e.parent WHERE p.repo_type = 'model'),
                   (SELECT avg((c.dataset_id IS NOT NULL)::INT) FROM snap s JOIN m USING (row)
                    LEFT JOIN cited c ON c.dataset_id = s.id WHERE s.repo_type = 'dataset'),
                   (SELECT avg((d.row IS NOT NULL)::INT) FROM snap s JOIN m USING (row)
                    LEFT JOIN declaring d ON d.row = s.row WHERE s.repo_type = 'model')
        """).fetchone()
        out[key] = {
            "repos": int(n or 0),
            "downloads_total": int(total or 0),
            "gini_downloads": None if gini is None else float(gini),
            "top1pct_share_downloads": None if top1 is None else float(top1),
            "top0_01pct_share_downloads": None if top001 is None else float(top001),
            "share_under_200_downloads": None if under200 is None else float(under200),
            "hhi_authors": hhi,
            "derivatives_total": int(derivatives),
            "dataset_reuse_ratio": reuse,
            "declaration_rate": declared,
        }
    con.close()
    return out


def agree(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _runs(runs: list[tuple[float, float]]) -> str:
    """Best and all wall times, with CPU time (less sensitive to other load on the machine)."""
    best = min(runs)
    walls = ", ".join(f"{wall:.1f}" for wall, _ in runs)
    return f"best {best[0]:.1f} s wall / {best[1]:.1f} s CPU (runs: {walls} s)"


def max_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=2_000_000)
    parser.add_argument("--datasets", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each implementation")
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} cores, numpy {np.__version__}, pyarrow {pa.__version__}, pandas {pd.__version__}"
    )
    started = time.perf_counter()
    snapshot = generate(args.models, args.datasets, args.seed)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "snapshot.parquet")
        pq.write_table(snapshot, path)
        size = Path(path).stat().st_size
        edges = pc.sum(
            pc.list_value_length(pc.struct_field(snapshot["baseModels"], "models"))
        ).as_py()
        print(f"snapshot: {args.models:,} models + {args.datasets:,} datasets, {edges:,} baseModels links, "
              f"{pc.sum(pc.list_value_length(snapshot['tags'])).as_py():,} tags; generated in {generated:.1f} s, "
              f"parquet {size / 2**20:.0f} MiB")  # fmt: skip
        del snapshot

        ours_runs = []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = compute_reuse_metrics(load_history(path))["domains"]
            ours_runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        print(f"growth.reuse (pyarrow+numpy), read + every metric of {len(result)} domains: "
              f"{_runs(ours_runs)}   (peak RSS so far {max_rss_gib():.1f} GiB)")  # fmt: skip

        for key in ("robotics", "science"):
            m = result[key]
            print(f"  {key}: repos {m['repos']:,}, downloads {m['downloads_total']:,}, gini {m['gini_downloads']:.3f}, "
                  f"top1% {m['top1pct_share_downloads']:.3f}, <200 {m['share_under_200_downloads']:.3f}, "
                  f"derivatives {m['derivatives_total']:,}, descendants {m['derivatives']['descendants_total']:,}, "
                  f"max depth {m['derivatives']['max_depth']}, dataset reuse {m['dataset_reuse_ratio']:.3f}, "
                  f"declared {m['declaration_rate']:.3f}")  # fmt: skip
        duck_runs = []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            duck = duckdb_metrics(path)
            duck_runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        print(f"DuckDB SQL, read + core metrics and top 0.01% of {len(duck)} scopes: "
              f"{_runs(duck_runs)} (process CPU incl. DuckDB threads; peak RSS {max_rss_gib():.1f} GiB)")  # fmt: skip
        print(
            f"ours / DuckDB (best wall): {min(ours_runs)[0] / min(duck_runs)[0]:.2f}x (goal: <= 2x)"
        )
        duck_mismatches = [
            f"{key}.{metric}: ours {result[key][metric]!r}, DuckDB {value!r}"
            for key, expected in duck.items()
            for metric, value in expected.items()
            if not agree(result[key][metric], value)
        ]
        checked_duck = sum(len(v) for v in duck.values())
        if duck_mismatches:
            print(f"DuckDB DISAGREES on {len(duck_mismatches)} of {checked_duck} values:\n  "
                  + "\n  ".join(duck_mismatches[:20]))  # fmt: skip
        else:
            print(f"agree with DuckDB: {checked_duck} values")
        if args.skip_pandas:
            return 1 if duck_mismatches else 0

        pandas_runs = []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            reference = pandas_metrics(path)
            pandas_runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        print(f"plain pandas, read + core metrics and descendants only: {_runs(pandas_runs)}   "
              f"(peak RSS {max_rss_gib():.1f} GiB)")  # fmt: skip
        best_ours, best_pandas = min(ours_runs), min(pandas_runs)
        print(
            f"speed-up (best wall time): {best_pandas[0] / best_ours[0]:.1f}x, for a superset of the metrics"
        )

    mismatches = []
    for key, expected in reference.items():
        ours = {**result[key], "descendants_total": result[key]["derivatives"]["descendants_total"]}
        for metric, value in expected.items():
            if not agree(ours[metric], value):
                mismatches.append(f"{key}.{metric}: ours {ours[metric]!r}, pandas {value!r}")
    checked = sum(len(v) for v in reference.values())
    if mismatches:
        print(f"DISAGREE on {len(mismatches)} of {checked} values:\n  " + "\n  ".join(mismatches))
        return 1
    print(f"agree: {checked} values ({len(reference)} domains x {len(CORE) + 1} metrics)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
