"""The release heatmap's cells, computed by hand on a small snapshot."""

import datetime as dt

import pyarrow as pa

from growth.core.aggregate import HEATMAP_ORGANIZATIONS, aggregate
from growth.core.developers import Organization
from growth.core.domains import DEFAULT_RULES


def rows(specs):
    """(repo_type, author, created 'YYYY-MM-DD', tags) -> a snapshot-format table."""
    return pa.table(
        {
            "repo_type": [s[0] for s in specs],
            "id": [f"{s[1]}/repo-{i}" for i, s in enumerate(specs)],
            "author": [s[1] for s in specs],
            "createdAt": pa.array(
                [dt.datetime.fromisoformat(s[2]).replace(tzinfo=dt.UTC) for s in specs],
                pa.timestamp("ms", tz="UTC"),
            ),
            "downloads": [1] * len(specs),
            "downloadsAllTime": [1] * len(specs),
            "likes": [0] * len(specs),
            "tags": pa.array([s[3] for s in specs], pa.list_(pa.string())),
            "pipeline_tag": pa.nulls(len(specs), pa.string()),
            "library_name": pa.nulls(len(specs), pa.string()),
        }
    )


def cells(result, domain):
    return sorted(
        (c["author"], c["month"].isoformat(), c["models"], c["datasets"])
        for c in result.releases
        if c["domain"] == domain
    )


def test_cells_count_models_and_datasets_per_organization_and_month():
    table = rows(
        [
            ("model", "Rostlab", "2025-01-05", ["protein"]),
            ("model", "Rostlab", "2025-01-20", ["esm"]),
            ("dataset", "Rostlab", "2025-01-31", ["protein"]),
            ("dataset", "Rostlab", "2025-03-01", ["protein"]),
            ("model", "ecmwf", "2025-03-02", ["weather-forecasting"]),
            ("model", "someone", "2025-03-02", ["protein"]),  # not an organization
            ("dataset", "Rostlab", "2025-02-01", ["task_categories:question-answering", "biology"]),
            ("model", "Qwen", "2025-01-01", ["text-generation"]),  # not science
        ]
    )
    result = aggregate(
        table,
        list(DEFAULT_RULES),
        organizations=[Organization(n, "academic") for n in ("Rostlab", "ecmwf", "Qwen")],
    )
    assert cells(result, "science") == [
        ("Rostlab", "2025-01-01", 2, 1),
        ("Rostlab", "2025-03-01", 0, 1),
        ("ecmwf", "2025-03-01", 1, 0),
    ]
    assert cells(result, "science/climate") == [("ecmwf", "2025-03-01", 1, 0)]
    assert cells(result, "science/protein-structure") == [
        ("Rostlab", "2025-01-01", 2, 1),
        ("Rostlab", "2025-03-01", 0, 1),
    ]


def test_only_the_top_organizations_by_releases_are_kept():
    specs = []
    for org in range(HEATMAP_ORGANIZATIONS + 5):
        for _ in range(org + 1):  # org k releases k + 1 repos
            specs.append(("dataset", f"org{org:02d}", "2025-06-10", ["genomics"]))
    table = rows(specs)
    orgs = [Organization(f"org{k:02d}", "industry") for k in range(HEATMAP_ORGANIZATIONS + 5)]
    result = aggregate(table, list(DEFAULT_RULES), organizations=orgs)
    kept = {c["author"] for c in result.releases if c["domain"] == "science/biology"}
    assert len(kept) == HEATMAP_ORGANIZATIONS
    assert "org00" not in kept and f"org{HEATMAP_ORGANIZATIONS + 4:02d}" in kept
