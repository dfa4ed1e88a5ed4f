"""Listing rows shaped like what the Hub really returns: every expanded field (and the ones we
never ask for but get anyway), fields left out, nulls and the odd dates old repos carry. Each
expected value is written out by hand from the row, not taken from the code under test."""

from datetime import UTC, date, datetime

import pytest

from growth import hub_client, selectors, services
from growth.models import DomainStat, HubRepo, IngestRun
from tests.hub_api_stub import HubStub

DAY = date(2026, 11, 20)

# /api/models?expand=... for a LeRobot policy: every field the Hub can send, nested nulls included.
SMOLVLA = {
    "_id": "6834a1f2b3c4d5e6f7a8b9c0",
    "id": "lerobot/smolvla_base",
    "modelId": "lerobot/smolvla_base",
    "author": "lerobot",
    "sha": "2f6a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
    "createdAt": "2025-05-26T12:01:02.000Z",
    "lastModified": "2025-06-03T08:44:10.000Z",
    "private": False,
    "disabled": False,
    "gated": False,
    "downloads": 12345,
    "downloadsAllTime": 456789,
    "likes": 321,
    "trendingScore": 12,
    "tags": [
        "lerobot",
        "safetensors",
        "robotics",
        "smolvla",
        "arxiv:2506.01844",
        "license:apache-2.0",
        "region:us",
    ],
    "pipeline_tag": "robotics",
    "library_name": "lerobot",
    "baseModels": {
        "relation": "finetune",
        "models": [{"_id": "67f0", "id": "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"}],
    },
    "cardData": {
        "license": "apache-2.0",
        "library_name": "lerobot",
        "pipeline_tag": "robotics",
        "base_model": None,
        "datasets": ["lerobot/svla_so101_pickplace"],
    },
    "config": {"architectures": None, "model_type": None},
    "safetensors": {"parameters": {"F32": 450046212}, "total": 450046212},
    "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}],
    "spaces": [],
    "inference": "cold",
    "inferenceProviderMapping": [],
    "childrenModelCount": 41,
    "widgetData": None,
    "transformersInfo": None,
    "model-index": None,
    "mask_token": None,
    "gguf": None,
    "resourceGroup": None,
    "xetEnabled": True,
}

# A model from before the Hub recorded creation dates: the placeholder date every such repo got,
# no author field, a base model list without a relation the Hub knows and most counts null.
OLD_BERT = {
    "_id": "621ffdc036468d709f174338",
    "id": "google-bert/bert-base-uncased",
    "createdAt": "2022-03-02T23:29:04.000Z",
    "lastModified": "2024-02-19T11:06:12.000Z",
    "downloads": None,
    "likes": None,
    "tags": None,
    "pipeline_tag": "fill-mask",
    "library_name": "transformers",
    "baseModels": None,
}

# The least the Hub sends when a field was not expanded or is unknown: an id and nothing else.
BARE_MODEL = {"_id": "0123456789abcdef01234567", "id": "someone/bare"}

# A dataset row, with the dataset-only fields (cardData with its nested task categories).
SO101_DATASET = {
    "_id": "67a0b1c2d3e4f5a6b7c8d9e0",
    "id": "lerobot/svla_so101_pickplace",
    "author": "lerobot",
    "sha": "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00",
    "createdAt": "2025-04-30T09:15:00Z",  # no milliseconds: the Hub sends both forms
    "lastModified": "2025-05-02T10:00:00.123456Z",
    "private": False,
    "disabled": False,
    "gated": "auto",
    "downloads": 2048,
    "downloadsAllTime": 9000,
    "likes": 17,
    "trendingScore": 0,
    "tags": [
        "task_categories:robotics",
        "license:apache-2.0",
        "size_categories:10K<n<100K",
        "format:parquet",
        "modality:video",
        "library:datasets",
        "LeRobot",
        "region:us",
    ],
    "cardData": {
        "license": "apache-2.0",
        "task_categories": ["robotics"],
        "tags": ["LeRobot"],
        "configs": [{"config_name": "default", "data_files": "data/*/*.parquet"}],
    },
    "description": None,
    "citation": None,
    "paperswithcode_id": None,
    "siblings": [],
    "xetEnabled": False,
}

# A gated dataset whose listing leaves out every count and the dates.
GATED_DATASET = {"_id": "abcdefabcdefabcdefabcdef", "id": "bigorg/gated-set", "gated": "manual"}


def parsed(row, repo_type):
    return hub_client.parse_row(row, repo_type, DAY)


def test_a_full_model_row_keeps_what_we_store_and_ignores_the_rest():
    assert parsed(SMOLVLA, "model") == {
        "repo_type": "model",
        "id": "lerobot/smolvla_base",
        "author": "lerobot",
        "createdAt": datetime(2025, 5, 26, 12, 1, 2, tzinfo=UTC),
        "lastModified": datetime(2025, 6, 3, 8, 44, 10, tzinfo=UTC),
        "downloads": 12345,
        "downloadsAllTime": 456789,
        "likes": 321,
        "tags": SMOLVLA["tags"],
        "pipeline_tag": "robotics",
        "library_name": "lerobot",
        "baseModels": {
            "relation": "finetune",
            "models": [{"id": "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"}],
        },
        "snapshot_date": DAY,
    }


def test_nulls_and_missing_fields_get_empty_values():
    old = parsed(OLD_BERT, "model")
    assert old["author"] == "google-bert"  # no author field: the namespace
    assert (old["downloads"], old["downloadsAllTime"], old["likes"]) == (0, 0, 0)
    assert old["tags"] == [] and old["baseModels"] is None
    assert old["createdAt"] == datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)

    assert parsed(BARE_MODEL, "model") == {
        "repo_type": "model",
        "id": "someone/bare",
        "author": "someone",
        "createdAt": None,
        "lastModified": None,
        "downloads": 0,
        "downloadsAllTime": 0,
        "likes": 0,
        "tags": [],
        "pipeline_tag": None,
        "library_name": None,
        "baseModels": None,
        "snapshot_date": DAY,
    }


def test_dataset_rows_full_and_gated():
    so101 = parsed(SO101_DATASET, "dataset")
    assert so101["createdAt"] == datetime(2025, 4, 30, 9, 15, tzinfo=UTC)
    assert so101["lastModified"] == datetime(2025, 5, 2, 10, 0, 0, 123456, tzinfo=UTC)
    assert (so101["downloads"], so101["downloadsAllTime"], so101["likes"]) == (2048, 9000, 17)
    assert so101["tags"] == SO101_DATASET["tags"]
    assert (so101["pipeline_tag"], so101["library_name"], so101["baseModels"]) == (None,) * 3
    gated = parsed(GATED_DATASET, "dataset")
    assert (gated["id"], gated["author"], gated["createdAt"]) == (
        "bigorg/gated-set",
        "bigorg",
        None,
    )
    assert (gated["downloads"], gated["likes"], gated["tags"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01T12:00:00.000Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00.5Z", datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999Z", datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)),
        ("1970-01-01T00:00:00.000Z", datetime(1970, 1, 1, tzinfo=UTC)),
        (None, None),
        ("", None),  # an empty date is no date
    ],
)
def test_dates_in_the_forms_the_hub_sends(raw, expected):
    assert parsed({"id": "a/b", "createdAt": raw}, "model")["createdAt"] == expected


@pytest.mark.parametrize(
    "raw", ["2024-05-01T12:00:00+02:00", "2024-05-01", "yesterday", "2024-13-01T00:00:00Z"]
)
def test_dates_in_other_forms_are_refused_with_the_value(raw):
    with pytest.raises(ValueError, match="Cannot parse"):
        parsed({"id": "a/b", "createdAt": raw}, "model")


@pytest.mark.django_db
def test_a_live_ingest_of_realistic_rows(sleeps):
    """The whole crawl with the rows above and two the Hub could not describe properly."""
    models = [SMOLVLA, OLD_BERT, {"id": "x/odd", "createdAt": "2024-05-01"}, BARE_MODEL]
    datasets = [SO101_DATASET, GATED_DATASET]
    with HubStub(models=models, datasets=datasets, max_page_size=2) as stub:
        run = services.start_live_ingest(taken_on=DAY, endpoint=stub.url)
        run = services.run_live_ingest(run.pk, sleep=sleeps)
    assert run.status == IngestRun.Status.DONE
    # The date-only row is reported (where and why) and skipped; the rest are stored.
    assert run.malformed_count == 1
    [bad] = run.malformed_sample
    assert (bad["repo_type"], bad["position"], bad["id"]) == ("model", 2, "x/odd")
    assert "2024-05-01" in bad["error"]
    snapshot = run.snapshot
    assert (snapshot.models_count, snapshot.datasets_count) == (3, 2)
    stored = {r.repo_id: r for r in HubRepo.objects.filter(snapshot=snapshot)}
    assert set(stored) == {
        "lerobot/smolvla_base",
        "google-bert/bert-base-uncased",
        "someone/bare",
        "lerobot/svla_so101_pickplace",
        "bigorg/gated-set",
    }
    assert stored["someone/bare"].created_at is None
    assert stored["lerobot/smolvla_base"].downloads_all_time == 456789

    # Robotics: the SmolVLA policy (pipeline_tag robotics) and the SO-101 dataset only.
    robotics_models = DomainStat.objects.get(
        snapshot=snapshot, domain="robotics", repo_type="model"
    )
    assert (robotics_models.repos, robotics_models.downloads_all_time) == (1, 456789)
    years = {
        r["period"]: r for r in selectors.creation_series(snapshot, "robotics", "model", "year")
    }
    # Creation years of the stored models: 2022 (BERT's placeholder) and 2025 (SmolVLA); the bare
    # model has no date and is counted in no year.
    assert (years["2022"]["created"], years["2022"]["hub_created"]) == (0, 1)
    assert (years["2025"]["created"], years["2025"]["hub_created"]) == (1, 1)
    assert sum(r["hub_created"] for r in years.values()) == 2
