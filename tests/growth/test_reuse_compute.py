"""Every per-domain metric on a small snapshot whose values are computed by hand in comments."""

import datetime as dt

import pyarrow as pa
import pytest

from growth.core.domains import Rule
from growth.core.reuse.compute import UnknownDomain, compute_reuse_metrics
from growth.core.snapshot import SnapshotError
from tests.growth.reuse_snapshots import DAY, repo, robot_dataset, robot_model, table


def mini_hub():
    """Robotics: models lerobot/base, alice/ft; datasets alice/pick, lerobot/aloha, erin/unused."""
    return [
        robot_model("lerobot/base", downloads_all=1000, likes=10),
        robot_model("alice/ft", downloads_all=100, likes=5, parents=["lerobot/base"],
                    tags=["dataset:alice/pick"]),
        repo("alice/ft-q", downloads_all=0, parents=["alice/ft"], relation="quantized"),
        repo("carol/adapter", downloads_all=50, parents=["lerobot/base"], relation="adapter",
             tags=["dataset:lerobot/aloha"]),
        repo("dave/merge", downloads_all=10, tags=["base_model:merge:lerobot/base"]),
        robot_dataset("alice/pick", downloads_all=300, likes=1),
        robot_dataset("lerobot/aloha", downloads_all=150),
        robot_dataset("erin/unused", downloads_all=0),
        repo("x/text-model", downloads_all=5000, tags=["dataset:alice/pick", "dataset:nowhere/else"]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def robotics():
    return compute_reuse_metrics(table(mini_hub()), domains=["robotics"])["domains"]["robotics"]


def test_core_metrics_by_hand(robotics):
    # Domain repos: lerobot/base 1000, alice/ft 100, alice/pick 300, lerobot/aloha 150, erin/unused 0
    assert robotics["repos"] == 5
    assert robotics["models"]["repos"] == 2
    assert robotics["datasets"]["repos"] == 3
    assert robotics["downloads_total"] == 1550
    assert robotics["gini_downloads"] == pytest.approx(88 / 155)
    assert robotics["top1pct_share_downloads"] == pytest.approx(1000 / 1550)  # ceil(5%) = 1 repo
    assert robotics["share_under_200_downloads"] == pytest.approx(3 / 5)
    # authors: lerobot 1150, alice 400, erin 0
    assert robotics["hhi_authors"] == pytest.approx((1150**2 + 400**2) / 1550**2)
    # baseModels children of lerobot/base or alice/ft: alice/ft, alice/ft-q, carol/adapter
    assert robotics["derivatives_total"] == 3
    # alice/pick (cited twice) and lerobot/aloha are cited; erin/unused is not
    assert robotics["dataset_reuse_ratio"] == pytest.approx(2 / 3)
    # of lerobot/base and alice/ft, only alice/ft declares a dataset
    assert robotics["declaration_rate"] == pytest.approx(1 / 2)


def test_derivatives_by_hand(robotics):
    d = robotics["derivatives"]
    assert d["direct"] == 4  # + dave/merge, declared only in a tag
    assert d["tag_only"] == 1
    assert d["by_relation"] == {
        "finetune": 1, "adapter": 1, "quantized": 1, "merge": 1, "unspecified": 0,
    }  # fmt: skip
    assert d["descendants_total"] == 4
    assert d["max_depth"] == 1  # alice/ft-q is one edge from alice/ft, itself a domain model
    # alice/ft-q is by alice like its parent alice/ft: 3 of 4 are by other authors
    assert d["external"] == 3
    assert d["external_share"] == pytest.approx(3 / 4)
    # (1000 + 100 + 0 + 50 + 10) / (1000 + 100)
    assert d["family_downloads"] == 1160
    assert d["family_download_multiplier"] == pytest.approx(1160 / 1100)
    assert d["derivative_rate"] == pytest.approx(1 / 2)
    assert d["fan_out"]["parents_with_children"] == 2
    assert d["fan_out"]["mean_children"] == pytest.approx(2.0)  # 3 and 1
    base = d["top_families"][0]
    assert base["id"] == "lerobot/base"
    assert (base["children"], base["descendants"], base["max_depth"]) == (3, 4, 2)
    assert base["family_download_multiplier"] == pytest.approx(1160 / 1000)


def test_dataset_reuse_by_hand(robotics):
    r = robotics["datasets_reuse"]
    assert (r["datasets"], r["cited"], r["externally_cited"]) == (3, 2, 2)
    assert r["external_reuse_ratio"] == pytest.approx(2 / 3)
    assert r["citing_models"] == 3  # alice/ft, carol/adapter, x/text-model
    assert r["citations"] == 3
    assert r["citations_per_dataset"]["mean"] == pytest.approx(1.0)  # (2 + 1 + 0) / 3
    top = r["top_cited"][0]
    assert top == {
        "id": "alice/pick", "citing_models": 2, "external_citing_models": 1,
        "citing_downloads": 5100,
    }  # fmt: skip


def test_concentration_of_likes_and_authors(robotics):
    likes = robotics["concentration"]["likes"]
    assert likes["total"] == 16
    assert likes["top1pct_share"] == pytest.approx(10 / 16)
    a = robotics["authors"]
    # lerobot is a known organization; alice and erin are independent: (100 + 300 + 0) / 1550
    assert a["independent_share_downloads"] == pytest.approx(400 / 1550)
    assert a["organization_share_downloads"] == pytest.approx(1150 / 1550)
    assert a["independent_share_by_created_year"] == {"2025": pytest.approx(400 / 1550)}


def test_author_type_column_overrides_the_heuristic():
    # acme-ai reads like a company (heuristic) but declares itself a user; jo declares an org.
    rows = [robot_model("acme-ai/base", downloads_all=10), robot_model("jo/x", downloads_all=30)]
    t = table(rows).append_column("author_type", pa.array(["user", "organization"]))
    a = compute_reuse_metrics(t, domains=["robotics"])["domains"]["robotics"]["authors"]
    assert a["independent_share_downloads"] == pytest.approx(10 / 40)


def test_empty_domain_and_zero_downloads_are_null_not_zero():
    result = compute_reuse_metrics(
        table([robot_model("a/m"), robot_dataset("a/d")]), domains=["robotics", "science"]
    )["domains"]
    science = result["science"]
    assert science["repos"] == 0 and science["downloads_total"] == 0
    for key in ("gini_downloads", "top1pct_share_downloads", "share_under_200_downloads",
                "hhi_authors", "dataset_reuse_ratio", "declaration_rate"):  # fmt: skip
        assert science[key] is None, key
    assert science["derivatives_total"] == 0
    robotics = result["robotics"]  # two repos, no download at all
    assert robotics["gini_downloads"] is None
    assert robotics["top1pct_share_downloads"] is None
    assert robotics["hhi_authors"] is None
    assert robotics["share_under_200_downloads"] == 1.0


def test_latest_date_for_snapshot_metrics_and_history_for_adoption():
    d0, d1, d3, d10 = (DAY + dt.timedelta(days=k) for k in (0, 1, 3, 10))
    big = 10**9  # 30-day count high enough not to cap
    rows = [
        robot_model("a/fading", downloads_all=0, downloads=big, date=d0),
        robot_model("a/fading", downloads_all=100, downloads=big, date=d1),  # 100 / day
        robot_model("a/fading", downloads_all=500, downloads=big, date=d3),  # 200 / day: peak
        robot_model("a/fading", downloads_all=600, downloads=big, date=d10),  # 100/7 <= 100
        robot_model("b/steady", downloads_all=0, downloads=big, date=d0),
        robot_model("b/steady", downloads_all=10, downloads=big, date=d1),  # 10 / day
        robot_model("b/steady", downloads_all=30, downloads=big, date=d3),  # 10 / day
        robot_model("b/steady", downloads_all=100, downloads=big, date=d10),  # 10 / day
        robot_model("c/new", downloads_all=7, date=d10),  # appears on the last day only
        *(robot_model("d/idle", date=d) for d in (d0, d1, d3, d10)),  # never downloaded
    ]
    result = compute_reuse_metrics(table(rows), domains=["robotics"])
    m = result["domains"]["robotics"]
    assert result["snapshot_date"] == d10.isoformat()
    assert m["repos"] == 4 and m["downloads_total"] == 707
    adoption = m["adoption"]
    assert adoption["snapshots"] == 4
    assert [p["daily_downloads"] for p in adoption["daily_downloads"]] == pytest.approx(
        [110, 210, 100 / 7 + 10]
    )
    assert adoption["peak_date"] == d3.isoformat()
    assert adoption["half_life_days"] == 7  # 210 -> 24.3 a day, 7 days later
    # a/fading: peak on d3, at most half on d10 (7 days); b/steady peaks on d1 and never halves;
    # d/idle has no peak at all and is neither measured nor censored
    assert adoption["repo_half_life_days"] == {
        "median": 7.0, "mean": 7.0, "measured": 1, "censored": 1,
    }  # fmt: skip
    over_time = m["concentration"]["over_time"]
    assert [p["date"] for p in over_time] == [d.isoformat() for d in (d0, d1, d3, d10)]
    assert [p["downloads"]["total"] for p in over_time] == [0, 110, 530, 707]
    # independent downloads by year of the snapshot: all of it in 2026, all independent
    assert m["authors"]["independent_share_by_year"] == {"2026": 1.0}

    earlier = compute_reuse_metrics(table(rows), domains=["robotics"], as_of=d3)
    assert earlier["snapshot_date"] == d3.isoformat()
    assert earlier["domains"]["robotics"]["downloads_total"] == 530


def test_interval_downloads_are_clipped_and_capped_by_the_30_day_count():
    d0, d2 = DAY, DAY + dt.timedelta(days=2)
    rows = [
        robot_model("a/recount", downloads_all=1000, downloads=5, date=d0),
        robot_model("a/recount", downloads_all=5000, downloads=40, date=d2),  # capped at 40
        robot_model("b/shrinks", downloads_all=900, date=d0),
        robot_model("b/shrinks", downloads_all=800, date=d2),  # a decrease counts as 0
    ]
    m = compute_reuse_metrics(table(rows), domains=["robotics"])["domains"]["robotics"]
    assert m["adoption"]["daily_downloads"] == [{"date": d2.isoformat(), "daily_downloads": 20.0}]


def test_relative_adoption_metric_within_size_buckets():
    # The 1-9B bucket over the whole snapshot: 11 "3B" models with 100..1100 downloads and the
    # robotics "7B" model with 1300.
    rows = [repo(f"llm/model-{i}-3B", downloads_all=100 * i) for i in range(1, 12)]
    rows.append(robot_model("bot/policy-7B", downloads_all=1300))
    rows.append(robot_model("bot/policy-small", downloads_all=5))  # no size: unknown
    m = compute_reuse_metrics(table(rows), domains=["robotics"])["domains"]["robotics"]
    ram = m["adoption"]["ram"]
    # top 10 of 1-9B: 300..1100 and 1300 -> median (700 + 800) / 2 = 750
    assert ram["by_bucket"]["1-9B"]["reference_downloads"] == 750
    assert ram["top"] == [
        {"id": "bot/policy-7B", "ram": pytest.approx(1300 / 750), "bucket": "1-9B"}
    ]
    assert ram["models_at_or_above_1"] == 1
    assert ram["by_bucket"]["unknown"]["models"] == 1


def test_custom_rules_and_unknown_domain():
    rules = [Rule("ocean", "", "tag", "ocean")]
    rows = [repo("a/wave", "dataset", tags=["ocean"], downloads_all=3)]
    result = compute_reuse_metrics(table(rows), rules=rules)
    assert list(result["domains"]) == ["hub", "ocean"]
    with pytest.raises(UnknownDomain, match="known domains: hub, ocean"):
        compute_reuse_metrics(table(rows), rules=rules, domains=["robotics"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[0].update(downloadsAllTime=-1), "negative downloadsAllTime"),
        (lambda rows: rows.append(dict(rows[0])), "more than once on the same snapshot_date"),
        (lambda rows: rows.clear(), "holds no rows"),
    ],
)
def test_bad_snapshots_are_refused_with_a_reason(change, message):
    rows = [robot_model("a/m", downloads_all=3)]
    change(rows)
    with pytest.raises(SnapshotError, match=message):
        compute_reuse_metrics(table(rows))


def test_wrong_column_type_is_refused():
    t = table([robot_model("a/m", downloads_all=3)])
    t = t.set_column(t.schema.get_field_index("tags"), "tags", pa.array(["not-a-list"]))
    with pytest.raises(SnapshotError, match="column 'tags' has type string"):
        compute_reuse_metrics(t)


def test_finer_timestamps_and_narrower_integers_are_accepted():
    rows = [robot_model("a/m", downloads_all=3)]
    t = table(rows)
    t = t.set_column(
        t.schema.get_field_index("createdAt"),
        "createdAt",
        pa.array([1_700_000_000_123_456], pa.timestamp("us", tz="UTC")),
    )
    t = t.set_column(
        t.schema.get_field_index("snapshot_date"),
        "snapshot_date",
        pa.array([1_772_323_200_000], pa.timestamp("ms")),  # 2026-03-01 as a timestamp
    )
    t = t.set_column(t.schema.get_field_index("likes"), "likes", pa.array([2], pa.int32()))
    result = compute_reuse_metrics(t, domains=["robotics"])
    assert result["snapshot_date"] == "2026-03-01"
    assert result["domains"]["robotics"]["concentration"]["likes"]["total"] == 2


def test_fractional_counts_are_refused():
    t = table([robot_model("a/m", downloads_all=3)])
    t = t.set_column(
        t.schema.get_field_index("downloadsAllTime"), "downloadsAllTime", pa.array([2.5])
    )
    with pytest.raises(SnapshotError, match="column 'downloadsAllTime' has type double"):
        compute_reuse_metrics(t)


@pytest.mark.parametrize(
    "rows",
    [
        [robot_dataset("a/d"), robot_dataset("a/d")],  # a dataset twice on the latest date
        [  # a model twice on an earlier date of the history
            robot_model("a/m", date=DAY),
            robot_model("a/m", date=DAY),
            robot_model("a/m", date=DAY + dt.timedelta(days=1)),
        ],
    ],
    ids=["dataset", "earlier-date"],
)
def test_repos_listed_twice_on_a_date_are_refused(rows):
    with pytest.raises(SnapshotError, match=r"more than once on the same snapshot_date.*'a/"):
        compute_reuse_metrics(table(rows))


def test_a_model_and_a_dataset_may_share_an_id():
    rows = [robot_model("a/x", downloads_all=1), robot_dataset("a/x", downloads_all=2)]
    assert compute_reuse_metrics(table(rows))["domains"]["robotics"]["repos"] == 2


def test_age_matched_ram_reads_downloads_t_days_after_creation():
    def created(days_before):
        return dt.datetime.combine(DAY - dt.timedelta(days=days_before), dt.time(), tzinfo=dt.UTC)

    rows = [
        robot_model("bot/a-3B", downloads_all=100, created=created(7)),  # age 7 today
        robot_model("bot/b-3B", downloads_all=300, created=created(10)),  # 3 days past age 7
        robot_model("llm/c-3B", downloads_all=10**6, created=created(100)),  # 10 days past 90
        robot_model("bot/d-3B", downloads_all=50, created=created(5)),  # not 7 days old yet
    ]
    at_age = compute_reuse_metrics(table(rows), domains=["robotics"])["domains"]["robotics"][
        "adoption"
    ]["ram"]["at_age"]
    # age 7: D = 100 and 300, the top 10 of the 1-9B bucket, median 200 -> RAM 0.5 and 1.5
    assert at_age["7"] == {"models": 2, "median_ram": 1.0, "at_or_above_1": 1}
    assert at_age["90"] == {"models": 0, "median_ram": None, "at_or_above_1": 0}  # too late
    assert at_age["14"]["models"] == 0
