"""Catalogue search and facets, and the dataset page (plots, histogram, preview frames), on a
dataset recorded with lerobot and validated by the real validator in-process."""

from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from curation.models import DatasetIndex, Submission
from curation.services import catalogue, storage, uploads, workflow
from tests.curation.conftest import add_file, report_dict, to_ready

pytestmark = pytest.mark.django_db


def publish_real(folder, user, lab, curator, title="Pick and place", domain="manipulation"):
    from validators import validate

    submission = workflow.submission_create(user=user, lab=lab, title=title, domain=domain)
    uploads.ingest_folder(submission, folder)
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)
    work = storage.materialise(submission)
    try:
        report = validate(work).to_dict()
    finally:
        storage.dematerialise(work)
    workflow.submission_validation_finished(submission_id=submission.pk, report=report)
    return workflow.submission_approve(submission_id=submission.pk, user=curator)


def publish(user, lab, curator, title, **report_kw):
    submission = workflow.submission_create(
        user=user, lab=lab, title=title, domain=report_kw.pop("domain", "")
    )
    add_file(submission, user, content=title.encode())
    to_ready(submission, user, **report_kw)
    return workflow.submission_approve(submission_id=submission.pk, user=curator)


@pytest.fixture
def published(lab_member, lab, curator, other_lab_member, other_lab):
    a = publish(
        lab_member,
        lab,
        curator,
        "Cube stacking",
        robot_type="so101_follower",
        cameras=("observation.images.wrist", "observation.images.front"),
        tasks=("stack the cubes",),
        episodes=50,
        domain="manipulation",
    )
    b = publish(
        other_lab_member,
        other_lab,
        curator,
        "Corridor driving",
        robot_type="lekiwi",
        cameras=("observation.images.front",),
        tasks=("drive to the door",),
        episodes=5,
        domain="navigation",
    )
    return a, b


def search(client, **params):
    response = client.get(reverse("curation:api_catalogue"), params)
    assert response.status_code == 200
    return response.json()


def titles(data):
    return sorted(r["title"] for r in data["results"])


def test_full_text_and_facets(client, published):
    assert titles(search(client)) == ["Corridor driving", "Cube stacking"]
    assert titles(search(client, q="cubes")) == ["Cube stacking"]
    assert titles(search(client, q="door")) == ["Corridor driving"]
    assert titles(search(client, camera="wrist")) == ["Cube stacking"]
    assert titles(search(client, robot_type="lekiwi")) == ["Corridor driving"]
    assert titles(search(client, cameras="2")) == ["Cube stacking"]
    assert titles(search(client, domain="navigation")) == ["Corridor driving"]
    assert titles(search(client, task="stack the cubes")) == ["Cube stacking"]
    assert titles(search(client, episodes_min="10")) == ["Cube stacking"]
    assert titles(search(client, frames_max="100")) == ["Corridor driving"]
    assert titles(search(client, codebase_version="v3.0", fps="10")) == [
        "Corridor driving",
        "Cube stacking",
    ]
    facets = search(client, camera="wrist")["facets"]
    # A chosen facet keeps its siblings; the others count within the selection.
    assert {f["value"]: f["count"] for f in facets["camera"]} == {"front": 2, "wrist": 1}
    assert {f["value"]: f["count"] for f in facets["robot_type"]} == {"so101_follower": 1}


def test_unpublished_versions_are_not_in_the_catalogue(client, published, draft):
    assert len(search(client)["results"]) == 2
    page = client.get(reverse("curation:catalogue"), {"camera": "wrist"}).content.decode()
    assert "Cube stacking" in page and "Corridor driving" not in page
    assert "50 episodes · 10 fps · 2 cameras 64×48 av1 · so101_follower" in page  # noqa: RUF001


def test_catalogue_pagination(client, lab_member, lab, curator):
    for i in range(23):
        publish(lab_member, lab, curator, f"Dataset {i:02d}")
    first = client.get(reverse("curation:catalogue")).content.decode()
    assert "Page 1 of 2" in first and "23 datasets" in first
    second = client.get(reverse("curation:catalogue"), {"page": 2}).content.decode()
    assert second.count('class="result"') == 3


def test_earlier_versions_stay_on_the_dataset_page(client, published, lab_member, curator):
    first = published[0]
    v2 = workflow.submission_create(
        user=lab_member, lab=first.dataset.lab, title="", dataset=first.dataset
    )
    add_file(v2, lab_member, content=b"v2")
    to_ready(v2, lab_member, episodes=60)
    workflow.submission_approve(submission_id=v2.pk, user=curator)
    assert [r["version"] for r in search(client, q="cube")["results"]] == [2]
    assert len(search(client, q="cube", all_versions="1")["results"]) == 2
    url = reverse("curation:dataset", args=[first.dataset.lab.slug, first.dataset.slug])
    page = client.get(url).content.decode()
    assert "60 episodes" in page and "v1" in page and "v2" in page
    assert "50 episodes" in client.get(url, {"version": 1}).content.decode()


def test_dataset_page_with_real_data(client, lab_member, lab, curator, v30_dataset):
    from curation.visualizer.store import submission_index

    submission = publish_real(v30_dataset, lab_member, lab, curator)
    submission_index(submission.pk)  # what the pipeline does after validating
    url = reverse("curation:dataset", args=[lab.slug, submission.dataset.slug])
    page = client.get(url, {"episode": 1}).content.decode()
    assert "2 episodes · 10 fps · 1 camera 64×48 h264 · so101_follower" in page  # noqa: RUF001
    assert "pick the cube" in page
    assert 'id="episode-histogram"' in page and 'id="episode-table"' in page
    series = client.get(reverse("curation:visualizer_episode", args=[submission.pk, 1])).json()
    assert len(series["series"]["observation.state"]) == 6 and len(series["series"]["action"]) == 6
    png = client.get(
        reverse("curation:camera_preview", args=[submission.pk, "observation.images.front"])
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    from django.core.files.storage import default_storage

    video = submission.files.get(path__startswith="videos/")
    assert default_storage.exists(f"previews/{video.blob_id}.png")  # cached for the next visitor


def test_preview_of_a_broken_video_is_a_clear_404_not_a_crash(
    client, lab_member, lab, curator, v30_dataset, tmp_path
):
    import shutil

    broken = tmp_path / "b"
    shutil.copytree(v30_dataset, broken)
    video = next((broken / "videos").rglob("*.mp4"))
    video.write_bytes(video.read_bytes()[:300])
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Broken video")
    uploads.ingest_folder(submission, broken)
    response = client.get(
        reverse("curation:camera_preview", args=[submission.pk, "observation.images.front"])
    )
    assert response.status_code == 404  # anonymous: unpublished submissions are invisible
    client.force_login(lab_member)
    response = client.get(
        reverse("curation:camera_preview", args=[submission.pk, "observation.images.front"])
    )
    assert response.status_code == 404 and b"could not decode" in response.content


def test_index_rows_follow_the_report(lab_member, lab, curator):
    s = publish(lab_member, lab, curator, "X", cameras=(), episodes=3)
    row = DatasetIndex.objects.get(submission=s)
    assert (row.num_cameras, row.episodes, row.frames) == (0, 3, 36)
    assert (
        catalogue.card_line(report_dict(cameras=())["summary"])
        == "2 episodes · 10 fps · so101_follower"
    )
    assert Submission.objects.get(pk=s.pk).index_row == row


def test_v21_dataset_page_plots_and_preview(client, lab_member, lab, curator, tmp_path):
    from curation.visualizer.store import submission_index
    from validators.synthetic import make_v21_dataset

    folder = make_v21_dataset(tmp_path / "v21")
    submission = publish_real(folder, lab_member, lab, curator, title="Older layout")
    submission_index(submission.pk)
    page = client.get(
        reverse("curation:dataset", args=[lab.slug, submission.dataset.slug]), {"episode": 1}
    ).content.decode()
    assert "v2.1" in page and 'id="episode-table"' in page
    series = client.get(reverse("curation:visualizer_episode", args=[submission.pk, 1])).json()
    assert series["length"] == 12 and len(series["series"]["action"]) == 6
    camera = submission.report["summary"]["cameras"][0]["key"]
    png = client.get(reverse("curation:camera_preview", args=[submission.pk, camera]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_dataset_page_offers_the_inference_check_and_hub_citations(
    client, lab_member, lab, curator, v30_dataset
):
    from curation.models import Policy

    submission = publish_real(v30_dataset, lab_member, lab, curator)
    Policy.objects.create(name="tiny smolvla", path="/srv/policies/tiny")
    client.force_login(curator)
    page = client.get(reverse("curation:dataset", args=[lab.slug, submission.dataset.slug]))
    html = page.content.decode()
    assert "Hub models citing this dataset" in html
    assert "not published on the Hugging Face Hub" in html  # uploaded here, not imported
    assert 'id="inference-panel"' in html
    assert f'name="dataset_version_id" value="{submission.pk}"' in html


def test_inference_runs_check_the_version_laid_out_from_storage(
    lab_member, lab, curator, v30_dataset
):
    """The inference check's resolver builds the version's folder from the stored blobs."""
    from curation.inference.services import dataset_folder
    from curation.models import InferenceRun

    submission = publish_real(v30_dataset, lab_member, lab, curator)
    run = InferenceRun(dataset_version_id=submission.pk, dataset_path="")
    with dataset_folder(run) as folder:
        laid_out = Path(folder)
        assert (laid_out / "meta" / "info.json").read_bytes() == (
            v30_dataset / "meta" / "info.json"
        ).read_bytes()
        assert sorted(p.name for p in laid_out.rglob("*.parquet")) == sorted(
            p.name for p in v30_dataset.rglob("*.parquet")
        )
    assert not laid_out.exists()  # cleaned up afterwards


def test_dataset_and_submission_pages_say_which_lerobot_can_load_it(
    client, lab_member, lab, curator, tmp_path
):
    """lerobot 0.6's language columns: 0.4.x and 0.5.x cannot load the dataset, and both pages
    say so, row by row, with the reason."""
    import re

    from validators.synthetic import make_v30_dataset

    folder = make_v30_dataset(tmp_path / "so101_talk", language=True)
    submission = publish_real(folder, lab_member, lab, curator, title="With language")
    page = client.get(
        reverse("curation:dataset", args=[lab.slug, submission.dataset.slug])
    ).content.decode()

    def row(html, release):
        return re.search(rf'<tr id="compat-{release}">(.*?)</tr>', html, re.S).group(1)

    assert 'id="lerobot-compatibility"' in page
    for release in ("04x", "05x"):
        assert ">no<" in row(page, release) and "language_persistent" in row(page, release)
    assert ">yes<" in row(page, "06x")
    client.force_login(lab_member)
    own = client.get(reverse("curation:submission", args=[submission.pk])).content.decode()
    assert ">no<" in row(own, "04x") and ">yes<" in row(own, "06x")
