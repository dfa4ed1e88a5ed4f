"""Random small snapshots: the vectorized metrics equal a naive pure-Python reading of each
definition, and the invariants hold (hypothesis)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from growth.core.reuse.compute import compute_reuse_metrics
from tests.growth.reuse_snapshots import repo, table

AUTHORS = ["lerobot", "alice", "bob", "acme-ai", "dana"]


@st.composite
def snapshots(draw):
    n = draw(st.integers(min_value=1, max_value=18))
    rows = []
    for i in range(n):
        kind = draw(st.sampled_from(["model", "model", "dataset"]))
        author = draw(st.sampled_from(AUTHORS))
        repo_id = f"{author}/{kind[0]}{i}"
        tags = []
        if draw(st.booleans()):
            tags.append("task_categories:robotics" if kind == "dataset" else "robotics")
        parents = []
        if kind == "model" and rows:
            earlier = [r["id"] for r in rows if r["repo_type"] == "model"]
            if earlier:
                parents = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
        if kind == "model":
            datasets = [r["id"] for r in rows if r["repo_type"] == "dataset"] + ["ghost/d"]
            tags += [f"dataset:{d}" for d in draw(st.lists(st.sampled_from(datasets), max_size=2))]
        rows.append(
            repo(
                repo_id, kind, author=author, tags=tags, parents=parents,
                downloads_all=draw(st.one_of(st.just(0), st.integers(0, 10**6))),
                likes=draw(st.integers(0, 50)),
            )
        )  # fmt: skip
    return rows


def naive_core(rows):
    """Each core metric straight from its definition in growth/REUSE.md, one repo at a time."""
    domain = [r for r in rows if any("robotics" in t for t in r["tags"])]
    x = [r["downloadsAllTime"] for r in domain]
    n, total = len(x), sum(x)
    models = [r for r in domain if r["repo_type"] == "model"]
    datasets = [r for r in domain if r["repo_type"] == "dataset"]
    model_ids = {r["id"] for r in models}
    cited = {
        t[len("dataset:") :]
        for r in rows
        if r["repo_type"] == "model"
        for t in r["tags"]
        if t.startswith("dataset:")
    }
    by_author = {}
    for r in domain:
        by_author[r["author"]] = by_author.get(r["author"], 0) + r["downloadsAllTime"]
    mean = total / n if n else 0
    return {
        "repos": n,
        "downloads_total": total,
        "gini_downloads": sum(abs(a - b) for a in x for b in x) / (2 * n * n * mean)
        if total
        else None,
        "top1pct_share_downloads": sum(sorted(x, reverse=True)[: math.ceil(n / 100)]) / total
        if total
        else None,
        "share_under_200_downloads": sum(v < 200 for v in x) / n if n else None,
        "hhi_authors": sum((v / total) ** 2 for v in by_author.values()) if total else None,
        "derivatives_total": sum(
            1
            for r in rows
            if r["repo_type"] == "model"
            and r["baseModels"]
            and any(p["id"] in model_ids and p["id"] != r["id"] for p in r["baseModels"]["models"])
        ),
        "dataset_reuse_ratio": sum(d["id"] in cited for d in datasets) / len(datasets)
        if datasets
        else None,
        "declaration_rate": sum(any(t.startswith("dataset:") for t in m["tags"]) for m in models)
        / len(models)
        if models
        else None,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_vectorized_core_metrics_equal_the_naive_definitions(rows):
    ours = compute_reuse_metrics(table(rows), domains=["robotics"])["domains"]["robotics"]
    for key, expected in naive_core(rows).items():
        if expected is None:
            assert ours[key] is None, key
        else:
            assert ours[key] == pytest.approx(expected, rel=1e-9, abs=1e-12), key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_invariants(rows):
    m = compute_reuse_metrics(table(rows), domains=["robotics"])["domains"]["robotics"]
    if m["gini_downloads"] is not None:
        assert 0 <= m["gini_downloads"] <= 1
        authors = m["concentration"]["downloads"]["authors"]
        assert 1 / authors - 1e-12 <= m["hhi_authors"] <= 1 + 1e-12
        shares = m["authors"]
        total = shares["independent_share_downloads"] + shares["organization_share_downloads"]
        assert total == pytest.approx(1.0)
    d = m["derivatives"]
    assert d["total"] <= d["direct"] <= d["descendants_total"]
    assert sum(d["by_generation"].values()) == d["descendants_total"]
    assert d["external"] <= d["direct"]
    r = m["datasets_reuse"]
    assert r["externally_cited"] <= r["cited"] <= r["datasets"]
