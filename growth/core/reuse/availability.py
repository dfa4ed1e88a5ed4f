"""Which metrics need which snapshot columns, so a listing without a column gets "not
available" for exactly those metrics instead of a wrong number (a missing ``downloadsAllTime``
is not "nobody downloaded anything")."""

NOT_AVAILABLE = "not available"

# column -> the metric keys (dotted paths inside a domain's metrics) that need it
NEEDS = {
    "downloadsAllTime": (
        "downloads_total", "gini_downloads", "top1pct_share_downloads",
        "top0_01pct_share_downloads", "share_under_200_downloads", "hhi_authors",
        "developer_type_share_downloads", "concentration", "adoption", "authors",
        "developers.downloads_classified_by", "derivatives.family_download_multiplier",
        "model_sizes_by_created_year",
    ),
    "downloads": ("country_share_downloads_30d",),
    "likes": ("concentration.likes",),
    "baseModels": ("derivatives_total", "derivatives"),
    "tags": ("dataset_reuse_ratio", "declaration_rate", "datasets_reuse"),
    "createdAt": (
        "developers.type_share_of_new_repos_by_created_year",
        "developers.country_share_of_new_repos_by_created_year",
        "developers.country_share_of_new_repos_by_created_month",
        "adoption.ram.at_age", "model_sizes_by_created_year",
    ),
}  # fmt: skip


def _set(metrics: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = metrics
    for name in parents:
        node = node.get(name)
        if not isinstance(node, dict):
            return
    if last in node:
        node[last] = value


def mark_unavailable(metrics: dict, missing: list[str]) -> dict:
    """Replace, in one domain's metrics and its models/datasets sub-dicts, every value that
    needs a missing column by ``"not available"``, and say why under ``not_available``."""
    reasons = {}
    for column in missing:
        for key in NEEDS.get(column, ()):
            reasons[key] = f"the snapshot has no {column} column"
    if not reasons:
        return metrics
    for scope in (metrics, metrics.get("models"), metrics.get("datasets")):
        if isinstance(scope, dict):
            for key in reasons:
                _set(scope, key, NOT_AVAILABLE)
    metrics["not_available"] = reasons
    return metrics
