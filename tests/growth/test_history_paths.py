"""Time metrics come from the stored snapshot history on every path: three days crawled live
through the local Hub stand-in give the same half-life, daily downloads and age-matched RAM as
the same three snapshots imported from files; snapshots of one day never collide; a rule change
recomputes reuse too."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from growth import services
from growth.core import history
from growth.core.domains import Rule
from growth.core.reuse.compute import compute_reuse_metrics, load_history
from growth.core.snapshot import SNAPSHOT_SCHEMA
from growth.models import DomainRule, Snapshot
from growth.reuse.models import ReuseMetrics
from growth.reuse.selectors import reuse_metrics_by_domain
from growth.reuse.services import reuse_metrics_store_file, reuse_metrics_store_snapshot
from tests.growth.conftest import dataset_row, model_row
from tests.hub_api_stub import HubStub

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 8), dt.date(2026, 11, 15)]
# All-time downloads per model and day: a burst then decay, so half-lives are measured.
GROWTH = {1: (100, 800, 900), 2: (50, 60, 400), 3: (10, 500, 520), 4: (0, 70, 75), 5: (5, 5, 5)}


def hub_rows(day_index: int):
    models = [
        model_row(i, downloadsAllTime=totals[day_index], downloads=totals[day_index],
                  createdAt="2026-10-28T00:00:00.000Z")
        for i, totals in GROWTH.items()
    ]  # fmt: skip
    datasets = [dataset_row(i, downloadsAllTime=10 * i * (day_index + 1)) for i in (1, 2)]
    return models, datasets


def as_snapshot_rows(rows, repo_type, day):
    """The Hub's JSON rows in the snapshot file format (what an offline import reads)."""
    out = []
    for row in rows:
        out.append(
            {
                "repo_type": repo_type,
                "id": row["id"],
                "author": row["author"],
                "createdAt": dt.datetime.fromisoformat(row["createdAt"].replace("Z", "+00:00")),
                "lastModified": dt.datetime.fromisoformat(
                    row["lastModified"].replace("Z", "+00:00")
                ),
                "downloads": row["downloads"],
                "downloadsAllTime": row["downloadsAllTime"],
                "likes": row["likes"],
                "tags": row["tags"],
                "pipeline_tag": row.get("pipeline_tag"),
                "library_name": row.get("library_name"),
                "baseModels": None,
                "snapshot_date": day,
            }
        )
    return out


def time_metrics(domain: dict) -> dict:
    adoption = domain["adoption"]
    return {
        "daily_downloads": adoption.get("daily_downloads")
        or adoption.get("daily_downloads_at_date"),
        "half_life_days": adoption["half_life_days"],
        "repo_half_life_days": adoption["repo_half_life_days"],
        "ram_at_age": adoption["ram"]["at_age"],
        "snapshots": adoption["snapshots"],
    }


@pytest.mark.django_db
def test_three_live_days_give_the_same_time_metrics_as_three_imported_files(tmp_path, sleeps):
    file_rows = []
    with HubStub() as hub:
        for index, day in enumerate(DAYS):
            models, datasets = hub_rows(index)
            hub.repos = {"models": models, "datasets": datasets}
            run = services.start_live_ingest(taken_on=day, endpoint=hub.url)
            services.run_live_ingest(run.pk, sleep=sleeps)
            reuse_metrics_store_snapshot(run.snapshot_id)
            file_rows += as_snapshot_rows(models, "model", day)
            file_rows += as_snapshot_rows(datasets, "dataset", day)

    # The live path read its history from the columnar files, three days of it.
    assert history.days(services.history.history_root(), "real") == DAYS
    live_date, live = reuse_metrics_by_domain(DAYS[-1])
    assert live_date == DAYS[-1]

    path = tmp_path / "three-days.parquet"
    pq.write_table(pa.Table.from_pylist(file_rows, schema=SNAPSHOT_SCHEMA), path)
    from_file = compute_reuse_metrics(load_history(path))["domains"]

    for key in ("hub", "robotics"):
        live_metrics = time_metrics(live[key])
        file_metrics = time_metrics(from_file[key])
        # Stored rows keep the last date's point of the daily series.
        live_point, file_point = (
            live_metrics["daily_downloads"],
            file_metrics["daily_downloads"][-1],
        )
        assert live_point["date"] == file_point["date"] == DAYS[-1].isoformat()
        # Sums of the same rates in another row order: equal up to float rounding.
        assert live_point["daily_downloads"] == pytest.approx(file_point["daily_downloads"])
        for name in ("half_life_days", "repo_half_life_days", "ram_at_age", "snapshots"):
            assert live_metrics[name] == file_metrics[name], (key, name)
    hub_adoption = from_file["hub"]["adoption"]
    assert hub_adoption["snapshots"] == 3
    # Not trivially empty: the burst of model 1 and model 3 peaked and halved within the days.
    assert hub_adoption["repo_half_life_days"]["measured"] >= 2
    assert hub_adoption["half_life_days"] == 7


@pytest.mark.django_db
def test_a_simulated_and_a_real_snapshot_of_one_day_do_not_collide(tmp_path):
    models, datasets = hub_rows(0)
    rows = as_snapshot_rows(models, "model", DAYS[0]) + as_snapshot_rows(
        datasets, "dataset", DAYS[0]
    )
    real = tmp_path / "real.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA), real)
    simulated = tmp_path / "sim.parquet"
    sim_rows = [{**r, "downloadsAllTime": r["downloadsAllTime"] * 2} for r in rows]
    pq.write_table(
        pa.Table.from_pylist(sim_rows, schema=SNAPSHOT_SCHEMA.with_metadata(
            {b"growth.simulated": b"true"})), simulated,
    )  # fmt: skip
    reuse_metrics_store_file(real)
    reuse_metrics_store_file(simulated)
    stored = ReuseMetrics.objects.filter(snapshot_date=DAYS[0], domain="hub")
    assert sorted(stored.values_list("snapshot_source", flat=True)) == ["import", "simulated"]
    real_total = stored.get(snapshot_source="import").metrics["downloads_total"]
    assert stored.get(snapshot_source="simulated").metrics["downloads_total"] == 2 * real_total
    # Pages show the real one by default, the simulated one when asked.
    assert reuse_metrics_by_domain(DAYS[0])[1]["hub"]["downloads_total"] == real_total
    assert reuse_metrics_by_domain(DAYS[0], "simulated")[1]["hub"]["downloads_total"] == (
        2 * real_total
    )


@pytest.mark.django_db
def test_a_rule_change_recomputes_growth_and_reuse(tmp_path):
    from growth.tasks import reaggregate

    models, datasets = hub_rows(0)
    rows = as_snapshot_rows(models, "model", DAYS[0]) + as_snapshot_rows(
        datasets, "dataset", DAYS[0]
    )
    path = tmp_path / "day.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA), path)
    (snapshot,) = services.import_snapshot_file(path)
    reuse_metrics_store_snapshot(snapshot.pk)
    assert "user1-work" not in reuse_metrics_by_domain(DAYS[0])[1]

    DomainRule.objects.create(domain="user1-work", field="author", value="user1")
    reaggregate.apply()  # what the admin action queues: growth aggregates and reuse
    _, domains = reuse_metrics_by_domain(DAYS[0])
    # model_row(i) is by user{i % 3}: models 1 and 4.
    assert domains["user1-work"]["repos"] == 2
    assert snapshot.stats.filter(domain="user1-work").exists()
    assert Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.READY


def test_history_files_are_partitioned_by_date_and_replaced_atomically(tmp_path):
    rows = as_snapshot_rows(hub_rows(0)[0], "model", DAYS[0])
    table = pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)
    for day in DAYS:
        history.write_day(tmp_path, "real", day, table)
    history.write_day(tmp_path, "real", DAYS[1], table.slice(0, 2))  # replaced, not appended
    assert history.days(tmp_path, "real") == DAYS
    assert (tmp_path / "real" / "snapshot_date=2026-11-08" / "part-0.parquet").is_file()
    read = history.read(tmp_path, "real", until=DAYS[1], columns=["id", "snapshot_date"])
    assert read.num_rows == len(rows) + 2
    assert set(read["snapshot_date"].to_pylist()) == {DAYS[0], DAYS[1]}
    assert history.days(tmp_path, "simulated") == []
    assert history.prune(tmp_path, "real", keep_days=1) == DAYS[:2]
    assert history.days(tmp_path, "real") == DAYS[2:]


def test_rules_are_checked_for_the_new_fields():
    assert Rule("qwen", "", "lineage", "Qwen").key == "qwen"


def research_dump(path):
    """An older research dump: only id, author, createdAt, 30-day downloads and pipeline tag."""
    pq.write_table(
        pa.table(
            {
                "id": ["Qwen/Qwen2-7B", "bob/tiny", "google/t5"],
                "author": ["Qwen", "bob", "google"],
                "createdAt": pa.array(
                    [dt.datetime(2024, 6, 1, tzinfo=dt.UTC)] * 3, pa.timestamp("ms", tz="UTC")
                ),
                "downloads": [600, 100, 300],
                "pipeline_tag": ["text-generation"] * 3,
            }
        ),
        path,
    )
    return path


MISSING = ["lastModified", "downloadsAllTime", "likes", "tags", "library_name", "baseModels"]


@pytest.mark.django_db
def test_a_listing_with_missing_columns_imports_with_a_warning_and_not_available_metrics(
    tmp_path,
):
    path = research_dump(tmp_path / "dump.parquet")
    lines = []
    with pytest.raises(Exception, match="no snapshot_date column"):
        services.import_snapshot_file(path, report=lines.append)
    (snapshot,) = services.import_snapshot_file(path, report=lines.append, taken_on=DAYS[0])
    warning = next(line for line in lines if "has no" in line)
    assert all(name in warning for name in MISSING)
    assert snapshot.missing_columns == MISSING
    reuse_metrics_store_snapshot(snapshot.pk)
    hub = reuse_metrics_by_domain(DAYS[0])[1]["hub"]
    assert hub["repos"] == 3
    assert hub["downloads_total"] == "not available"
    assert hub["top0_01pct_share_downloads"] == "not available"
    assert hub["models"]["derivatives_total"] == "not available"
    assert hub["not_available"]["downloads_total"] == "the snapshot has no downloadsAllTime column"
    # What the listing does have is computed: 30-day downloads by country (seed table).
    assert hub["country_share_downloads_30d"] == pytest.approx(
        {"CN": 0.6, "US": 0.3, "unknown": 0.1}
    )


def test_the_command_line_reads_the_same_listing(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    path = research_dump(tmp_path / "dump.parquet")
    repo_root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "reuse_metrics", "--snapshot", str(path), "--json",
         "--date", "2026-11-01"],
        cwd=repo_root, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "downloadsAllTime" in result.stderr and "not available" in result.stderr
    hub = json.loads(result.stdout)["domains"]["hub"]
    assert hub["gini_downloads"] == "not available"
    assert hub["country_share_downloads_30d"]["CN"] == pytest.approx(0.6)


@pytest.mark.django_db
def test_history_retention_task_keeps_the_newest_days(settings, tmp_path):
    from growth.tasks import prune_history

    settings.HUB_HISTORY_DIR = tmp_path
    settings.HUB_HISTORY_KEEP_DAYS = 2
    rows = as_snapshot_rows(hub_rows(0)[0], "model", DAYS[0])
    table = pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)
    for day in DAYS:
        history.write_day(tmp_path, "real", day, table)
    assert prune_history.apply().get() == {"real": [DAYS[0].isoformat()], "simulated": []}
    assert history.days(tmp_path, "real") == DAYS[1:]
