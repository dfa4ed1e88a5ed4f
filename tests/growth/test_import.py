"""Offline import, stored aggregates, rules from the admin: on SQLite and PostgreSQL."""

from collections import Counter
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from growth import selectors, services
from growth.core.simulate import simulate
from growth.core.snapshot import SNAPSHOT_SCHEMA
from growth.models import (
    CategoryRank,
    DomainRule,
    DomainStat,
    HubRepo,
    KnownOrganization,
    MonthlyCreation,
    Snapshot,
    TopAuthor,
)

pytestmark = pytest.mark.django_db


def robotics_by_rules(row) -> bool:
    """The default robotics rules, written out by hand (independent of the vectorized classifier)."""
    tags = {t.lower() for t in row["tags"] or []}
    return bool(
        {"task_categories:robotics", "robotics", "lerobot"} & tags
        or (row["pipeline_tag"] or "").lower() == "robotics"
        or (row["library_name"] or "").lower() == "lerobot"
    )


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("import") / "hub.parquet"
    simulate(str(path), models=3000, datasets=1500, seed=7, snapshots=3)
    return path


def rows_of(path, day):
    table = pq.read_table(path)
    return [r for r in table.to_pylist() if r["snapshot_date"] == day]


def test_import_stores_rows_and_aggregates_that_match_the_file(simulated_file):
    snapshots = services.import_snapshot_file(simulated_file)
    assert len(snapshots) == 3
    assert all(s.simulated and s.source == "simulated" for s in snapshots)
    last = snapshots[-1]
    rows = rows_of(simulated_file, last.taken_on)
    assert HubRepo.objects.filter(snapshot=last).count() == len(rows)
    assert (last.models_count, last.datasets_count) == (3000, 1500)

    expected = Counter(
        r["createdAt"].year for r in rows if r["repo_type"] == "dataset" and robotics_by_rules(r)
    )
    series = selectors.creation_series(last, "robotics", "dataset", "year")
    assert {int(r["period"]): r["created"] for r in series if r["created"]} == dict(expected)
    assert series[-1]["cumulative"] == sum(expected.values())
    hub_datasets = sum(1 for r in rows if r["repo_type"] == "dataset")
    assert series[-1]["share_cumulative"] == pytest.approx(sum(expected.values()) / hub_datasets)

    months = selectors.creation_series(last, "robotics", "dataset", "month")
    quarters = selectors.creation_series(last, "robotics", "dataset", "quarter")
    assert sum(r["created"] for r in months) == sum(r["created"] for r in quarters)
    assert months[-1]["cumulative"] == series[-1]["cumulative"]


def test_downloads_between_snapshots_match_the_definition(simulated_file):
    snapshots = services.import_snapshot_file(simulated_file)
    before = {r["id"]: r for r in rows_of(simulated_file, snapshots[-2].taken_on)}
    now = rows_of(simulated_file, snapshots[-1].taken_on)
    expected = 0
    for r in now:
        if r["repo_type"] == "model" and robotics_by_rules(r):
            previous = before[r["id"]]["downloadsAllTime"] if r["id"] in before else 0
            expected += min(max(r["downloadsAllTime"] - previous, 0), r["downloads"])
    stat = DomainStat.objects.get(snapshot=snapshots[-1], domain="robotics", repo_type="model")
    assert stat.downloads_since_previous == expected
    assert stat.days_since_previous == 7
    first = DomainStat.objects.get(snapshot=snapshots[0], domain="robotics", repo_type="model")
    assert first.downloads_since_previous is None


def test_recomputing_from_the_database_gives_the_same_aggregates(simulated_file):
    """The read-back path (COPY TO / SELECT) agrees with the in-memory import path."""
    snapshot = services.import_snapshot_file(simulated_file)[-1]

    def stored():
        return (
            sorted(MonthlyCreation.objects.filter(snapshot=snapshot).values_list("domain", "repo_type", "month", "created")),
            sorted(DomainStat.objects.filter(snapshot=snapshot).values_list("domain", "repo_type", "repos", "downloads_all_time", "authors", "downloads_since_previous")),
            sorted(CategoryRank.objects.filter(snapshot=snapshot).values_list("repo_type", "category", "year", "created", "rank_created")),
            sorted(TopAuthor.objects.filter(snapshot=snapshot).values_list("domain", "repo_type", "author", "repos", "rank")),
        )  # fmt: skip

    at_import = stored()
    services.aggregate_snapshot(snapshot.pk)
    assert stored() == at_import
    assert at_import[0] and at_import[3]


def test_reimport_is_idempotent_and_replace_reloads(simulated_file):
    services.import_snapshot_file(simulated_file)
    count = HubRepo.objects.count()
    messages = []
    services.import_snapshot_file(simulated_file, report=messages.append)
    assert HubRepo.objects.count() == count
    assert sum("already imported" in m for m in messages) == 3
    services.import_snapshot_file(simulated_file, replace=True)
    assert HubRepo.objects.count() == count
    assert Snapshot.objects.count() == 3


def test_import_command_and_the_real_flag(simulated_file, capsys):
    call_command("import_snapshot", str(simulated_file), "--real")
    assert Snapshot.objects.filter(source="import", simulated=False).count() == 3
    assert "3 snapshot(s) ready" in capsys.readouterr().out


def snapshot_file(path, rows):
    table = pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)
    pq.write_table(table, path)
    return path


def repo(repo_id, repo_type="dataset", **extra):
    row = {
        "repo_type": repo_type,
        "id": repo_id,
        "author": repo_id.split("/")[0] if repo_id else None,
        "createdAt": datetime(2025, 5, 1, tzinfo=UTC),
        "lastModified": None,
        "downloads": 1,
        "downloadsAllTime": 2,
        "likes": 0,
        "tags": ["task_categories:robotics"],
        "pipeline_tag": None,
        "library_name": None,
        "baseModels": None,
        "snapshot_date": date(2026, 1, 1),
    }
    row.update(extra)
    return row


def test_bad_rows_are_reported_and_skipped_and_duplicates_ignored(tmp_path):
    path = snapshot_file(
        tmp_path / "s.parquet",
        [
            repo("a/one"),
            repo("", tags=[]),
            repo("b/two", repo_type="space"),
            repo("a/one", downloadsAllTime=999),
            repo("c/three", createdAt=None),
        ],
    )
    messages = []
    (snapshot,) = services.import_snapshot_file(path, report=messages.append)
    assert sorted(HubRepo.objects.filter(snapshot=snapshot).values_list("repo_id", flat=True)) == [
        "a/one",
        "c/three",
    ]
    assert HubRepo.objects.get(repo_id="a/one").downloads_all_time == 2  # the first row wins
    assert any("row 1: skipped" in m and "id=''" in m for m in messages)
    assert any("row 2: skipped" in m and "repo_type='space'" in m for m in messages)
    assert any("1 repeated" in m for m in messages)
    stat = DomainStat.objects.get(snapshot=snapshot, domain="robotics", repo_type="dataset")
    assert stat.repos == 2  # the repo without createdAt counts, but in no month
    assert (
        sum(
            r["created"]
            for r in selectors.creation_series(snapshot, "robotics", "dataset", "month")
        )
        == 1
    )


def test_unusable_files_give_clear_errors(tmp_path):
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("hello")
    with pytest.raises(CommandError, match="not a readable parquet file"):
        call_command("import_snapshot", str(not_parquet))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_snapshot", str(tmp_path / "missing.parquet"))
    # A listing with missing columns imports (with a warning) once it is dated; without a
    # date, or without ids, it cannot be used.
    partial = tmp_path / "partial.parquet"
    pq.write_table(pa.table({"id": ["a/b"], "repo_type": ["model"]}), partial)
    with pytest.raises(CommandError, match=r"no snapshot_date column.*--date"):
        call_command("import_snapshot", str(partial))
    no_ids = tmp_path / "no-ids.parquet"
    pq.write_table(pa.table({"author": ["a"], "repo_type": ["model"]}), no_ids)
    with pytest.raises(CommandError, match=r"missing column\(s\) \['id'\]"):
        call_command("import_snapshot", str(no_ids), "--date", "2026-11-01")
    assert Snapshot.objects.count() == 0


def test_rules_edited_in_the_admin_replace_the_defaults(tmp_path):
    assert DomainRule.objects.filter(domain="robotics").exists()  # seeded by the migration
    path = snapshot_file(
        tmp_path / "s.parquet",
        [repo("a/waves", tags=["ocean"]), repo("b/robot"), repo("c/tide", tags=["Ocean", "tides"])],
    )
    (snapshot,) = services.import_snapshot_file(path)
    assert not DomainStat.objects.filter(snapshot=snapshot, domain="ocean").exists()

    DomainRule.objects.create(domain="ocean", subdomain="", field="tag", value="ocean")
    DomainRule.objects.create(domain="ocean", subdomain="tides", field="tag", value="tides")
    services.reaggregate_all()
    assert DomainStat.objects.get(snapshot=snapshot, domain="ocean", repo_type="dataset").repos == 2
    assert (
        DomainStat.objects.get(snapshot=snapshot, domain="ocean/tides", repo_type="dataset").repos
        == 1
    )
    assert "ocean/tides" in selectors.rules_by_key()

    DomainRule.objects.update(active=False)
    assert selectors.active_rules() == list(selectors.DEFAULT_RULES)


def test_organizations_and_independent_authors_are_told_apart(tmp_path):
    path = snapshot_file(
        tmp_path / "s.parquet",
        [repo("lerobot/a"), repo("lerobot/b"), repo("alice/c"), repo("alice/d"), repo("alice/e"),
         repo("bob/f")],
    )  # fmt: skip
    (snapshot,) = services.import_snapshot_file(path)
    rows = selectors.author_dicts(selectors.author_rows(snapshot, "robotics", "dataset"))
    assert [(r["author"], r["kind"], r["repos"], r["rank"]) for r in rows] == [
        ("lerobot", "organization", 2, 1),
        ("alice", "independent", 3, 1),
        ("bob", "independent", 1, 2),
    ]
    KnownOrganization.objects.create(name="Alice")
    services.aggregate_snapshot(snapshot.pk)
    kinds = {
        r.author: r.is_organization for r in selectors.author_rows(snapshot, "robotics", "dataset")
    }
    assert kinds == {"lerobot": True, "alice": True, "bob": False}


def test_category_ranks_and_domain_rank(tmp_path):
    def ds(i, category, year):
        return repo(f"u/{category}-{i}", tags=[f"task_categories:{category}"],
                    createdAt=datetime(year, 6, 1, tzinfo=UTC))  # fmt: skip

    rows = [ds(i, "text-generation", 2024) for i in range(3)]
    rows += [ds(i, "translation", 2024) for i in range(2)]
    rows += [ds(i, "robotics", 2024) for i in range(1)]
    rows += [ds(i, "robotics", 2025) for i in range(4)] + [ds(9, "text-generation", 2025)]
    (snapshot,) = services.import_snapshot_file(snapshot_file(tmp_path / "s.parquet", rows))
    ranks = {r["year"]: r for r in selectors.rank_series(snapshot, "robotics", "dataset")}
    assert (ranks[2024]["rank_created"], ranks[2024]["rank_cumulative"]) == (3, 3)
    assert (ranks[2025]["rank_created"], ranks[2025]["rank_cumulative"]) == (1, 1)
    table, year = selectors.category_rows(snapshot, "dataset", 2024)
    assert year == 2024
    assert [(c.category, c.rank_created) for c in table] == [
        ("text-generation", 1),
        ("translation", 2),
        ("robotics", 3),
    ]


def test_wrong_column_types_and_undated_rows(tmp_path):
    good = pa.Table.from_pylist(
        [repo("a/one"), repo("b/two", snapshot_date=None)], schema=SNAPSHOT_SCHEMA
    )
    path = tmp_path / "undated.parquet"
    pq.write_table(good, path)
    messages = []
    (snapshot,) = services.import_snapshot_file(path, report=messages.append)
    assert HubRepo.objects.filter(snapshot=snapshot).count() == 1
    assert any("1 row(s) without snapshot_date skipped" in m for m in messages)

    wrong = good.set_column(
        good.schema.get_field_index("downloads"), "downloads", pa.array(["many", "few"])
    )
    path = tmp_path / "wrong.parquet"
    pq.write_table(wrong, path)
    with pytest.raises(CommandError, match="columns have the wrong types"):
        call_command("import_snapshot", str(path), "--replace")


def test_pruning_old_repo_rows_keeps_aggregates(simulated_file):
    snapshots = services.import_snapshot_file(simulated_file)
    before = selectors.creation_series(snapshots[0], "robotics", "dataset", "year")
    call_command("prune_hub_rows", "--keep", "1")
    assert HubRepo.objects.filter(snapshot__in=snapshots[:2]).count() == 0
    assert HubRepo.objects.filter(snapshot=snapshots[-1]).count() > 0
    assert selectors.creation_series(snapshots[0], "robotics", "dataset", "year") == before
    assert services.reaggregate_all() == 1  # only the snapshot that still has rows
    with pytest.raises(ValueError, match="no repo rows any more"):
        services.aggregate_snapshot(snapshots[0].pk)
    with pytest.raises(CommandError, match="keep at least"):
        call_command("prune_hub_rows", "--keep", "0")
