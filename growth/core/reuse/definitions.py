"""The exact definition of every metric, shown beside its value on the pages and in the CLI help.

One place, so that the page, the command line and ``growth/REUSE.md`` cannot drift apart.
Notation: D is the set of the domain's repos in the snapshot (latest ``snapshot_date``), x_i the
``downloadsAllTime`` of repo i, X = sum x_i, n = |D|. "null" means the denominator is zero.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str  # path in the domain's metrics dict, dots for nesting
    label: str
    definition: str
    kind: str = "number"  # number | share (a fraction) | index (Gini, HHI) | count | days


CORE = (
    Metric("repos", "Repos", "Repos of the domain in the snapshot (models, datasets and any other repo type the domain rules match).", "count"),
    Metric("downloads_total", "Downloads (all time)", "X = sum of downloadsAllTime over the domain's repos (null counts as 0).", "count"),
    Metric("gini_downloads", "Gini of downloads", "Gini coefficient of downloadsAllTime over the domain's repos, zeros included: sum_i sum_j |x_i - x_j| / (2 n^2 mean). 0 = all equal; null when X = 0 or n = 0.", "index"),
    Metric("top1pct_share_downloads", "Top 1% share", "Share of X held by the ceil(1% of n) repos with the most downloads. Null when X = 0.", "share"),
    Metric("share_under_200_downloads", "Share under 200 downloads", "Fraction of the domain's repos with downloadsAllTime < 200. Null when n = 0.", "share"),
    Metric("hhi_authors", "HHI of authors", "Herfindahl-Hirschman index: sum over authors of (author's downloads / X)^2, in [1/authors, 1]. Null when X = 0.", "index"),
    Metric("derivatives_total", "Derivative models", "Models anywhere in the snapshot whose baseModels names a model of the domain as a parent (direct children, each counted once).", "count"),
    Metric("dataset_reuse_ratio", "Dataset reuse ratio", "Fraction of the domain's datasets that at least one model of the snapshot cites with a dataset:<id> tag. Null when the domain has no dataset.", "share"),
    Metric("declaration_rate", "Declaration rate", "Fraction of the domain's models that cite at least one dataset (a dataset:<id> tag, whether or not that dataset is in the snapshot). Null when the domain has no model. Read it beside the reuse ratio: undeclared training data biases reuse down.", "share"),
)  # fmt: skip

DETAIL = (
    Metric("concentration.downloads.top0_01pct_share", "Top 0.01% share (downloads)", "Share of X held by the ceil(0.01% of n) most downloaded repos (the report's 'top 200 models = 0.01%' measure).", "share"),
    Metric("concentration.downloads.gini_positive", "Gini of downloads, repos with > 0", "Gini over the repos with at least one download; the zeros dominate the plain Gini.", "index"),
    Metric("concentration.downloads.effective_authors", "Effective number of authors", "1 / HHI of authors: how many equal-sized authors would give the same concentration.", "number"),
    Metric("concentration.likes.top1pct_share", "Top 1% share (likes)", "Share of all likes held by the ceil(1% of n) most liked repos.", "share"),
    Metric("concentration.likes.gini", "Gini of likes", "Gini coefficient of likes over the domain's repos, zeros included.", "index"),
    Metric("concentration.likes.hhi_authors", "HHI of authors (likes)", "Sum over authors of the square of their share of all likes.", "index"),
    Metric("derivatives.direct", "Direct derivatives (all declarations)", "Models with a parent in the domain, declared in baseModels or in a base_model:<relation>:<id> tag.", "count"),
    Metric("derivatives.descendants_total", "Transitive descendants", "Models reachable from a domain model by one or more child->parent edges (children, grandchildren...), each counted once; cycle-safe.", "count"),
    Metric("derivatives.max_depth", "Depth", "Largest generation among the descendants; a node's generation is its shortest distance in edges from the nearest domain model.", "count"),
    Metric("derivatives.fan_out.mean_children", "Mean fan-out", "Direct children per domain model that has at least one child.", "number"),
    Metric("derivatives.family_download_multiplier", "Family download multiplier", "(downloads of the domain's models + downloads of their descendants outside them) / downloads of the domain's models. Null when the domain's models have 0 downloads.", "number"),
    Metric("derivatives.external_share", "Derivatives by other authors", "Share of direct derivatives whose author differs from the author of every domain parent they name.", "share"),
    Metric("derivatives.derivative_rate", "Derivative rate", "Share of the domain's models that themselves have a parent model in the snapshot.", "share"),
    Metric("datasets_reuse.external_reuse_ratio", "External dataset reuse", "Fraction of the domain's datasets cited by at least one model whose author differs from the dataset's author.", "share"),
    Metric("datasets_reuse.citations_per_dataset.mean", "Citations per dataset", "Mean number of distinct citing models per domain dataset (zeros included).", "number"),
    Metric("authors.independent_share_downloads", "Independent authors' share", "Share of X going to repos of independent authors (see REUSE.md for how an author is classified).", "share"),
    Metric("adoption.repo_half_life_days.median", "Half-life of interest (median)", "Median, over the domain's repos whose daily downloads fell to half their peak within the history, of the days from the peak to that fall.", "days"),
    Metric("adoption.half_life_days", "Half-life of the domain's downloads", "Days from the peak of the domain's summed daily downloads to the first later snapshot where they are at most half the peak (null while not reached).", "days"),
    Metric("adoption.ram.at_age.30.median_ram", "Median RAM at 30 days (age-matched)", "ATOM's definition: D_m(30) / median D_j(30) of the top 10 models of m's size bucket, where D(30) is downloadsAllTime on the first snapshot 30 to 37 days after createdAt; median over the domain's models with such a snapshot.", "number"),
    Metric("adoption.ram.models_at_or_above_1", "Models with RAM >= 1", "Models whose Relative Adoption Metric to date (downloadsAllTime / median downloadsAllTime of the top 10 models of their size bucket, over the whole snapshot) is at least 1.", "count"),
)  # fmt: skip

ALL = CORE + DETAIL
BY_KEY = {metric.key: metric for metric in ALL}


def lookup(metrics: dict, key: str):
    """The value at a dotted key of a domain's metrics dict (None when absent)."""
    value = metrics
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
