"""The headline figures of "State of Open Source on Hugging Face: Spring 2026" (Ghosh, Kaffee,
Jernite, Solaiman; HF blog, 2026-03-17), each beside the same figure computed from one of our
snapshots, with the definition we use (the report publishes none; see
``shared/reference/hub-metrics.md``).

Django-free: ``headline_rows(reuse, growth)`` takes the stored reuse metrics of one snapshot
(``{domain: metrics}``, ``hub`` included) and a few growth series, and returns plain rows.
A figure the snapshot cannot give (a missing column, a single snapshot, no lineage rule) says
why instead of showing a number.
"""

from dataclasses import dataclass

from growth.core.reuse.availability import NOT_AVAILABLE


@dataclass(frozen=True)
class Headline:
    key: str
    claim: str  # what the report says
    report_value: str
    definition: str  # how the platform computes its figure
    source: str


HEADLINES = (
    Headline("top_0_01pct", "The top 0.01% of models hold 49.6% of downloads", "49.6%",
             "hub.models.top0_01pct_share_downloads: share of all-time downloads held by the "
             "ceil(0.01% x models) most downloaded models", "HF data; AI World graph"),
    Headline("under_200", "About half of models have under 200 downloads", "≈50%",
             "hub.models.share_under_200_downloads: models with fewer than 200 all-time "
             "downloads / models", "HF data"),
    Headline("china_share", "Chinese models took 41% of monthly downloads and passed the US",
             "CN 41% (plurality)",
             "hub.country_share_downloads_30d: share of the 30-day downloads by the author's "
             "country (organization directory; unattributed shown)", "HF data and graph"),
    Headline("independent_share", "Independent developers went from 17% (2022) to 39% (2025) of "
             "downloads; industry fell from ~70% to 37%", "17% -> 39%; industry 70% -> 37%",
             "hub.authors.independent_share_by_year (downloads between snapshots in each "
             "calendar year, needs 2+ snapshots), else hub.developer_type_share_downloads "
             "(all-time downloads by developer type)", "Longpre et al., arXiv 2512.03073"),
    Headline("qwen_derivatives", "Qwen has over 113,000 derivative models", "113,000+",
             "derivatives.descendants_total of the domain whose rule is lineage: Qwen (add the "
             "rule in the admin: domain 'qwen', field lineage, value Qwen)", "HF data and graph"),
    Headline("model_size", "Mean downloaded model size rose from 827M (2023) to 20.8B (2025) "
             "while the median went from 326M to 406M", "mean 827M -> 20.8B; median 326M -> 406M",
             "hub.model_sizes_by_created_year: downloads-weighted mean and median parameters of "
             "the models created each year (own safetensors/gguf metadata, else own name)",
             "Longpre et al."),
    Headline("interest_weeks", "Interest in a model lasts about 6 weeks", "≈6 weeks (42 days)",
             "hub.adoption.repo_half_life_days.median: days from a repo's peak of daily "
             "downloads to the first snapshot at half of it (needs daily/weekly snapshots)",
             "Choksi et al., FAccT '25"),
    Headline("robotics_datasets", "Robotics datasets grew from 1,145 (2024) to 26,991 (2025), "
             "from rank 44 to 1 among dataset categories", "1,145 -> 26,991; rank 44 -> 1",
             "robotics datasets created in each year (createdAt), and the rank of the robotics "
             "task category by datasets created that year", "HF data; AI World graph"),
)  # fmt: skip


def _pct(value) -> str:
    return f"{100 * value:.1f}%"


def _size(value) -> str:
    if value is None:
        return "—"
    return f"{value / 1e9:.1f}B" if value >= 1e9 else f"{value / 1e6:.0f}M"


def _get(metrics: dict, *path):
    node = metrics
    for name in path:
        if not isinstance(node, dict):
            return node if node == NOT_AVAILABLE else None
        node = node.get(name)
    return node


def _computed(key: str, reuse: dict, growth: dict) -> str:
    hub = reuse.get("hub") or {}
    if key in ("top_0_01pct", "under_200"):
        name = "top0_01pct_share_downloads" if key == "top_0_01pct" else "share_under_200_downloads"
        value = _get(hub, "models", name)
        return value if isinstance(value, str) else ("—" if value is None else _pct(value))
    if key == "china_share":
        shares = hub.get("country_share_downloads_30d")
        if not isinstance(shares, dict):
            return shares or "—"
        ranked = sorted(shares.items(), key=lambda kv: -kv[1])
        top = ", ".join(f"{c} {_pct(v)}" for c, v in ranked[:3])
        return (
            f"CN {_pct(shares.get('CN', 0.0))}, US {_pct(shares.get('US', 0.0))} (largest: {top})"
        )
    if key == "independent_share":
        by_year = _get(hub, "authors", "independent_share_by_year")
        if isinstance(by_year, dict) and by_year:
            return "; ".join(f"{y}: {_pct(v)}" for y, v in sorted(by_year.items()) if v is not None)
        types = hub.get("developer_type_share_downloads")
        if isinstance(types, dict):
            return (
                f"independent {_pct(types['independent'])}, industry {_pct(types['industry'])} "
                "(all-time downloads; one snapshot has no per-year split)"
            )
        return types or "—"
    if key == "qwen_derivatives":
        family = growth.get("qwen_domain")
        if not family or family not in reuse:
            return "no lineage rule for Qwen yet"
        value = _get(reuse[family], "derivatives", "descendants_total")
        return value if isinstance(value, str) else f"{value:,}"
    if key == "model_size":
        sizes = hub.get("model_sizes_by_created_year")
        if not isinstance(sizes, dict):
            return sizes or "—"
        parts = [
            f"{year}: mean {_size(s['downloads_weighted_mean'])}, median "
            f"{_size(s['downloads_weighted_median'])}"
            for year, s in sorted(sizes.items())
            if year in ("2023", "2024", "2025", "2026")
        ]
        return "; ".join(parts) or "no model with a known size"
    if key == "interest_weeks":
        median = _get(hub, "adoption", "repo_half_life_days", "median")
        if isinstance(median, str):
            return median
        return "not measured yet (needs several snapshots)" if median is None else (
            f"{median:g} days ({median / 7:.1f} weeks), median repo half-life"
        )  # fmt: skip
    if key == "robotics_datasets":
        created = growth.get("robotics_datasets_by_year") or {}
        ranks = growth.get("robotics_rank_by_year") or {}
        parts = [
            f"{year}: {created[year]:,}" + (f" (rank {ranks[year]})" if year in ranks else "")
            for year in ("2024", "2025", "2026")
            if year in created
        ]
        return "; ".join(parts) or "—"
    raise KeyError(key)


def headline_rows(reuse: dict, growth: dict | None = None) -> list[dict]:
    """One row per headline: claim, report figure, platform figure, definition, source."""
    growth = growth or {}
    return [
        {
            "key": h.key,
            "claim": h.claim,
            "report": h.report_value,
            "platform": _computed(h.key, reuse, growth),
            "definition": h.definition,
            "source": h.source,
        }
        for h in HEADLINES
    ]
