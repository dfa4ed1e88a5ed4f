"""Live ingestion against a local Hub stand-in, with the real huggingface_hub client."""

import time
from datetime import date

import pytest
from django.core.management import call_command
from huggingface_hub import HfApi

from growth import hub_client, selectors, services
from growth.models import DomainStat, HubRepo, IngestRun, Snapshot
from tests.growth.conftest import model_row
from tests.hub_api_stub import HubStub

DAY = date(2026, 11, 20)


def wait_until_finished(run: IngestRun, timeout: float = 60) -> None:
    """Poll the run until a worker has finished it (done or failed), or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (IngestRun.Status.DONE, IngestRun.Status.FAILED):
            return
        time.sleep(0.3)


def test_stub_answers_like_the_hub_for_the_real_client(hub):
    """huggingface_hub's own list_models paginates through the stand-in (Link headers)."""
    api = HfApi(endpoint=hub.url)
    models = list(api.list_models(expand=["downloads", "downloadsAllTime", "tags", "createdAt"]))
    assert [m.id for m in models] == [f"user{i % 3}/model-{i}" for i in range(1, 8)]
    assert models[2].downloads_all_time == 300
    assert hub.offsets_requested("models") == [0, 3, 6]
    datasets = list(api.list_datasets(expand=["tags"]))
    assert len(datasets) == 5


def test_crawl_follows_link_pages_and_asks_for_every_field(hub, sleeps):
    pages = list(hub_client.crawl(hub.url, "model", DAY, sleep=sleeps))
    assert [len(p.rows) for p in pages] == [3, 3, 1]
    assert pages[-1].next_url is None
    first = pages[0].rows[0]
    assert first["id"] == "user1/model-1"
    assert first["downloadsAllTime"] == 100
    assert first["createdAt"].year == 2025
    assert first["snapshot_date"] == DAY
    assert set(hub.requests[0]["expand"]) >= {"downloadsAllTime", "createdAt", "tags", "baseModels"}
    assert sleeps == []


def test_rate_limits_are_waited_out_on_every_page(hub, sleeps):
    # The first page too: huggingface_hub's paginate() does not retry it.
    hub.fail("models", 0, times=1, headers={"Retry-After": "7"})
    hub.fail("models", 3, times=2, headers={"RateLimit": '"api";r=0;t=42'})
    hub.fail("models", 6, times=1, status=503)
    rows = [r for p in hub_client.crawl(hub.url, "model", DAY, sleep=sleeps) for r in p.rows]
    assert len(rows) == 7
    assert sleeps == [7.0, 42.0, 42.0, 1.0]  # Retry-After, RateLimit t=, then backoff
    assert hub.offsets_requested("models") == [0, 0, 3, 3, 3, 6, 6]


def test_a_page_that_keeps_failing_raises_a_clear_error(hub, sleeps):
    hub.fail("datasets", 3, times=50, status=429, headers={"Retry-After": "1"})
    crawl = hub_client.crawl(hub.url, "dataset", DAY, sleep=sleeps, max_retries=3)
    assert len(next(crawl).rows) == 3
    with pytest.raises(hub_client.HubCrawlError, match=r"still failing \(HTTP 429\) after 3"):
        next(crawl)


def test_malformed_rows_are_reported_and_skipped(sleeps):
    rows = [
        model_row(1),
        model_row(2, createdAt="yesterday"),
        {"author": "nobody"},  # no id
        model_row(4, downloads=-5),
        "not an object",
        model_row(6, tags="robotics"),
        model_row(7, baseModels={"relation": "cousin", "models": []}),
        model_row(8, baseModels={"relation": "finetune", "models": [{"id": "lerobot/pi0"}]}),
    ]
    with HubStub(models=rows, max_page_size=3) as stub:
        pages = list(hub_client.crawl(stub.url, "model", DAY, sleep=sleeps))
    kept = [r["id"] for p in pages for r in p.rows]
    assert kept == ["user1/model-1", "user2/model-8"]
    assert pages[-1].rows[-1]["baseModels"] == {
        "relation": "finetune",
        "models": [{"id": "lerobot/pi0"}],
    }
    bad = [m for p in pages for m in p.malformed]
    assert [m["position"] for m in bad] == [1, 2, 3, 4, 5, 6]
    assert bad[0]["id"] == "user2/model-2"
    assert "downloads must be a non-negative integer" in bad[2]["error"]
    assert "tags must be a list" in bad[4]["error"]


@pytest.mark.django_db
def test_live_ingest_stores_a_snapshot_and_its_aggregates(hub, sleeps):
    hub.repos["models"].insert(3, {"id": 42})  # malformed: reported, skipped, run goes on
    run = services.start_live_ingest(taken_on=DAY, endpoint=hub.url)
    run = services.run_live_ingest(run.pk, sleep=sleeps)
    assert run.status == IngestRun.Status.DONE
    assert run.malformed_count == 1
    assert run.malformed_sample[0]["repo_type"] == "model"
    assert run.malformed_sample[0]["position"] == 3
    snapshot = run.snapshot
    assert snapshot.status == Snapshot.Status.READY
    assert not snapshot.simulated
    assert (snapshot.models_count, snapshot.datasets_count) == (7, 5)
    robotics = DomainStat.objects.get(snapshot=snapshot, domain="robotics", repo_type="model")
    assert robotics.repos == 4  # odd-numbered models: 1, 3, 5, 7
    assert robotics.downloads_all_time == 100 * (1 + 3 + 5 + 7)
    years = {
        r["period"]: r for r in selectors.creation_series(snapshot, "robotics", "dataset", "year")
    }
    # Odd datasets (1, 3, 5) are robotics and created in 2025; even ones (2, 4) in 2024.
    assert (years["2024"]["created"], years["2024"]["hub_created"]) == (0, 2)
    assert (years["2025"]["created"], years["2025"]["cumulative"]) == (3, 3)
    assert years["2025"]["share_cumulative"] == pytest.approx(3 / 5)


@pytest.mark.django_db
def test_an_interrupted_crawl_resumes_from_its_cursor_without_duplicates(hub, sleeps, client):
    run = services.start_live_ingest(taken_on=DAY, endpoint=hub.url)
    services.run_live_ingest(run.pk, sleep=sleeps, max_pages=3)  # datasets: 2 pages, models: 1
    run.refresh_from_db()
    assert run.progress["dataset"]["done"]
    assert run.progress["model"]["rows"] == 3
    assert HubRepo.objects.filter(snapshot=run.snapshot).count() == 8
    # Then the Hub fails hard on the next page: the run fails, keeping its checkpoint ...
    hub.fail("models", 3, times=20, status=502)
    with pytest.raises(hub_client.HubCrawlError):
        services.run_live_ingest(run.pk, sleep=sleeps)
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert "502" in run.error
    assert "it resumes from its last page" in client.get("/growth/").content.decode()
    assert HubRepo.objects.filter(snapshot=run.snapshot).count() == 8
    # ... and a restart (the Hub healed) continues from the stored cursor.
    hub.faults.clear()
    before = len(hub.requests)
    run = services.run_live_ingest(run.pk, sleep=sleeps)
    assert run.status == IngestRun.Status.DONE
    assert [(r["kind"], r["offset"]) for r in hub.requests[before:]] == [
        ("models", 3),
        ("models", 6),
    ]
    ids = list(HubRepo.objects.filter(snapshot=run.snapshot).values_list("repo_id", flat=True))
    page = client.get("/growth/").content.decode()
    assert "Latest crawl of the Hub: Nov. 20, 2026" in page
    assert "7 models listed" in page
    assert len(ids) == len(set(ids)) == 12
    # Running a finished run again does nothing.
    before = len(hub.requests)
    assert services.run_live_ingest(run.pk, sleep=sleeps).status == IngestRun.Status.DONE
    assert len(hub.requests) == before


@pytest.mark.django_db
def test_daily_crawls_give_downloads_between_snapshots(sleeps):
    models = [model_row(1), model_row(3)]
    with HubStub(models=models, max_page_size=3) as stub:
        run = services.start_live_ingest(taken_on=date(2026, 11, 1), endpoint=stub.url)
        services.run_live_ingest(run.pk, sleep=sleeps)
        # A week later: model 1 gained 70 downloads, model 3 gained 1,000 (capped at its 30-day
        # count, 30), and a new robotics model appeared with 50 all-time / 20 in 30 days.
        stub.repos["models"] = [
            model_row(1, downloadsAllTime=170),
            model_row(3, downloadsAllTime=1300),
            model_row(5, downloadsAllTime=50, downloads=20),
        ]
        run = services.start_live_ingest(taken_on=date(2026, 11, 8), endpoint=stub.url)
        services.run_live_ingest(run.pk, sleep=sleeps)
    series = selectors.downloads_series(run.snapshot, "robotics", "model")
    assert [s["date"] for s in series] == ["2026-11-01", "2026-11-08"]
    assert series[0]["downloads_since_previous"] is None
    assert series[1]["downloads_since_previous"] == 10 + 30 + 20
    assert series[1]["days_since_previous"] == 7
    assert series[1]["daily_downloads"] == pytest.approx(60 / 7)


@pytest.mark.django_db
def test_crawl_hub_command(hub):
    call_command("crawl_hub", "--endpoint", hub.url, "--date", "2026-11-21")
    snapshot = Snapshot.objects.get(taken_on=date(2026, 11, 21), source="live")
    assert snapshot.status == Snapshot.Status.READY
    assert HubRepo.objects.filter(snapshot=snapshot).count() == 12


def test_the_daily_crawl_is_scheduled_on_the_hub_queue():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    entry = app.conf.beat_schedule["growth-crawl-hub-daily"]
    assert entry["task"] == "growth.crawl_hub_daily"
    assert entry["options"]["queue"] == "hub"
    assert "growth.crawl_hub_daily" in app.tasks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_crawl(celery_worker, hub):
    from growth.tasks import run_hub_ingest

    run = services.start_live_ingest(taken_on=DAY, endpoint=hub.url)
    run_hub_ingest.apply_async(args=[run.pk], queue="hub")
    wait_until_finished(run)
    assert run.status == IngestRun.Status.DONE, run.error
    assert HubRepo.objects.filter(snapshot=run.snapshot).count() == 12


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_long_crawl_continues_in_follow_up_tasks(celery_worker, hub, monkeypatch):
    """Each task fetches a bounded number of pages, then queues its own continuation."""
    from growth import tasks

    monkeypatch.setattr(tasks, "PAGES_PER_TASK", 1)
    run = services.start_live_ingest(taken_on=DAY, endpoint=hub.url)
    # The first slice runs here (one page, then a continuation is queued); the worker does the rest.
    assert tasks.run_hub_ingest(run.pk) == IngestRun.Status.RUNNING
    run.refresh_from_db()
    assert run.progress["dataset"]["rows"] == 3
    wait_until_finished(run)
    assert run.status == IngestRun.Status.DONE, run.error
    assert HubRepo.objects.filter(snapshot=run.snapshot).count() == 12
