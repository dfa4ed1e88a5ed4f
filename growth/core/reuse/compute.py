"""Every reuse metric of every domain, computed from a snapshot table in one vectorized pass.

Entry points:

- ``load_history(path)``: read a snapshot parquet file (one or several ``snapshot_date`` values),
  checked, with the optional columns it may carry (``author_type``, parameter counts);
- ``compute_reuse_metrics(history, rules, domains, as_of)``: ``{"snapshot_date": ..., "domains":
  {key: metrics}}``. Per-snapshot metrics use the latest ``snapshot_date`` (or ``as_of``);
  adoption and "over time" series use the whole history up to it.

No Django here: the command line runs it without a database, and the Celery task stores its
result. The definitions are in ``definitions.py`` and ``growth/REUSE.md``.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from growth.core.developers import (
    DEVELOPER_TYPES,
    Organization,
    classify_developers,
    code_shares,
    directory_of,
    shares,
)
from growth.core.domains import DEFAULT_RULES, Rule, classify, domain_keys
from growth.core.snapshot import (
    SNAPSHOT_SCHEMA,
    SnapshotError,
    conform,
    missing_columns,
    read_snapshot,
)

from . import measures
from .adoption import (
    MILESTONE_DAYS,
    created_days,
    days_since_epoch,
    downloads_at_age,
    peak_and_half_life,
    repo_codes,
    snapshot_intervals,
)
from .availability import mark_unavailable
from .citations import dataset_citations
from .graph import RELATION_NAMES, model_tree
from .sizes import BUCKET_NAMES, BUCKETS, parameter_counts, size_buckets, sizes_by_year

NEEDED_COLUMNS = [
    "repo_type", "id", "author", "createdAt", "downloads", "downloadsAllTime", "likes", "tags",
    "pipeline_tag", "library_name", "baseModels", "snapshot_date",
]  # fmt: skip
OPTIONAL_COLUMNS = ["author_type", "num_parameters", "parameters", "safetensors", "gguf"]
LONG_TAIL_DOWNLOADS = 200
TOP_LIST = 10
HUB = "hub"  # the scope of every repo in the snapshot, beside the rule-defined domains
REPO_TYPE_SCOPES = (("models", "model"), ("datasets", "dataset"))


class UnknownDomain(ValueError):
    """A domain key that the rules do not define."""


# --- reading and checking -----------------------------------------------------------------------


def load_history(path, snapshot_date: dt.date | None = None) -> pa.Table:
    """Read a snapshot file (``compute_reuse_metrics`` checks its content).

    A real listing may lack columns: they come back as nulls and are named by
    ``growth.core.snapshot.missing_columns(table)`` (the metrics that need them say "not
    available"). ``snapshot_date`` dates a listing that has no ``snapshot_date`` column.
    Raises ``SnapshotError`` for a missing file, a file that is not parquet, no ``id`` column,
    or no date.
    """
    try:
        present = set(pq.read_schema(path).names)
    except Exception:  # read_snapshot below says precisely why (missing file, not parquet)
        present = set(NEEDED_COLUMNS)
    columns = [c for c in NEEDED_COLUMNS if c in present]
    columns += [c for c in OPTIONAL_COLUMNS if c in present]
    table = read_snapshot(path, columns=columns)
    table, _ = conform(table, str(path), snapshot_date=snapshot_date)
    return table.select(columns + [c for c in NEEDED_COLUMNS if c not in columns])


def check_history(table: pa.Table, source: str = "snapshot") -> pa.Table:
    """Cast the snapshot columns to their schema types and refuse what would give wrong numbers."""
    if any(c not in table.column_names for c in NEEDED_COLUMNS):
        table, _ = conform(table, source)  # absent columns: nulls, named in the metadata
    for name in NEEDED_COLUMNS:
        expected = SNAPSHOT_SCHEMA.field(name).type
        column = table[name]
        if column.type != expected:
            # Dates and times may be truncated (a microsecond timestamp to ms, a timestamp to a
            # date); numbers may not (an overflow or a fractional count is an error).
            lossy_ok = pa.types.is_temporal(expected)
            try:
                column = column.cast(expected, safe=not lossy_ok)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SnapshotError(
                    f"{source}: column {name!r} has type {table[name].type}, expected {expected}"
                ) from exc
            table = table.set_column(table.schema.get_field_index(name), name, column)
    if table.num_rows == 0:
        raise SnapshotError(f"{source}: the snapshot holds no rows")
    for name in ("snapshot_date", "id", "repo_type"):
        nulls = table[name].null_count
        if nulls:
            raise SnapshotError(f"{source}: {nulls} row(s) have no {name}")
    for name in ("downloadsAllTime", "downloads", "likes"):
        negative = pc.less(table[name], 0)
        count = pc.sum(pc.cast(pc.fill_null(negative, False), pa.int64())).as_py() or 0
        if count:
            example = table["id"].filter(pc.fill_null(negative, False))[0].as_py()
            raise SnapshotError(
                f"{source}: {count} row(s) have a negative {name} (first: {example!r})"
            )
    # Repos listed twice on one date are refused where the ids are hashed anyway: when models
    # and datasets are looked up (graph.rows_of_ids) and when snapshots are paired (adoption).
    return table


# --- shared arrays --------------------------------------------------------------------------------


@dataclass
class _Context:
    """Everything the per-domain computations share, built once per call."""

    snapshot_date: dt.date
    table: pa.Table  # rows of the latest snapshot_date
    ids: pa.Array
    is_model: np.ndarray
    is_dataset: np.ndarray
    downloads: np.ndarray  # downloadsAllTime, int64
    likes: np.ndarray
    author: np.ndarray  # author code
    author_names: pa.Array  # name of each author code
    organization: np.ndarray  # bool per row
    developer_type: np.ndarray  # int8 per row, index into DEVELOPER_TYPES
    country: np.ndarray  # int32 per row, index into country_names (0 = "unknown")
    country_names: list
    basis: np.ndarray  # int8 per row, index into developers.BASES
    downloads_30d: np.ndarray  # the Hub's rolling 30-day count, int64
    created_year: np.ndarray  # int, -1 when unknown
    created_month: np.ndarray  # year * 12 + month - 1, -1 when unknown
    tree: object
    citations: object
    ram: np.ndarray  # float, NaN when undefined
    bucket: np.ndarray
    parameters: np.ndarray  # float per row, NaN when unknown (models only)
    ram_reference: dict
    ram_at_age: dict  # age in days -> RAM per row at that age (NaN when unknown)
    # history
    history_day: np.ndarray
    history_masks: dict
    history_downloads: np.ndarray
    history_likes: np.ndarray
    history_author: np.ndarray
    history_organization: np.ndarray
    intervals: object
    repo_peak_rate: np.ndarray  # per repo: its highest daily downloads
    repo_half_life: np.ndarray
    repo_last_row: np.ndarray  # history row of each repo's last interval


def _filled(column, dtype=np.int64) -> np.ndarray:
    return pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(dtype)


def _num(value):
    """JSON-friendly number: Python int/float, None for NaN/inf."""
    if value is None:
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    value = float(value)
    return value if np.isfinite(value) else None


def _ratio(numerator, denominator):
    return None if not denominator else float(numerator) / float(denominator)


def _iso(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


def _relative_adoption(
    rows: np.ndarray, values: np.ndarray, bucket: np.ndarray, n_rows: int
) -> tuple[np.ndarray, dict]:
    """RAM of each of ``rows`` (models, with cumulative downloads ``values``): value / median of
    the 10 largest values of its size bucket. Returns RAM per table row (NaN elsewhere, and in
    the unknown bucket) and the reference of each bucket."""
    ram = np.full(n_rows, np.nan)
    reference = {}
    for code, name in enumerate(BUCKETS):
        in_bucket = bucket[rows] == code
        bucket_values = values[in_bucket]
        if not bucket_values.size:
            continue
        k = min(10, bucket_values.size)
        top = np.partition(bucket_values, bucket_values.size - k)[bucket_values.size - k :]
        reference[name] = float(np.median(top))
        if reference[name] > 0:
            ram[rows[in_bucket]] = bucket_values / reference[name]
    return ram, reference


def _build_context(history: pa.Table, rules, as_of: dt.date | None, directory=None) -> _Context:
    day = days_since_epoch(history["snapshot_date"])
    if as_of is not None:
        keep = day <= (as_of - dt.date(1970, 1, 1)).days
        if not keep.any():
            raise SnapshotError(f"no snapshot on or before {as_of.isoformat()}")
        if not keep.all():
            history = history.filter(pa.array(keep))
            day = day[keep]
    latest_day = int(day.max())
    latest_rows = np.flatnonzero(day == latest_day)
    whole = latest_rows.size == history.num_rows
    table = history if whole else history.take(pa.array(latest_rows))

    history_masks = {HUB: np.ones(history.num_rows, dtype=bool), **classify(history, rules)}
    developers = classify_developers(history, directory)
    history_author, author_names = developers.author, developers.names
    history_organization = developers.is_organization

    repo_type = pc.fill_null(table["repo_type"], "")
    is_model = pc.equal(repo_type, "model").to_numpy(zero_copy_only=False)
    is_dataset = pc.equal(repo_type, "dataset").to_numpy(zero_copy_only=False)
    downloads = _filled(table["downloadsAllTime"])
    created = pc.fill_null(pc.year(table["createdAt"]), -1)

    # RAM to date: each model's downloads against the median of the top 10 of its size bucket.
    parameters = np.where(is_model, parameter_counts(table), np.nan)
    bucket = size_buckets(parameters)
    models = np.flatnonzero(is_model)
    ram, reference = _relative_adoption(models, downloads[models], bucket, table.num_rows)

    repo = repo_codes(history, single_date=whole)
    intervals = peak = half = last = None
    if not whole:
        intervals = snapshot_intervals(history, day, repo)
        _, peak, half = peak_and_half_life(intervals.rate, intervals.end_day, intervals.group_start)
        last = intervals.end_row[np.r_[intervals.group_start[1:], intervals.rate.size] - 1]

    # Age-matched RAM: D_m(t) against the median D_j(t) of the top 10 of the bucket, per t.
    row_of_repo = np.full(int(repo.max()) + 1, -1, dtype=np.int64)
    row_of_repo[repo[latest_rows]] = np.arange(latest_rows.size)
    ram_at_age = {}
    created_day = created_days(history)
    for age in MILESTONE_DAYS:
        repos, values = downloads_at_age(history, day, repo, created_day, age)
        rows = row_of_repo[repos]
        keep = rows >= 0
        keep[keep] = is_model[rows[keep]]
        ram_at_age[age], _ = _relative_adoption(rows[keep], values[keep], bucket, table.num_rows)

    return _Context(
        snapshot_date=dt.date(1970, 1, 1) + dt.timedelta(days=latest_day),
        table=table,
        ids=table["id"].combine_chunks(),
        is_model=is_model,
        is_dataset=is_dataset,
        downloads=downloads,
        likes=_filled(table["likes"]),
        author=history_author[latest_rows],
        author_names=author_names,
        organization=history_organization[latest_rows],
        developer_type=developers.type_code[latest_rows],
        country=developers.country_code[latest_rows],
        country_names=developers.country_names,
        basis=developers.basis[latest_rows],
        downloads_30d=_filled(table["downloads"]),
        created_year=created.to_numpy(zero_copy_only=False),
        created_month=np.where(
            created.to_numpy(zero_copy_only=False) >= 0,
            created.to_numpy(zero_copy_only=False) * 12
            + pc.fill_null(pc.month(table["createdAt"]), 1).to_numpy(zero_copy_only=False)
            - 1,
            -1,
        ),
        tree=model_tree(table, is_model),
        citations=dataset_citations(table, is_model, is_dataset),
        ram=ram,
        bucket=bucket,
        parameters=parameters,
        ram_reference=reference,
        ram_at_age=ram_at_age,
        history_day=day,
        history_masks=history_masks,
        history_downloads=_filled(history["downloadsAllTime"]),
        history_likes=_filled(history["likes"]),
        history_author=history_author,
        history_organization=history_organization,
        intervals=intervals,
        repo_peak_rate=peak,
        repo_half_life=half,
        repo_last_row=last,
    )


# --- per-domain metrics -----------------------------------------------------------------------------


def _concentration(downloads, likes, authors) -> dict:
    return {
        "repos": int(downloads.size),
        "downloads": measures.concentration(
            downloads, authors, long_tail_threshold=LONG_TAIL_DOWNLOADS
        ),
        "likes": measures.concentration(likes, authors),
    }


def _concentration_over_time(ctx: _Context, key: str) -> list[dict]:
    mask = ctx.history_masks[key]
    series = []
    for day in np.unique(ctx.history_day):
        rows = np.flatnonzero(mask & (ctx.history_day == day))
        entry = _concentration(
            ctx.history_downloads[rows], ctx.history_likes[rows], ctx.history_author[rows]
        )
        series.append({"date": _iso(day), **entry})
    return series


def _ids(ctx: _Context, rows) -> list[str]:
    return ctx.ids.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()


def _top(values: np.ndarray, rows: np.ndarray, k: int = TOP_LIST) -> np.ndarray:
    """The rows (among ``rows``) with the k largest positive ``values``, largest first."""
    rows = rows[values[rows] > 0]
    if rows.size > k:
        rows = rows[np.argpartition(-values[rows], k - 1)[:k]]
    return rows[np.lexsort((rows, -values[rows]))]


def _derivatives(ctx: _Context, models: np.ndarray) -> dict:
    tree, n = ctx.tree, ctx.table.num_rows
    is_domain_model = np.zeros(n, dtype=bool)
    is_domain_model[models] = True
    to_domain = is_domain_model[tree.parent]
    child, parent, relation = (
        tree.child[to_domain],
        tree.parent[to_domain],
        tree.relation[to_domain],
    )

    direct = np.unique(child)
    from_base = np.unique(child[tree.from_base_models[to_domain]])
    by_relation = {}
    for code, name in enumerate(RELATION_NAMES):
        by_relation[name] = int(np.unique(child[relation == code]).size)

    # External: a child none of whose domain parents has the child's author.
    same_author = (ctx.author[child] == ctx.author[parent]).astype(np.float64)
    has_same = np.bincount(child, weights=same_author, minlength=n) > 0
    external = int(np.count_nonzero(~has_same[direct]))

    level = tree.descendants(models)
    descendants = np.flatnonzero(level > 0)
    generations = np.bincount(level[descendants]) if descendants.size else np.zeros(1, int)
    outside = descendants[~is_domain_model[descendants]]
    own = int(ctx.downloads[models].sum())
    family = own + int(ctx.downloads[outside].sum())

    fan_out = np.bincount(parent, minlength=n)
    with_children = models[fan_out[models] > 0]

    has_parent = np.zeros(n, dtype=bool)
    has_parent[tree.child] = True

    families = []
    for root in _top(fan_out.astype(np.float64), models, TOP_LIST):
        root_level = tree.descendants(np.array([root]))
        members = np.flatnonzero(root_level > 0)
        root_family = int(ctx.downloads[root]) + int(ctx.downloads[members[members != root]].sum())
        families.append(
            {
                "id": _ids(ctx, [root])[0],
                "children": int(fan_out[root]),
                "descendants": int(members.size),
                "max_depth": int(root_level.max()) if members.size else 0,
                "downloads": int(ctx.downloads[root]),
                "family_downloads": root_family,
                "family_download_multiplier": _ratio(root_family, int(ctx.downloads[root])),
            }
        )

    return {
        "total": int(from_base.size),
        "direct": int(direct.size),
        "tag_only": int(direct.size - from_base.size),
        "by_relation": by_relation,
        "descendants_total": int(descendants.size),
        "max_depth": int(generations.size - 1) if descendants.size else 0,
        "by_generation": {str(g): int(c) for g, c in enumerate(generations) if g > 0 and c},
        "descendant_downloads": int(ctx.downloads[descendants].sum()),
        "fan_out": {
            "parents_with_children": int(with_children.size),
            "share_of_models_with_children": _ratio(with_children.size, models.size),
            "mean_children": _num(fan_out[with_children].mean()) if with_children.size else None,
            "max_children": int(fan_out[models].max()) if models.size else 0,
        },
        "family_downloads": family,
        "family_download_multiplier": _ratio(family, own),
        "external": external,
        "external_share": _ratio(external, direct.size),
        "derivative_rate": _ratio(np.count_nonzero(has_parent[models]), models.size),
        "top_families": families,
        **_derivative_types(ctx, child, relation),
    }


def _derivative_types(ctx: _Context, child: np.ndarray, relation: np.ndarray) -> dict:
    """Direct derivatives by relation: their downloads, and the share of each relation among
    the derivatives created each year and among those of each developer type (how independents
    contribute: fine-tunes, quantizations, adapters). A child with several domain parents counts
    once, with its first declared relation."""
    if child.size:
        first = np.unique(child, return_index=True)[1]
        child, relation = child[first], relation[first]
    downloads_by_relation = {
        name: int(ctx.downloads[child[relation == code]].sum())
        for code, name in enumerate(RELATION_NAMES)
    }
    years = ctx.created_year[child]
    by_year = {
        str(int(year)): shares(
            relation[years == year], np.ones(int((years == year).sum())), RELATION_NAMES
        )
        for year in np.unique(years[years >= 0])
    }
    types = ctx.developer_type[child]
    by_type = {
        name: shares(relation[types == code], np.ones(int((types == code).sum())), RELATION_NAMES)
        for code, name in enumerate(DEVELOPER_TYPES)
        if np.any(types == code)
    }
    return {
        "downloads_by_relation": downloads_by_relation,
        "relation_share_by_created_year": by_year,
        "relation_share_by_developer_type": by_type,
    }


def _datasets(ctx: _Context, models: np.ndarray, datasets: np.ndarray) -> dict:
    n = ctx.table.num_rows
    cites = ctx.citations
    citing_models = np.bincount(cites.dataset, minlength=n)
    external_edge = (ctx.author[cites.model] != ctx.author[cites.dataset]).astype(np.float64)
    external_citing = np.bincount(cites.dataset, weights=external_edge, minlength=n)
    citing_downloads = np.bincount(
        cites.dataset, weights=ctx.downloads[cites.model].astype(np.float64), minlength=n
    )
    in_domain = np.zeros(n, dtype=bool)
    in_domain[datasets] = True
    domain_edges = in_domain[cites.dataset]
    per_dataset = citing_models[datasets]
    declaring = int(np.count_nonzero(cites.declares[models]))
    top = _top(citing_models.astype(np.float64), datasets, TOP_LIST)
    top_ids = _ids(ctx, top)
    return {
        "datasets": int(datasets.size),
        "cited": int(np.count_nonzero(per_dataset)),
        "reuse_ratio": _ratio(np.count_nonzero(per_dataset), datasets.size),
        "externally_cited": int(np.count_nonzero(external_citing[datasets])),
        "external_reuse_ratio": _ratio(np.count_nonzero(external_citing[datasets]), datasets.size),
        "citing_models": int(np.unique(cites.model[domain_edges]).size),
        "citations": int(np.count_nonzero(domain_edges)),
        "citations_per_dataset": {
            "mean": _num(per_dataset.mean()) if datasets.size else None,
            "median": _num(np.median(per_dataset)) if datasets.size else None,
            "max": int(per_dataset.max()) if datasets.size else 0,
            "gini": measures.gini(per_dataset),
        },
        "models": int(models.size),
        "models_declaring": declaring,
        "declaration_rate": _ratio(declaring, models.size),
        "top_cited": [
            {
                "id": dataset_id,
                "citing_models": int(citing_models[row]),
                "external_citing_models": int(external_citing[row]),
                "citing_downloads": int(citing_downloads[row]),
            }
            for dataset_id, row in zip(top_ids, top, strict=True)
        ],
    }


def _org_shares(downloads: np.ndarray, organization: np.ndarray, groups: np.ndarray) -> dict:
    """Independent authors' share of downloads per group value (year)."""
    shares = {}
    for group in np.unique(groups):
        if group < 0:
            continue
        selected = groups == group
        total = downloads[selected].sum()
        independent = downloads[selected & ~organization].sum()
        shares[str(int(group))] = _ratio(independent, total)
    return shares


def _authors(ctx: _Context, rows: np.ndarray, key: str) -> dict:
    x = ctx.downloads[rows].astype(np.float64)
    org = ctx.organization[rows]
    result = {
        "authors": int(np.unique(ctx.author[rows]).size),
        "organizations": int(np.unique(ctx.author[rows][org]).size),
        "independent_share_downloads": _ratio(x[~org].sum(), x.sum()),
        "organization_share_downloads": _ratio(x[org].sum(), x.sum()),
        "independent_share_by_created_year": _org_shares(x, org, ctx.created_year[rows]),
        "independent_share_by_year": {},
    }
    if ctx.intervals is not None:
        iv = ctx.intervals
        member = ctx.history_masks[key][iv.end_row]
        years = (
            pc.year(pa.array(iv.end_day[member].astype(np.int32), pa.date32()))
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        result["independent_share_by_year"] = _org_shares(
            iv.downloads[member], ctx.history_organization[iv.end_row[member]], years
        )
    return result


def _adoption(ctx: _Context, key: str, models: np.ndarray) -> dict:
    days = np.unique(ctx.history_day)
    result = {
        "snapshots": int(days.size),
        "first_date": _iso(days[0]),
        "last_date": _iso(days[-1]),
        "daily_downloads": [],
        "peak_date": None,
        "peak_daily_downloads": None,
        "half_life_days": None,
        "repo_half_life_days": {"median": None, "mean": None, "measured": 0, "censored": 0},
        "ram": _ram(ctx, models),
    }
    if ctx.intervals is None:
        return result
    iv = ctx.intervals
    member = ctx.history_masks[key][iv.end_row]
    end_days, where = np.unique(iv.end_day[member], return_inverse=True)
    daily = np.bincount(where, weights=iv.rate[member], minlength=end_days.size)
    result["daily_downloads"] = [
        {"date": _iso(d), "daily_downloads": float(v)} for d, v in zip(end_days, daily, strict=True)
    ]
    if end_days.size:
        peak_day, peak, half = peak_and_half_life(daily, end_days, np.array([0]))
        result["peak_date"] = _iso(peak_day[0])
        result["peak_daily_downloads"] = float(peak[0])
        result["half_life_days"] = _num(half[0])
    repos = ctx.history_masks[key][ctx.repo_last_row]
    interested = repos & (ctx.repo_half_life == ctx.repo_half_life)  # measured (not NaN)
    censored = repos & np.isnan(ctx.repo_half_life) & (ctx.repo_peak_rate > 0)
    values = ctx.repo_half_life[interested]
    result["repo_half_life_days"] = {
        "median": _num(np.median(values)) if values.size else None,
        "mean": _num(values.mean()) if values.size else None,
        "measured": int(values.size),
        "censored": int(np.count_nonzero(censored)),
    }
    return result


def _ram(ctx: _Context, models: np.ndarray) -> dict:
    ram = ctx.ram[models]
    per_bucket = {}
    for code, name in enumerate(BUCKET_NAMES):
        in_bucket = ctx.bucket[models] == code
        values = ram[in_bucket & ~np.isnan(ram)]
        per_bucket[name] = {
            "models": int(np.count_nonzero(in_bucket)),
            "reference_downloads": ctx.ram_reference.get(name),
            "median_ram": _num(np.median(values)) if values.size else None,
            "at_or_above_1": int(np.count_nonzero(values >= 1)),
        }
    scored = models[~np.isnan(ram)]
    top = _top(np.nan_to_num(ctx.ram), scored, 5)
    at_age = {}
    for age, ram_t in ctx.ram_at_age.items():
        values = ram_t[models]
        values = values[~np.isnan(values)]
        at_age[str(age)] = {
            "models": int(values.size),
            "median_ram": _num(np.median(values)) if values.size else None,
            "at_or_above_1": int(np.count_nonzero(values >= 1)),
        }
    return {
        "at_age": at_age,
        "models_at_or_above_1": int(np.count_nonzero(ram >= 1)),
        "by_bucket": per_bucket,
        "top": [
            {"id": model_id, "ram": _num(ctx.ram[row]), "bucket": BUCKET_NAMES[ctx.bucket[row]]}
            for model_id, row in zip(_ids(ctx, top), top, strict=True)
        ],
    }


def _type_masks(ctx: _Context):
    return (("models", ctx.is_model), ("datasets", ctx.is_dataset))


def _origin_shares(ctx: _Context, rows: np.ndarray) -> dict:
    """Country shares of 30-day downloads and developer-type shares of all-time downloads."""
    return {
        "country_share_downloads_30d": code_shares(
            ctx.country[rows], ctx.downloads_30d[rows], ctx.country_names, keep=[0]
        ),
        "developer_type_share_downloads": shares(
            ctx.developer_type[rows], ctx.downloads[rows], DEVELOPER_TYPES
        ),
    }


def _core(ctx: _Context, mask: np.ndarray) -> dict:
    """The ``--json`` contract's core keys over the rows of ``mask`` (one repo type)."""
    rows = np.flatnonzero(mask)
    models = rows[ctx.is_model[rows]]
    datasets = rows[ctx.is_dataset[rows]]
    downloads = measures.concentration(
        ctx.downloads[rows], ctx.author[rows], long_tail_threshold=LONG_TAIL_DOWNLOADS
    )
    tree = ctx.tree
    in_set = np.zeros(ctx.table.num_rows, dtype=bool)
    in_set[models] = True
    from_base = tree.from_base_models & in_set[tree.parent]
    cites = ctx.citations
    cited = np.zeros(ctx.table.num_rows, dtype=bool)
    cited[cites.dataset] = True
    return {
        "repos": int(rows.size),
        "downloads_total": int(ctx.downloads[rows].sum()),
        "gini_downloads": downloads["gini"],
        "top1pct_share_downloads": downloads["top1pct_share"],
        "top0_01pct_share_downloads": downloads["top0_01pct_share"],
        "share_under_200_downloads": downloads[f"share_under_{LONG_TAIL_DOWNLOADS}"],
        "hhi_authors": downloads["hhi_authors"],
        "derivatives_total": int(np.unique(tree.child[from_base]).size),
        "dataset_reuse_ratio": _ratio(np.count_nonzero(cited[datasets]), datasets.size),
        "declaration_rate": _ratio(np.count_nonzero(cites.declares[models]), models.size),
        **_origin_shares(ctx, rows),
    }


def _developers(ctx: _Context, rows: np.ndarray) -> dict:
    """Developer types and countries: shares of downloads and of new repos per created year,
    and how each author was classified (table, author_type column, heuristic, default)."""
    from growth.core.developers import BASES

    years = ctx.created_year[rows]
    new_repos_by_type, new_repos_by_country = {}, {}
    ones = np.ones(rows.size, dtype=np.int64)
    for year in np.unique(years[years >= 0]):
        in_year = years == year
        new_repos_by_type[str(int(year))] = shares(
            ctx.developer_type[rows][in_year], ones[in_year], DEVELOPER_TYPES
        )
        new_repos_by_country[str(int(year))] = code_shares(
            ctx.country[rows][in_year], ones[in_year], ctx.country_names, keep=[0]
        )
    months = ctx.created_month[rows]
    by_month = {}
    for month in np.unique(months[months >= 0]):
        in_month = months == month
        label = f"{int(month) // 12:04d}-{int(month) % 12 + 1:02d}"
        by_month[label] = code_shares(
            ctx.country[rows][in_month], ones[in_month], ctx.country_names, keep=[0]
        )
    return {
        "type_share_of_new_repos_by_created_year": new_repos_by_type,
        "country_share_of_new_repos_by_created_year": new_repos_by_country,
        "country_share_of_new_repos_by_created_month": by_month,
        "classified_by": {
            basis: int(np.count_nonzero(ctx.basis[rows] == code))
            for code, basis in enumerate(BASES)
        },
        "downloads_classified_by": shares(ctx.basis[rows], ctx.downloads[rows], BASES),
    }


def _domain_metrics(ctx: _Context, key: str, mask: np.ndarray) -> dict:
    rows = np.flatnonzero(mask)
    models = np.flatnonzero(mask & ctx.is_model)
    datasets = np.flatnonzero(mask & ctx.is_dataset)
    over_time = _concentration_over_time(ctx, key)
    latest = over_time[-1]
    downloads = latest["downloads"]
    derivatives = _derivatives(ctx, models)
    reuse = _datasets(ctx, models, datasets)
    return {
        "snapshot_date": ctx.snapshot_date.isoformat(),
        "repos": int(rows.size),
        "downloads_total": int(ctx.downloads[rows].sum()),
        "gini_downloads": downloads["gini"],
        "top1pct_share_downloads": downloads["top1pct_share"],
        "top0_01pct_share_downloads": downloads["top0_01pct_share"],
        "share_under_200_downloads": downloads[f"share_under_{LONG_TAIL_DOWNLOADS}"],
        "hhi_authors": downloads["hhi_authors"],
        "derivatives_total": derivatives["total"],
        "dataset_reuse_ratio": reuse["reuse_ratio"],
        "declaration_rate": reuse["declaration_rate"],
        **_origin_shares(ctx, rows),
        # The same core keys over one repo type alone (the report's concentration figures are
        # over models).
        **{scope: _core(ctx, mask & type_mask) for scope, type_mask in _type_masks(ctx)},
        "developers": _developers(ctx, rows),
        "model_sizes_by_created_year": sizes_by_year(
            ctx.parameters[models], ctx.created_year[models], ctx.downloads[models]
        ),
        "concentration": {
            "downloads": downloads,
            "likes": latest["likes"],
            "over_time": over_time,
        },
        "derivatives": derivatives,
        "datasets_reuse": reuse,
        "authors": _authors(ctx, rows, key),
        "adoption": _adoption(ctx, key, models),
    }


def _citation_table(ctx: _Context, masks: dict) -> pa.Table:
    """Citations that touch a domain (the dataset or the citing model is in one), for storage."""
    cites = ctx.citations
    in_any = np.zeros(ctx.table.num_rows, dtype=bool)
    for mask in masks.values():
        in_any |= mask
    keep = in_any[cites.dataset] | in_any[cites.model]
    model, dataset = cites.model[keep], cites.dataset[keep]
    take = pa.array(model)

    def names(rows):
        return ctx.author_names.take(pa.array(ctx.author[rows]))

    return pa.table(
        {
            "dataset_id": ctx.ids.take(pa.array(dataset)),
            "dataset_author": names(dataset),
            "model_id": ctx.ids.take(take),
            "model_author": names(model),
            "downloads": pc.fill_null(ctx.table["downloads"].take(take), 0),
            "downloads_all_time": pa.array(ctx.downloads[model]),
            "likes": pa.array(ctx.likes[model]),
            "pipeline_tag": pc.fill_null(ctx.table["pipeline_tag"].take(take), ""),
            "library_name": pc.fill_null(ctx.table["library_name"].take(take), ""),
        }
    )


def compute_reuse_metrics(
    history: pa.Table,
    rules: list[Rule] | tuple[Rule, ...] = DEFAULT_RULES,
    domains: list[str] | None = None,
    as_of: dt.date | None = None,
    include_citations: bool = False,
    organizations: Iterable[Organization] | None = None,
) -> dict:
    """``{"snapshot_date": iso, "domains": {key: metrics}}`` for the checked snapshot table.

    ``include_citations`` adds ``"citations"``: a table of the model -> dataset citations that
    touch a domain (what ``DatasetCitation`` stores). ``organizations`` is the organization
    directory of the developer classifier (the admin table on the platform); the seed list when
    None. The domain ``hub`` (every repo of the snapshot) comes first.
    """
    history = check_history(history)
    missing = missing_columns(history)
    keys = [HUB, *domain_keys(rules)]
    if domains:
        unknown = [d for d in domains if d not in keys]
        if unknown:
            raise UnknownDomain(f"unknown domain(s) {unknown}; known domains: {', '.join(keys)}")
        keys = [k for k in keys if k in domains]
    directory = None if organizations is None else directory_of(organizations)
    ctx = _build_context(history, rules, as_of, directory)
    latest = ctx.history_day == (ctx.snapshot_date - dt.date(1970, 1, 1)).days
    masks = {key: ctx.history_masks[key][latest] for key in keys}
    result = {
        "snapshot_date": ctx.snapshot_date.isoformat(),
        "domains": {
            key: mark_unavailable(_domain_metrics(ctx, key, masks[key]), missing) for key in keys
        },
        "missing_columns": missing,
    }
    if include_citations:
        # The hub scope would store every citation of the Hub: only domains' ones are kept.
        result["citations"] = _citation_table(
            ctx, {key: mask for key, mask in masks.items() if key != HUB}
        )
    return result
