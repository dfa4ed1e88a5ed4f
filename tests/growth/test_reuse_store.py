"""Stored metrics: the service, the selectors, the pages, the citations include and the task."""

import datetime as dt
import time

import pytest
from django.template import Context, Template
from django.urls import reverse

from growth.core.snapshot import SnapshotError
from growth.reuse.models import DatasetCitation, ReuseMetrics
from growth.reuse.selectors import (
    models_citing_dataset,
    reuse_concentration_over_time,
    reuse_daily_downloads,
    reuse_metrics_by_domain,
    reuse_snapshot_dates,
)
from growth.reuse.services import (
    reuse_metrics_schedule,
    reuse_metrics_store,
    reuse_metrics_store_file,
)
from growth.reuse.tasks import QUEUE, reuse_metrics_compute
from tests.conftest import purge_queues, start_worker, stop_worker, wait_for_worker
from tests.growth.reuse_snapshots import DAY, repo, robot_dataset, robot_model, table, write

D1 = DAY + dt.timedelta(days=7)


def history_rows():
    rows = []
    for date, scale in ((DAY, 1), (D1, 2)):
        rows += [
            robot_model("lerobot/base", downloads_all=1000 * scale, downloads=10**6, date=date),
            robot_model("alice/ft", downloads_all=100 * scale, downloads=10**6, date=date,
                        parents=["lerobot/base"], tags=["dataset:alice/pick"]),
            repo("bob/q", downloads_all=40 * scale, downloads=30, date=date,
                 parents=["alice/ft"], relation="quantized", tags=["dataset:alice/pick"]),
            robot_dataset("alice/pick", downloads_all=300 * scale, date=date),
            robot_dataset("lerobot/aloha", downloads_all=5, date=date),
        ]  # fmt: skip
    return rows


@pytest.mark.django_db
def test_store_is_idempotent_and_keeps_one_row_per_date_and_domain():
    t = table(history_rows())
    reuse_metrics_store(DAY, t)
    reuse_metrics_store(D1, t)
    reuse_metrics_store(D1, t)  # again: replaced, not duplicated
    assert ReuseMetrics.objects.filter(domain="robotics").count() == 2
    assert DatasetCitation.objects.filter(snapshot_date=D1).count() == 2
    assert reuse_snapshot_dates() == [D1, DAY]

    date, domains = reuse_metrics_by_domain()
    assert date == D1
    assert list(domains)[:3] == ["hub", "robotics", "robotics/lerobot"]
    robotics = domains["robotics"]
    assert robotics["downloads_total"] == 2 * (1000 + 100 + 300) + 5
    assert "over_time" not in robotics["concentration"]  # rebuilt from the rows of each date
    assert robotics["concentration"]["over_time_at_date"]["date"] == D1.isoformat()

    series = reuse_concentration_over_time("robotics")
    assert [p["date"] for p in series] == [DAY.isoformat(), D1.isoformat()]
    assert [p["downloads"]["total"] for p in series] == [1405, 2805]
    # (1000 + 100 + 300 + 0) downloads over 7 days, attributed to D1
    assert reuse_daily_downloads("robotics") == [
        {"date": D1.isoformat(), "daily_downloads": pytest.approx(1400 / 7)}
    ]


@pytest.mark.django_db
def test_store_refuses_a_date_the_file_does_not_have():
    with pytest.raises(SnapshotError, match="no rows for 2026-03-05"):
        reuse_metrics_store(DAY + dt.timedelta(days=4), table(history_rows()))
    assert not ReuseMetrics.objects.exists()


@pytest.mark.django_db
def test_models_citing_dataset():
    reuse_metrics_store(D1, table(history_rows()))
    citing = models_citing_dataset("alice/pick")
    assert [c["model_id"] for c in citing] == ["alice/ft", "bob/q"]  # most downloaded first
    assert citing[0]["external"] is False and citing[1]["external"] is True
    assert citing[0]["url"] == "https://huggingface.co/alice/ft"
    assert citing[0]["downloads_all_time"] == 200
    assert citing[0]["snapshot_date"] == D1
    assert models_citing_dataset("alice/pick", snapshot=DAY) == []  # not stored for DAY
    assert models_citing_dataset("lerobot/aloha") == []


@pytest.mark.django_db
def test_citations_include_renders_on_any_page():
    reuse_metrics_store(D1, table(history_rows()))
    template = Template('{% include "growth/_reuse_citations.html" with dataset_repo_id=repo_id %}')
    html = template.render(Context({"repo_id": "alice/pick"}))
    assert "2 models declare" in html
    assert 'href="https://huggingface.co/bob/q"' in html
    assert "same author" in html  # alice/ft cites its author's own dataset
    empty = template.render(Context({"repo_id": "lerobot/aloha"}))
    assert "No Hub model declares" in empty
    unpublished = template.render(Context({"repo_id": ""}))
    assert "not published on the Hugging Face Hub" in unpublished


@pytest.mark.django_db
def test_pages(client):
    index = client.get(reverse("reuse:index"))
    assert index.status_code == 200
    assert "No reuse metrics are stored yet" in index.content.decode()

    reuse_metrics_store(DAY, table(history_rows()))
    reuse_metrics_store(D1, table(history_rows()))
    html = client.get(reverse("reuse:index")).content.decode()
    assert "Gini coefficient of downloadsAllTime" in html  # the definition beside the value
    assert "2,805" in html  # downloads_total of robotics

    older = client.get(reverse("reuse:index"), {"date": DAY.isoformat()}).content.decode()
    assert "1,405" in older
    bad = client.get(reverse("reuse:index"), {"date": "yesterday"}).content.decode()
    assert "is not a date" in bad

    domain = client.get(reverse("reuse:domain", args=["robotics/lerobot"]))
    assert domain.status_code == 200
    page = domain.content.decode()
    assert "Family download multiplier" in page
    assert "lerobot/base" in page  # largest family
    assert DAY.isoformat() in page and D1.isoformat() in page  # concentration over time
    assert reverse("reuse:dataset", args=["alice/pick"]) in page

    assert client.get(reverse("reuse:domain", args=["astrology"])).status_code == 404
    dataset = client.get(reverse("reuse:dataset", args=["alice/pick"])).content.decode()
    assert "bob/q" in dataset


@pytest.mark.django_db
def test_store_file_by_date(tmp_path, settings):
    settings.HUB_SNAPSHOT_DIR = tmp_path
    write(tmp_path / f"{D1.isoformat()}.parquet", history_rows())
    assert reuse_metrics_store_file(snapshot_date=D1) == [D1]
    assert ReuseMetrics.objects.filter(snapshot_date=D1).exists()
    with pytest.raises(SnapshotError, match="no such file"):
        reuse_metrics_store_file(snapshot_date=DAY + dt.timedelta(days=100))


@pytest.fixture
def hub_worker(django_db_setup, django_db_blocker):
    """A real worker serving only the hub queue: a task routed elsewhere would never run."""
    with django_db_blocker.unblock():
        purge_queues()
        process = start_worker(queues=("hub",), concurrency=1)
        try:
            wait_for_worker(process, queues=("hub",))
            yield process
        finally:
            stop_worker(process)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scheduled_task_runs_on_the_hub_queue_and_stores(hub_worker, tmp_path):
    path = write(tmp_path / "history.parquet", history_rows())
    reuse_metrics_schedule(path=path, all_dates=True)  # outside a transaction: queued at once
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline and ReuseMetrics.objects.filter(domain="robotics").count() < 2
    ):
        time.sleep(0.2)
    assert list(
        ReuseMetrics.objects.filter(domain="robotics").values_list("snapshot_date", flat=True)
    ) == [DAY, D1]
    assert DatasetCitation.objects.filter(snapshot_date=D1).count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_reports_bad_input_without_crashing(hub_worker, tmp_path):
    result = reuse_metrics_compute.apply_async(
        kwargs={"path": str(tmp_path / "missing.parquet")}, queue=QUEUE
    )
    outcome = result.get(timeout=60)
    assert outcome["ok"] is False
    assert "no such file" in outcome["error"]
    assert not ReuseMetrics.objects.exists()


@pytest.mark.django_db
def test_command_store_option_fills_the_database(tmp_path, capsys):
    from django.core.management import call_command

    path = write(tmp_path / "history.parquet", history_rows())
    call_command("reuse_metrics", "--snapshot", path, "--json", "--store", "--all-dates")
    assert set(ReuseMetrics.objects.values_list("snapshot_date", flat=True)) == {DAY, D1}
    assert '"domains"' in capsys.readouterr().out


@pytest.mark.django_db
def test_json_api(client):
    assert client.get(reverse("reuse:api-metrics")).status_code == 404  # nothing stored yet
    reuse_metrics_store(D1, table(history_rows()))
    payload = client.get(reverse("reuse:api-metrics")).json()
    assert payload["snapshot_date"] == D1.isoformat()
    assert payload["domains"]["robotics"]["downloads_total"] == 2805
    bad = client.get(reverse("reuse:api-metrics"), {"date": "soon"})
    assert bad.status_code == 400 and "not a date" in bad.json()["date"]
    citations = client.get(reverse("reuse:api-citations", args=["alice/pick"])).json()
    assert citations["count"] == 2
    assert citations["models"][0]["model_id"] == "alice/ft"
    assert citations["models"][0]["snapshot_date"] == D1.isoformat()


@pytest.mark.django_db
def test_metrics_from_the_database_equal_metrics_from_the_file(tmp_path):
    """A live crawl has no file: its stored rows give the same metrics as the file would."""
    from growth.services import import_snapshot_file, snapshot_table

    path = write(tmp_path / "snap.parquet", history_rows())
    snapshots = import_snapshot_file(path)
    latest = max(snapshots, key=lambda s: s.taken_on)

    from_db = snapshot_table(latest.pk).sort_by("id")
    assert from_db["baseModels"].to_pylist() == [
        row["baseModels"]
        for row in sorted(
            (r for r in table(history_rows()).to_pylist() if r["snapshot_date"] == D1),
            key=lambda r: r["id"],
        )
    ]

    reuse_metrics_store_file(path, D1)
    expected = {row.domain: row.metrics for row in ReuseMetrics.objects.filter(snapshot_date=D1)}
    ReuseMetrics.objects.all().delete()

    from growth.reuse.services import reuse_metrics_store_snapshot

    assert reuse_metrics_store_snapshot(latest.pk) == [D1]
    stored = {row.domain: row.metrics for row in ReuseMetrics.objects.filter(snapshot_date=D1)}
    assert stored.keys() == expected.keys()
    for domain, metrics in expected.items():
        for key in ("repos", "downloads_total", "gini_downloads", "derivatives_total",
                    "dataset_reuse_ratio", "declaration_rate", "hhi_authors"):  # fmt: skip
            assert stored[domain][key] == metrics[key], (domain, key)


@pytest.mark.django_db
def test_metrics_of_a_simulated_snapshot_are_labelled_simulated(client, tmp_path):
    from growth.services import import_snapshot_file

    path = write(tmp_path / "sim.parquet", history_rows())
    import_snapshot_file(path, simulated=True)
    reuse_metrics_store_file(path, D1)

    page = client.get(reverse("reuse:index")).content.decode()
    assert 'data-simulated="true"' in page
    domain_page = client.get(reverse("reuse:domain", args=["robotics"])).content.decode()
    assert 'data-simulated="true"' in domain_page
    assert client.get("/growth/reuse/api/metrics/").json()["simulated"] is True


@pytest.mark.django_db
def test_metrics_of_a_real_snapshot_carry_no_simulated_label(client, tmp_path):
    path = write(tmp_path / "real.parquet", history_rows())
    reuse_metrics_store_file(path, D1)
    assert 'data-simulated="true"' not in client.get(reverse("reuse:index")).content.decode()
    assert client.get("/growth/reuse/api/metrics/").json()["simulated"] is False
