"""The hub scope, the models/datasets split, origins (country, developer type) and the author and
lineage rule selectors, on small snapshots computed by hand; then properties on random ones."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from growth.core.developers import (
    BASES,
    DEVELOPER_TYPES,
    Organization,
    classify_developers,
    directory_of,
)
from growth.core.domains import Rule, classify
from growth.core.reuse.compute import compute_reuse_metrics
from tests.growth.reuse_snapshots import DAY, repo, robot_dataset, robot_model, table


def origins_hub():
    """Qwen (CN, industry), google (US, industry), allenai (US, non-profit) are in the seed
    table; stanford-nlp-lab reads like a lab (academic, no country); alice is independent."""
    return [
        repo("Qwen/Qwen2.5-7B", downloads_all=1000, downloads=400),
        repo("alice/qwen-ft", downloads_all=300, downloads=100, parents=["Qwen/Qwen2.5-7B"]),
        repo("bob/qwen-ft-gguf", downloads_all=50, downloads=50, parents=["alice/qwen-ft"],
             relation="quantized"),
        repo("google/gemma-2b", downloads_all=500, downloads=200),
        repo("allenai/olmo", downloads_all=100, downloads=100),
        repo("stanford-nlp-lab/tiny", downloads_all=50, downloads=50),
        robot_model("alice/act-pick", downloads_all=0, downloads=0),
        robot_dataset("allenai/robot-data", downloads_all=0, downloads=100),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def hub_metrics():
    return compute_reuse_metrics(table(origins_hub()))["domains"]


def test_hub_is_every_repo_and_splits_by_type(hub_metrics):
    hub = hub_metrics["hub"]
    assert next(iter(hub_metrics)) == "hub"
    assert hub["repos"] == 8
    assert hub["models"]["repos"] == 7 and hub["datasets"]["repos"] == 1
    assert hub["downloads_total"] == 2000
    assert hub["models"]["downloads_total"] == 2000 and hub["datasets"]["downloads_total"] == 0
    # ceil(0.01% of 8) = 1 repo: Qwen's 1000 of 2000.
    assert hub["top0_01pct_share_downloads"] == pytest.approx(0.5)
    assert hub["models"]["top0_01pct_share_downloads"] == pytest.approx(0.5)
    assert hub["datasets"]["top0_01pct_share_downloads"] is None  # no download at all
    # Derivatives of the hub's models: alice/qwen-ft and bob/qwen-ft-gguf.
    assert hub["derivatives_total"] == 2 and hub["models"]["derivatives_total"] == 2
    assert hub["datasets"]["derivatives_total"] == 0
    assert hub["datasets"]["declaration_rate"] is None  # no model among datasets
    assert hub["models"]["dataset_reuse_ratio"] is None  # no dataset among models


def test_country_and_developer_type_shares_by_hand(hub_metrics):
    hub = hub_metrics["hub"]
    # 30-day downloads: Qwen 400 (CN); google 200 + allenai 100 + 100 (US); the rest unknown:
    # alice 100 + 0, bob 50, stanford-nlp-lab 50. Total 1000.
    assert hub["country_share_downloads_30d"] == pytest.approx(
        {"CN": 0.4, "US": 0.4, "unknown": 0.2}
    )
    # All-time downloads (2000): industry Qwen 1000 + google 500; non-profit allenai 100;
    # academic stanford-nlp-lab 50 (heuristic); independent alice 300 + bob 50.
    assert hub["developer_type_share_downloads"] == pytest.approx(
        {"industry": 0.75, "academic": 0.025, "non-profit": 0.05, "government": 0.0,
         "independent": 0.175}
    )  # fmt: skip
    developers = hub["developers"]
    assert developers["classified_by"] == {"table": 4, "author_type": 0, "heuristic": 1,
                                           "default": 3}  # fmt: skip
    assert developers["downloads_classified_by"]["heuristic"] == pytest.approx(50 / 2000)
    # New repos per created year (all created in 2025 here): 4 industry-or-nonprofit ...
    # All created 2025-06 (the fixture's date): CN Qwen; US google, allenai x2; unknown 4.
    assert developers["country_share_of_new_repos_by_created_month"] == {
        "2025-06": pytest.approx({"CN": 1 / 8, "US": 3 / 8, "unknown": 4 / 8})
    }
    assert developers["type_share_of_new_repos_by_created_year"]["2025"] == pytest.approx(
        {"industry": 2 / 8, "academic": 1 / 8, "non-profit": 2 / 8, "government": 0.0,
         "independent": 3 / 8}
    )  # fmt: skip


def test_robotics_domain_is_a_subset_with_its_own_origins(hub_metrics):
    robotics = hub_metrics["robotics"]
    assert robotics["repos"] == 2
    # 30-day: alice/act-pick 0, allenai/robot-data 100 (US)
    assert robotics["country_share_downloads_30d"] == pytest.approx({"US": 1.0, "unknown": 0.0})
    assert robotics["developer_type_share_downloads"] is None  # no all-time downloads at all


def test_the_table_wins_over_author_type_and_the_heuristic_and_is_recorded():
    rows = [
        repo("acme-ai/m", downloads_all=1),  # heuristic: industry
        repo("tiiuae/falcon", downloads_all=1),  # seed table: government, AE
        repo("jo/m", downloads_all=1),  # author_type says organization
        repo("Qwen/q", downloads_all=1),  # table, although the column says user
    ]
    t = table(rows).append_column("author_type", pa.array([None, None, "organization", "user"]))
    d = classify_developers(t)
    assert [DEVELOPER_TYPES[c] for c in d.type_code] == [
        "industry", "government", "industry", "industry"]  # fmt: skip
    assert [BASES[b] for b in d.basis] == ["heuristic", "table", "author_type", "table"]
    assert list(d.country) == ["unknown", "AE", "unknown", "CN"]
    # An admin-edited directory replaces the seed: Qwen made independent, with no country.
    edited = directory_of([Organization("qwen", "independent")])
    d = classify_developers(t, edited)
    assert DEVELOPER_TYPES[d.type_code[3]] == "independent" and d.country[3] == "unknown"
    assert BASES[d.basis[1]] == "default" and d.country[1] == "unknown"  # tiiuae: not listed


def test_organization_rows_are_checked():
    with pytest.raises(ValueError, match="developer type"):
        Organization("x", "startup")
    with pytest.raises(ValueError, match="ISO 3166"):
        Organization("x", "industry", "China")


# --- author and lineage rules -----------------------------------------------------------------


def lineage_hub(date=DAY):
    return [
        repo("Qwen/base", downloads_all=10, date=date),
        repo("alice/ft", parents=["Qwen/base"], date=date),
        repo("bob/ft-q", parents=["alice/ft"], relation="quantized", date=date),
        repo("carol/merge", tags=["base_model:merge:alice/ft"], date=date),
        repo("dave/other", date=date),
        repo("erin/llama-ft", parents=["meta-llama/Llama-3"], date=date),
        repo("Qwen/dataset", "dataset", date=date),
    ]


RULES = [
    Rule("qwen-family", "", "lineage", "Qwen"),
    Rule("alice-tree", "", "lineage", "alice/ft"),
    Rule("qwen-org", "", "author", "qwen"),
]


def test_lineage_and_author_rules_by_hand():
    masks = classify(table(lineage_hub()), RULES)
    ids = [r["id"] for r in lineage_hub()]

    def members(key):
        return [i for i, hit in zip(ids, masks[key], strict=True) if hit]

    # Qwen namespace models and everything descending from them (tags count too: a merge).
    assert members("qwen-family") == ["Qwen/base", "alice/ft", "bob/ft-q", "carol/merge"]
    assert members("alice-tree") == ["alice/ft", "bob/ft-q", "carol/merge"]
    # Author: every repo of the namespace, case-insensitively, datasets included.
    assert members("qwen-org") == ["Qwen/base", "Qwen/dataset"]


def test_lineage_is_resolved_per_snapshot_date():
    later = DAY + dt.timedelta(days=7)
    first = lineage_hub()
    second = [r for r in lineage_hub(later) if r["id"] != "alice/ft"]  # the link disappears
    masks = classify(table(first + second), RULES)
    family = masks["qwen-family"]
    assert int(family[: len(first)].sum()) == 4
    # Without alice/ft, bob/ft-q and carol/merge no longer reach Qwen on the later date.
    assert int(family[len(first) :].sum()) == 1


def test_rules_reject_the_reserved_hub_name_and_unknown_fields():
    with pytest.raises(ValueError, match="scope of every repo"):
        Rule("hub", "", "tag", "x")
    with pytest.raises(ValueError, match="not one of"):
        Rule("x", "", "country", "CN")


def test_lineage_domain_metrics_count_the_family():
    result = compute_reuse_metrics(table(lineage_hub()), rules=RULES)["domains"]
    family = result["qwen-family"]
    assert family["repos"] == 4 and family["models"]["repos"] == 4
    assert result["hub"]["repos"] == 7


# --- properties -----------------------------------------------------------------------------------

NAMES = ["Qwen", "google", "allenai", "acme-ai", "uni-lab", "alice", "bob", "tiiuae"]


@st.composite
def snapshots(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        author = draw(st.sampled_from(NAMES))
        kind = draw(st.sampled_from(["model", "dataset"]))
        tags = draw(st.lists(st.sampled_from(["robotics", "biology", "LeRobot", "x"]), max_size=2))
        parents = [] if i == 0 or kind == "dataset" else draw(
            st.lists(st.sampled_from([f"{NAMES[j % 8]}/r{j}" for j in range(i)]), max_size=1)
        )  # fmt: skip
        rows.append(
            repo(f"{author}/r{i}", kind, downloads_all=draw(st.integers(0, 10**6)),
                 downloads=draw(st.integers(0, 10**4)), tags=tags, parents=parents)
        )  # fmt: skip
    return table(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_shares_sum_to_one_and_hub_contains_every_domain(snapshot):
    domains = compute_reuse_metrics(snapshot)["domains"]
    hub = domains["hub"]
    assert hub["repos"] == snapshot.num_rows
    assert hub["models"]["repos"] + hub["datasets"]["repos"] == hub["repos"]
    for key, metrics in domains.items():
        assert metrics["repos"] <= hub["repos"], key
        assert metrics["downloads_total"] <= hub["downloads_total"], key
        for scope in (metrics, metrics["models"], metrics["datasets"]):
            for name in ("country_share_downloads_30d", "developer_type_share_downloads"):
                shares = scope[name]
                if shares is not None:
                    assert sum(shares.values()) == pytest.approx(1.0), (key, name)
                    assert all(0 <= v <= 1 for v in shares.values())
            top = scope["top0_01pct_share_downloads"]
            if top is not None:
                assert top <= (scope["top1pct_share_downloads"] or 0) + 1e-12
    assert set(hub["developer_type_share_downloads"] or DEVELOPER_TYPES) == set(DEVELOPER_TYPES)
    assert np.isclose(sum(hub["developers"]["classified_by"].values()), snapshot.num_rows)


def test_derivative_types_by_relation_year_and_developer_type():
    def made(year):
        return dt.datetime(year, 3, 1, tzinfo=dt.UTC)

    rows = [
        repo("Qwen/base", downloads_all=1000),
        repo("alice/ft", downloads_all=50, parents=["Qwen/base"], created=made(2024)),
        repo("bob/q", downloads_all=30, parents=["Qwen/base"], relation="quantized",
             created=made(2025)),
        repo("carol/lora", downloads_all=20, parents=["Qwen/base"], relation="adapter",
             created=made(2025)),
        repo("google/ft", downloads_all=7, parents=["Qwen/base"], created=made(2025)),
    ]  # fmt: skip
    d = compute_reuse_metrics(table(rows))["domains"]["hub"]["derivatives"]
    assert d["downloads_by_relation"] == {
        "finetune": 57, "adapter": 20, "quantized": 30, "merge": 0, "unspecified": 0}  # fmt: skip
    assert d["relation_share_by_created_year"]["2024"]["finetune"] == 1.0
    assert d["relation_share_by_created_year"]["2025"] == pytest.approx(
        {"finetune": 1 / 3, "adapter": 1 / 3, "quantized": 1 / 3, "merge": 0.0,
         "unspecified": 0.0})  # fmt: skip
    by_type = d["relation_share_by_developer_type"]
    assert by_type["industry"]["finetune"] == 1.0  # google/ft
    assert by_type["independent"] == pytest.approx(
        {"finetune": 1 / 3, "adapter": 1 / 3, "quantized": 1 / 3, "merge": 0.0,
         "unspecified": 0.0})  # fmt: skip
