"""Per-domain aggregates of one snapshot, computed from an Arrow table with numpy (no Django).

Everything the pages show is derived from these few aggregates, stored per snapshot:

- ``monthly``: repos created per calendar month (UTC, from ``createdAt``), per domain and repo
  type. Quarters, years and cumulative counts are sums of months (see ``growth.selectors``).
- ``stats``: per domain and repo type, the number of repos in the snapshot, their 30-day and
  all-time downloads, likes, distinct authors, and the downloads since the previous snapshot:
  ``sum(clip(A_t - A_prev, 0, downloads_30d))`` where ``A`` is ``downloadsAllTime`` (a repo new
  since the previous snapshot counts ``min(A_t, downloads_30d)``).
- ``ranks``: every task category's repos created per year and cumulative stock, ranked (1 = the
  largest) within the year. Dataset categories are ``task_categories:<x>`` tags; model categories
  are pipeline tags.
- ``top_authors``: per domain and repo type, the top organizations and the top independent
  authors by number of repos.
- ``releases``: the release heatmap: per domain, the ``HEATMAP_ORGANIZATIONS`` organizations with
  the most repos (models and datasets together) and, per month of ``createdAt``, how many models
  and datasets each created (non-zero cells only).

The whole Hub is stored as the pseudo-domain ``HUB_KEY`` so shares are a division away.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growth.core.developers import Organization, classify_developers, directory_of
from growth.core.domains import Rule, classify

HUB_KEY = "_hub"
TOP_AUTHORS = 25
HEATMAP_ORGANIZATIONS = 40
CATEGORY_PREFIX = "task_categories:"
AGGREGATE_COLUMNS = [
    "repo_type", "id", "author", "createdAt", "downloads", "downloadsAllTime", "likes", "tags",
    "pipeline_tag", "library_name",
]  # fmt: skip


@dataclass
class Aggregates:
    monthly: list[tuple] = field(default_factory=list)  # (domain, repo_type, date, created)
    stats: list[dict] = field(default_factory=list)
    ranks: list[dict] = field(default_factory=list)
    top_authors: list[dict] = field(default_factory=list)
    releases: list[dict] = field(default_factory=list)  # the organizations x months heatmap
    models: int = 0
    datasets: int = 0


def _month_index(created: pa.ChunkedArray) -> np.ndarray:
    """Months since 1970-01 for every row (-1 where ``createdAt`` is null)."""
    as_ms = pc.fill_null(created.cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64()), -(2**62))
    ms = as_ms.to_numpy(zero_copy_only=False)
    months = ms.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    months[ms == -(2**62)] = -1
    return months


def _encode(values) -> pa.DictionaryArray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.dictionary_encode(values)


def month_start(index: int):
    return np.datetime64(int(index), "M").astype("datetime64[D]").astype(object)


def _numbers(table: pa.Table, column: str) -> np.ndarray:
    return pc.fill_null(table[column].cast(pa.int64()), 0).to_numpy(zero_copy_only=False)


def _downloads_since(table: pa.Table, previous: pa.Table | None) -> np.ndarray | None:
    """Per row, downloads since the previous snapshot (see module docstring), or None."""
    if previous is None:
        return None
    keyed = pa.table(
        {
            "repo_type": table["repo_type"],
            "id": table["id"],
            "_row": pa.array(np.arange(table.num_rows)),
        }
    )
    prev = previous.select(["repo_type", "id", "downloadsAllTime"]).rename_columns(
        ["repo_type", "id", "_prev"]
    )
    joined = keyed.join(prev, keys=["repo_type", "id"], join_type="left outer")
    order = joined["_row"].to_numpy(zero_copy_only=False)
    prev_all = np.empty(table.num_rows, dtype=np.int64)
    prev_all[order] = pc.fill_null(joined["_prev"].cast(pa.int64()), 0).to_numpy(
        zero_copy_only=False
    )
    now_all = _numbers(table, "downloadsAllTime")
    window = _numbers(table, "downloads")
    return np.clip(now_all - prev_all, 0, window)


def _category_ranks(table, type_masks, months) -> list[dict]:
    """Every category's yearly created count and cumulative stock, with ranks per year."""
    years = np.where(months >= 0, months // 12 + 1970, -1)
    rows = []
    for repo_type, type_mask in type_masks.items():
        if repo_type == "dataset":
            tags = table["tags"].combine_chunks()
            flat = pc.list_flatten(tags)
            parents = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
            is_category = pc.fill_null(pc.starts_with(flat, CATEGORY_PREFIX), False).to_numpy(
                zero_copy_only=False
            )
            names = pc.utf8_slice_codeunits(pc.filter(flat, is_category), len(CATEGORY_PREFIX))
            row_of = parents[is_category]
        else:
            names_all = table["pipeline_tag"].combine_chunks()
            has = pc.is_valid(names_all).to_numpy(zero_copy_only=False) & (
                pc.fill_null(pc.not_equal(names_all, ""), False).to_numpy(zero_copy_only=False)
            )
            row_of = np.nonzero(has)[0]
            names = pc.take(names_all, pa.array(row_of))
        keep = type_mask[row_of] & (years[row_of] >= 0)
        if not keep.any():
            continue
        names = pc.utf8_lower(pc.filter(names, pa.array(keep)))
        row_of = row_of[keep]
        encoded = _encode(names)
        labels = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        year_values = years[row_of]
        first, last = int(year_values.min()), int(year_values.max())
        span = last - first + 1
        counts = np.bincount(
            codes * span + (year_values - first), minlength=len(labels) * span
        ).reshape(len(labels), span)
        cumulative = counts.cumsum(axis=1)
        for y in range(span):
            # Competition ranking ("1, 2, 2, 4"): rank = 1 + how many categories are larger.
            created_sorted = np.sort(counts[:, y])
            cumulative_sorted = np.sort(cumulative[:, y])
            for c, label in enumerate(labels):
                if cumulative[c, y] == 0:
                    continue
                rows.append(
                    {
                        "repo_type": repo_type,
                        "category": label,
                        "year": first + y,
                        "created": int(counts[c, y]),
                        "cumulative": int(cumulative[c, y]),
                        "rank_created": 1
                        + len(labels)
                        - int(np.searchsorted(created_sorted, counts[c, y], side="right")),
                        "rank_cumulative": 1
                        + len(labels)
                        - int(np.searchsorted(cumulative_sorted, cumulative[c, y], side="right")),
                    }
                )
    return rows


def _top_authors(domain, repo_type, mask, author_codes, author_names, is_org, numbers):
    rows = []
    n_authors = len(author_names)
    repos = np.bincount(author_codes[mask], minlength=n_authors)
    sums = {
        name: np.bincount(author_codes[mask], weights=values[mask], minlength=n_authors)
        for name, values in numbers.items()
    }
    for organization in (True, False):
        candidates = np.nonzero((repos > 0) & (is_org == organization))[0]
        if not len(candidates):
            continue
        # Most repos first; downloads break ties; then the name, so the order is stable.
        order = np.lexsort(
            (
                np.array([author_names[c] for c in candidates]),
                -sums["downloads_all_time"][candidates],
                -repos[candidates],
            )
        )[:TOP_AUTHORS]
        for rank, c in enumerate(candidates[order], start=1):
            rows.append(
                {
                    "domain": domain,
                    "repo_type": repo_type,
                    "author": author_names[c],
                    "is_organization": organization,
                    "repos": int(repos[c]),
                    "downloads_30d": int(sums["downloads_30d"][c]),
                    "downloads_all_time": int(sums["downloads_all_time"][c]),
                    "likes": int(sums["likes"][c]),
                    "rank": rank,
                }
            )
    return rows


def _release_cells(domain, mask, is_model, months, author_codes, author_names, is_org):
    """Models and datasets created per organization and month, for the domain's top organizations."""
    rows = []
    organization_rows = mask & (months >= 0) & is_org[author_codes]
    if not organization_rows.any():
        return rows
    codes = author_codes[organization_rows]
    totals = np.bincount(codes, minlength=len(author_names))
    candidates = np.nonzero(totals)[0]
    # Most releases first; the name breaks ties so the selection is stable.
    order = np.lexsort((np.array([author_names[c] for c in candidates]), -totals[candidates]))
    chosen = candidates[order[:HEATMAP_ORGANIZATIONS]]
    keep = np.isin(codes, chosen)
    codes, row_months = codes[keep], months[organization_rows][keep]
    models = is_model[organization_rows][keep]
    first = int(row_months.min())
    span = int(row_months.max()) - first + 1
    cell = codes.astype(np.int64) * span + (row_months - first)
    model_counts = np.bincount(cell[models], minlength=len(author_names) * span)
    dataset_counts = np.bincount(cell[~models], minlength=len(author_names) * span)
    for index in np.nonzero(model_counts + dataset_counts)[0]:
        code, offset = divmod(int(index), span)
        rows.append(
            {
                "domain": domain,
                "author": author_names[code],
                "month": month_start(first + offset),
                "models": int(model_counts[index]),
                "datasets": int(dataset_counts[index]),
            }
        )
    return rows


def aggregate(
    table: pa.Table,
    rules: list[Rule],
    organizations: Iterable[Organization] | None = None,
    previous: pa.Table | None = None,
) -> Aggregates:
    """All aggregates of one snapshot. ``previous`` is the earlier snapshot (for download deltas).

    ``organizations`` is the organization directory of the one developer classifier
    (``growth.core.developers``, the same as the reuse metrics use); the seed list when None.
    An author is an organization when the classifier types it anything but independent.
    """
    result = Aggregates()
    masks = {HUB_KEY: np.ones(table.num_rows, dtype=bool), **classify(table, rules)}
    repo_types = table["repo_type"].to_numpy(zero_copy_only=False)
    type_masks = {t: repo_types == t for t in ("dataset", "model")}
    result.models = int(type_masks["model"].sum())
    result.datasets = int(type_masks["dataset"].sum())
    months = _month_index(table["createdAt"])
    has_month = months >= 0
    first_month = int(months[has_month].min()) if has_month.any() else 0
    numbers = {
        "downloads_30d": _numbers(table, "downloads"),
        "downloads_all_time": _numbers(table, "downloadsAllTime"),
        "likes": _numbers(table, "likes"),
    }
    since = _downloads_since(table, previous)

    authors = _encode(pc.fill_null(table["author"].cast(pa.string()), ""))
    author_names = authors.dictionary.to_pylist()
    author_codes = authors.indices.to_numpy(zero_copy_only=False)
    developers = classify_developers(
        table, None if organizations is None else directory_of(organizations)
    )
    is_org = np.zeros(len(author_names), dtype=bool)
    is_org[author_codes] = developers.is_organization
    named = np.array([bool(name) for name in author_names], dtype=bool)

    for domain, domain_mask in masks.items():
        for repo_type, type_mask in type_masks.items():
            mask = domain_mask & type_mask
            count = int(mask.sum())
            if count == 0 and domain != HUB_KEY:
                continue
            created = np.bincount(months[mask & has_month] - first_month)
            for offset in np.nonzero(created)[0]:
                result.monthly.append(
                    (domain, repo_type, month_start(first_month + offset), int(created[offset]))
                )
            distinct = np.zeros(len(author_names), dtype=bool)
            distinct[author_codes[mask]] = True
            result.stats.append(
                {
                    "domain": domain,
                    "repo_type": repo_type,
                    "repos": count,
                    "downloads_30d": int(numbers["downloads_30d"][mask].sum()),
                    "downloads_all_time": int(numbers["downloads_all_time"][mask].sum()),
                    "likes": int(numbers["likes"][mask].sum()),
                    "authors": int((distinct & named).sum()),
                    "downloads_since_previous": int(since[mask].sum())
                    if since is not None
                    else None,
                }
            )
            if domain != HUB_KEY and count:
                result.top_authors += _top_authors(
                    domain, repo_type, mask & named[author_codes], author_codes, author_names,
                    is_org, numbers,
                )  # fmt: skip
        if domain != HUB_KEY and domain_mask.any():
            result.releases += _release_cells(
                domain, domain_mask & named[author_codes], type_masks["model"], months,
                author_codes, author_names, is_org,
            )  # fmt: skip
    result.ranks = _category_ranks(table, type_masks, months)
    return result
