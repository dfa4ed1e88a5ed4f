import pytest

from tests.hub_api_stub import HubStub


def model_row(i, **extra):
    row = {
        "_id": f"{i:024x}",
        "id": f"user{i % 3}/model-{i}",
        "author": f"user{i % 3}",
        "createdAt": f"2025-0{1 + i % 9}-15T10:00:00.000Z",
        "lastModified": "2025-10-01T00:00:00.000Z",
        "downloads": 10 * i,
        "downloadsAllTime": 100 * i,
        "likes": i,
        "tags": ["robotics", "lerobot"] if i % 2 else ["transformers"],
        "pipeline_tag": "robotics" if i % 2 else "text-generation",
        "library_name": "lerobot" if i % 2 else "transformers",
    }
    row.update(extra)
    return row


def dataset_row(i, **extra):
    row = {
        "_id": f"{i:024x}",
        "id": f"lab{i % 2}/ds-{i}",
        "author": f"lab{i % 2}",
        "createdAt": f"202{4 + i % 2}-03-01T00:00:00.000Z",
        "lastModified": "2025-10-01T00:00:00.000Z",
        "downloads": i,
        "downloadsAllTime": 5 * i,
        "likes": 0,
        "tags": ["LeRobot", "task_categories:robotics"]
        if i % 2
        else ["task_categories:text-generation"],
        "cardData": {"license": "apache-2.0"},
    }
    row.update(extra)
    return row


@pytest.fixture(autouse=True)
def hub_reachable(monkeypatch):
    """Let huggingface_hub talk to the local stand-in even if the suite runs with HF_HUB_OFFLINE=1."""
    from huggingface_hub import constants
    from huggingface_hub.utils import close_session

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    close_session()
    yield
    close_session()


@pytest.fixture
def hub():
    """A running Hub stand-in with 7 models and 5 datasets, 3 repos per page."""
    with HubStub(
        models=[model_row(i) for i in range(1, 8)],
        datasets=[dataset_row(i) for i in range(1, 6)],
        max_page_size=3,
    ) as stub:
        yield stub


class Sleeps(list):
    """Records the waits the crawler asks for instead of waiting (tests stay fast)."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()
