"""The Hub-compatible read API, used by the real clients against a real running server.

huggingface_hub and lerobot run in a subprocess with nothing but ``HF_ENDPOINT`` (and ``HF_TOKEN``
where a test says so) pointing at pytest-django's live server: the same HTTP a researcher's
machine would send. Never the Django test client.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import requests
from rest_framework.authtoken.models import Token

from curation.distribution import selectors as dist
from tests.conftest import REPO, STARTING_ENVIRONMENT
from tests.curation.publishing import draft_from_folder, publish_folder

pytestmark = pytest.mark.django_db(transaction=True)

README = b"""---
license: apache-2.0
tags: [LeRobot]
---
# Pick and place

Two episodes of an SO-101 picking a cube. <script>alert(1)</script>
"""


@pytest.fixture
def dataset_folder(v30_dataset, tmp_path):
    folder = tmp_path / "pick_place"
    shutil.copytree(v30_dataset, folder)
    (folder / "README.md").write_bytes(README)
    return folder


@pytest.fixture
def published(dataset_folder, lab, lab_member, curator):
    return publish_folder(
        dataset_folder, lab=lab, by=lab_member, curator=curator, title="Pick place"
    )


@pytest.fixture
def unpublished(dataset_folder, lab, lab_member):
    return draft_from_folder(dataset_folder, lab=lab, by=lab_member, title="Secret draft")


def run_client(code: str, url: str, tmp_path: Path, token: str | None = None) -> dict:
    """Run ``code`` in a fresh Python with HF_ENDPOINT set; it prints one JSON line."""
    env = {
        key: value
        for key, value in STARTING_ENVIRONMENT.items()
        if not key.startswith(("HF_", "HUGGINGFACE_"))
    }
    env.update(
        HF_ENDPOINT=url,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_LEROBOT_HOME=str(tmp_path / "lerobot-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        PYTHONUNBUFFERED="1",
    )
    if token:
        env["HF_TOKEN"] = token
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_huggingface_hub_reads_a_published_dataset(live_server, published, unpublished, tmp_path):
    repo_id = dist.repo_id_of(published.dataset)
    hidden = dist.repo_id_of(unpublished.dataset)
    out = run_client(
        f"""
        import json
        from huggingface_hub import HfApi, hf_hub_download, snapshot_download
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
        api = HfApi()
        result = {{}}
        result["listed"] = sorted(d.id for d in api.list_datasets())
        result["listed_by_author"] = sorted(d.id for d in api.list_datasets(author="{published.dataset.lab.slug}", limit=5))
        info = api.dataset_info("{repo_id}", files_metadata=True)
        result["sha"] = info.sha
        result["siblings"] = sorted((s.rfilename, s.size, s.lfs.sha256) for s in info.siblings)
        refs = api.list_repo_refs("{repo_id}", repo_type="dataset")
        result["branches"] = [(r.name, r.target_commit) for r in refs.branches]
        result["tags"] = sorted((r.name, r.target_commit) for r in refs.tags)
        tree = list(api.list_repo_tree("{repo_id}", repo_type="dataset", recursive=True))
        result["tree_files"] = sorted(f.path for f in tree if hasattr(f, "size"))
        result["top"] = sorted(f.path for f in api.list_repo_tree("{repo_id}", repo_type="dataset"))
        result["meta"] = sorted(f.path for f in api.list_repo_tree("{repo_id}", path_in_repo="meta", repo_type="dataset"))
        paths = api.get_paths_info("{repo_id}", ["meta/info.json", "data", "nope.txt"], repo_type="dataset")
        result["paths"] = sorted((type(p).__name__, p.path) for p in paths)
        result["info_json"] = open(hf_hub_download("{repo_id}", "meta/info.json", repo_type="dataset")).read()
        result["at_tag"] = hf_hub_download("{repo_id}", "README.md", repo_type="dataset", revision="v3.0")
        result["cached"] = snapshot_download("{repo_id}", repo_type="dataset")
        result["snapshot"] = snapshot_download(
            "{repo_id}", repo_type="dataset", local_dir="{tmp_path / "local-copy"}"
        )
        for name, call in (
            ("hidden_info", lambda: api.dataset_info("{hidden}")),
            ("hidden_file", lambda: hf_hub_download("{hidden}", "meta/info.json", repo_type="dataset")),
            ("bad_revision", lambda: api.dataset_info("{repo_id}", revision="version-99")),
        ):
            try:
                call()
                result[name] = "visible"
            except RevisionNotFoundError:
                result[name] = "RevisionNotFound"
            except RepositoryNotFoundError:
                result[name] = "RepoNotFound"
        print(json.dumps(result))
        """,
        live_server.url,
        tmp_path,
    )
    files = {f.path: f for f in published.files.select_related("blob")}
    assert out["listed"] == [repo_id]  # the draft of the same lab is not listed anonymously
    assert out["listed_by_author"] == [repo_id]
    assert out["sha"] == dist.commit_of(published)
    assert out["siblings"] == sorted([p, f.blob.size, f.blob.sha256] for p, f in files.items())
    assert out["branches"] == [["main", out["sha"]]]
    assert ["v3.0", out["sha"]] in out["tags"] and ["version-1", out["sha"]] in out["tags"]
    assert out["tree_files"] == sorted(files)
    assert {"meta", "data", "videos", "README.md"} <= set(out["top"])
    assert "meta/info.json" in out["meta"] and all(p.startswith("meta/") for p in out["meta"])
    assert out["paths"] == [["RepoFile", "meta/info.json"], ["RepoFolder", "data"]]
    assert json.loads(out["info_json"])["codebase_version"] == "v3.0"
    assert out["hidden_info"] == out["hidden_file"] == "RepoNotFound"
    assert out["bad_revision"] == "RevisionNotFound"
    # Both snapshots (the cache's, and a plain folder) are the published version, byte for byte,
    # and the folder validates clean.
    from curation.services import storage

    for snapshot in (Path(out["cached"]), Path(out["snapshot"])):
        downloaded = sorted(
            p.relative_to(snapshot).as_posix()
            for p in snapshot.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(snapshot).parts
        )
        assert downloaded == sorted(files)
        for path, file in files.items():
            with storage.open_blob(file.blob) as handle:
                assert (snapshot / path).read_bytes() == handle.read(), path
    snapshot = Path(out["snapshot"])
    from validators import validate

    report = validate(snapshot, workers=1)
    assert report.valid and not [f for f in report.findings if f.severity == "error"]


def test_a_platform_token_works_as_hf_token(
    live_server, published, unpublished, lab_member, other_lab_member, tmp_path
):
    hidden = dist.repo_id_of(unpublished.dataset)
    code = f"""
        import json
        from huggingface_hub import HfApi
        from huggingface_hub.errors import RepositoryNotFoundError
        api = HfApi()
        try:
            info = api.dataset_info("{hidden}", files_metadata=True)
            seen = [info.private, sorted(s.rfilename for s in info.siblings)]
        except RepositoryNotFoundError:
            seen = "RepoNotFound"
        print(json.dumps({{"listed": sorted(d.id for d in api.list_datasets()), "hidden": seen}}))
        """
    member = Token.objects.create(user=lab_member).key
    outsider = Token.objects.create(user=other_lab_member).key
    as_member = run_client(code, live_server.url, tmp_path / "member", token=member)
    assert hidden in as_member["listed"]
    assert as_member["hidden"] == [True, sorted(unpublished.files.values_list("path", flat=True))]
    as_outsider = run_client(code, live_server.url, tmp_path / "outsider", token=outsider)
    assert hidden not in as_outsider["listed"] and as_outsider["hidden"] == "RepoNotFound"
    # A wrong token is refused, not taken for anonymous.
    bad = requests.get(
        f"{live_server.url}/api/datasets", headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert bad.status_code == 401


def test_lerobot_loads_the_published_dataset_and_decodes_video(live_server, published, tmp_path):
    repo_id = dist.repo_id_of(published.dataset)
    out = run_client(
        f"""
        import json
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        ds = LeRobotDataset("{repo_id}")
        item = ds[len(ds) - 1]
        cameras = ds.meta.video_keys
        print(json.dumps({{
            "revision": ds.revision,
            "episodes": ds.num_episodes,
            "frames": len(ds),
            "cameras": cameras,
            "image_shape": list(item[cameras[0]].shape),
            "image_max": float(item[cameras[0]].max()),
            "state_shape": list(item["observation.state"].shape),
            "task": item["task"],
        }}))
        """,
        live_server.url,
        tmp_path,
    )
    summary = published.report["summary"]
    assert out["revision"] == "v3.0"
    assert out["episodes"] == summary["episodes"] == 2
    assert out["frames"] == summary["frames"]
    assert len(out["image_shape"]) == 3 and out["image_shape"][0] == 3  # decoded frame, C, H, W
    assert out["image_max"] > 0
    assert out["task"] == "pick the cube"


def test_resolve_answers_head_and_ranges_like_the_hub(live_server, published):
    repo_id = dist.repo_id_of(published.dataset)
    file = published.files.select_related("blob").get(path="meta/info.json")
    url = f"{live_server.url}/datasets/{repo_id}/resolve/main/meta/info.json"
    head = requests.head(url, timeout=30)
    assert head.status_code == 200
    assert head.headers["ETag"] == f'"{file.blob.sha256}"'
    assert head.headers["X-Repo-Commit"] == dist.commit_of(published)
    assert int(head.headers["Content-Length"]) == file.blob.size
    whole = requests.get(url, timeout=30).content
    part = requests.get(url, headers={"Range": "bytes=5-14"}, timeout=30)
    assert part.status_code == 206 and part.content == whole[5:15]
    assert part.headers["Content-Range"] == f"bytes 5-14/{file.blob.size}"
    tail = requests.get(url, headers={"Range": f"bytes={file.blob.size - 3}-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == whole[-3:]
    beyond = requests.get(url, headers={"Range": f"bytes={file.blob.size + 10}-"}, timeout=30)
    assert beyond.status_code == 416
    missing = requests.get(url.replace("info.json", "nope.json"), timeout=30)
    assert missing.status_code == 404 and missing.headers["X-Error-Code"] == "EntryNotFound"


def test_zip_of_a_version_streams_and_unpacks_to_the_dataset(live_server, published, tmp_path):
    lab, slug = published.dataset.lab.slug, published.dataset.slug
    url = f"{live_server.url}/datasets/{lab}/{slug}/archive/version-1.zip"
    target = tmp_path / "download.zip"
    with requests.get(url, stream=True, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/zip"
        assert "Content-Length" not in response.headers  # streamed, never sized in advance
        with open(target, "wb") as out:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        archive.extractall(tmp_path / "unzipped")
    root = tmp_path / "unzipped" / f"{slug}-v1"
    unpacked = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert unpacked == sorted(published.files.values_list("path", flat=True))
    from validators import validate

    assert validate(root, workers=1).valid
    os.remove(target)
