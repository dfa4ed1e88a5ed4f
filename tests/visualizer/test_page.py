"""The dataset page as an episode visualizer, server side: what the page and its endpoints return
for real datasets (v3.0 recorded by lerobot, v2.1 and v2.0 layouts, images in parquet), and what
they say about broken ones (missing video, undecodable frames, features without names)."""

import json

import pytest
from django.urls import reverse

from curation.visualizer import store
from tests.visualizer.conftest import copy_of, publish_folder

pytestmark = pytest.mark.django_db


def page_of(client, submission, **params):
    url = reverse("curation:dataset", args=[submission.dataset.lab.slug, submission.dataset.slug])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def config_of(page: str) -> dict:
    start = page.index('<script id="visualizer-config" type="application/json">') + len(
        '<script id="visualizer-config" type="application/json">'
    )
    return json.loads(page[start : page.index("</script>", start)])


def test_v30_page_episode_data_and_video_segments(client, lab_member, lab, curator, recorded):
    submission = publish_folder(recorded, lab_member, lab, curator)
    page = page_of(client, submission)
    assert 'id="episode-histogram"' in page and 'id="episode-table"' in page
    assert "<script>" not in page and " onclick=" not in page  # CSP: no inline code
    config = config_of(page)
    index = config["index"]
    assert [e["episode"] for e in index["episodes"]] == [0, 1, 2]
    assert index["histogram"]["counts"] == [0, 3, 0] and index["histogram"]["edges"] == [
        19,
        20,
        21,
        22,
    ]
    segments = [e["videos"]["observation.images.front"] for e in index["episodes"]]
    # v3.0: the three episodes share one mp4, each with its own [from, to] segment.
    assert len({s["path"] for s in segments}) == 1
    assert [(s["from"], s["to"]) for s in segments] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]
    assert all(e["flags"].get("short") for e in index["episodes"])  # 20 frames < chunk 100
    # Stats: stored beside recomputed, one row per named dimension.
    assert "joint_0" in page and 'id="stats-table"' in page

    data = client.get(reverse("curation:visualizer_episode", args=[submission.pk, 1]))
    assert data.status_code == 200
    series = data.json()
    assert (
        series["length"] == 20 and len(series["t"]) == 20 and series["t"][1] == pytest.approx(0.1)
    )
    assert len(series["series"]["action"]) == 6 and len(series["series"]["action"][0]) == 20

    first = index["episodes"][1]["frames"]["observation.images.front"]["first"]
    thumb = client.get(reverse("curation:visualizer_asset", args=[submission.pk, first]))
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"


def test_video_is_served_with_http_ranges(client, lab_member, lab, curator, recorded):
    submission = publish_folder(recorded, lab_member, lab, curator)
    path = config_of(page_of(client, submission))["index"]["episodes"][0]["videos"][
        "observation.images.front"
    ]["path"]
    url = reverse("curation:visualizer_video", args=[submission.pk, path])
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "video/mp4" and len(body) == int(whole["Content-Length"])
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert b"".join(part.streaming_content) == body[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == body[-10:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(body)}-").status_code == 416
    # Only the version's own videos, only for those who may see the version.
    assert (
        client.get(
            reverse("curation:visualizer_video", args=[submission.pk, "meta/info.json"])
        ).status_code
        == 404
    )


def test_unpublished_version_is_private(client, lab_member, lab, curator, researcher, recorded):
    submission = publish_folder(recorded, lab_member, lab, curator, approve=False)
    client.force_login(researcher)
    assert (
        client.get(reverse("curation:visualizer_episode", args=[submission.pk, 0])).status_code
        == 404
    )
    client.force_login(curator)  # the curator's preview before approval
    assert (
        client.get(reverse("curation:visualizer_episode", args=[submission.pk, 0])).status_code
        == 200
    )
    assert "episode-table" in page_of(client, submission, version=submission.version)


def test_out_of_range_episode_gets_a_clear_message(client, lab_member, lab, curator, recorded):
    submission = publish_folder(recorded, lab_member, lab, curator)
    page = page_of(client, submission, episode=7)
    assert "Episode 7 does not exist in this version: it has 3 episode(s), numbered 0-2." in page
    assert "No state or action columns" not in page
    missing = client.get(reverse("curation:visualizer_episode", args=[submission.pk, 7]))
    assert missing.status_code == 404 and "episodes 0-2" in missing.json()["error"]
    # Not a number at all: a 400 naming the parameter, as every query number (config.params).
    url = reverse("curation:dataset", args=[lab.slug, submission.dataset.slug])
    bad = client.get(url, {"episode": "x"})
    assert bad.status_code == 400 and "episode must be a whole number" in bad.content.decode()


def test_missing_video_and_feature_without_names(
    client, lab_member, lab, curator, recorded, tmp_path
):
    folder = copy_of(recorded, tmp_path)
    next((folder / "videos").rglob("*.mp4")).unlink()
    info = json.loads((folder / "meta" / "info.json").read_text())
    info["features"]["observation.state"]["names"] = None
    (folder / "meta" / "info.json").write_text(json.dumps(info))
    submission = publish_folder(folder, lab_member, lab, curator, approve=False)
    client.force_login(lab_member)
    page = page_of(client, submission, version=1)
    assert "observation.state: info.json gives no names for its 6 dimension(s)" in page
    episode = config_of(page)["index"]["episodes"][0]
    assert "is missing" in episode["videos"]["observation.images.front"]["problem"]
    assert "is missing" in episode["frames"]["observation.images.front"]["problem"]
    # The charts still come, with index names for the unnamed feature.
    names = {f["name"]: f["names"] for f in config_of(page)["index"]["features"]}
    assert names["observation.state"][0] == "observation.state[0]"
    assert (
        client.get(reverse("curation:visualizer_episode", args=[submission.pk, 0])).status_code
        == 200
    )


def test_undecodable_video_frames_are_reported(
    client, lab_member, lab, curator, recorded, tmp_path
):
    folder = copy_of(recorded, tmp_path)
    video = next((folder / "videos").rglob("*.mp4"))
    video.write_bytes(video.read_bytes()[:400])  # truncated: no frame can be decoded
    submission = publish_folder(folder, lab_member, lab, curator, approve=False)
    client.force_login(lab_member)
    page = page_of(client, submission, version=1)
    frames = config_of(page)["index"]["episodes"][0]["frames"]["observation.images.front"]
    assert "undecodable" in frames["problem"] and "first" not in frames


def test_images_in_parquet_become_sprites(client, lab_member, lab, curator, tmp_path):
    from validators.synthetic import make_v30_dataset

    folder = make_v30_dataset(tmp_path / "images", episodes=2, frames=15, video=False, image=True)
    submission = publish_folder(folder, lab_member, lab, curator)
    series = client.get(reverse("curation:visualizer_episode", args=[submission.pk, 1])).json()
    sprite = series["images"]["observation.images.front"]
    assert sprite["frames"] == list(range(15)) and sprite["w"] == 64 and sprite["h"] == 48
    image = client.get(reverse("curation:visualizer_asset", args=[submission.pk, sprite["file"]]))
    assert image.status_code == 200


@pytest.mark.parametrize("maker", ["make_v21_dataset", "make_v20_dataset"])
def test_v2_layouts(client, lab_member, lab, curator, tmp_path, maker):
    import validators.synthetic as synthetic

    folder = getattr(synthetic, maker)(tmp_path / maker, episodes=2)
    submission = publish_folder(folder, lab_member, lab, curator)
    page = page_of(client, submission, episode=1)
    index = config_of(page)["index"]
    seg = index["episodes"][1]["videos"]["observation.images.front"]
    assert seg["path"].endswith("episode_000001.mp4") and (seg["from"], seg["to"]) == (0.0, 1.2)
    assert index["stats"][0]["stored"]["min"] is not None
    assert "convert your copy" in page  # lerobot-edit-dataset needs v3.0


def test_stats_disagreement_is_highlighted(client, lab_member, lab, curator, recorded, tmp_path):
    folder = copy_of(recorded, tmp_path)
    stats = json.loads((folder / "meta" / "stats.json").read_text())
    stats["action"]["max"] = [v + 5 for v in stats["action"]["max"]]
    (folder / "meta" / "stats.json").write_text(json.dumps(stats))
    submission = publish_folder(folder, lab_member, lab, curator, approve=False)
    client.force_login(lab_member)
    page = page_of(client, submission, version=1)
    rows = config_of(page)["index"]["stats"]
    action = [r for r in rows if r["feature"] == "action"]
    assert action and all(r["disagrees"] for r in action)
    assert not any(r["disagrees"] for r in rows if r["feature"] == "observation.state")
    assert action[0]["stored"]["max"] == pytest.approx(action[0]["recomputed"]["max"] + 5, abs=1e-3)
    assert 'class="vis-disagree"' in page
    # The Doctor section lists the validator's findings, the stats mismatch among them.
    doctor = page[page.index('id="doctor-view"') :]
    assert "stats.mismatch" in doctor[: doctor.index("visualizer-config")]


def test_page_without_visualizer_data_says_so(client, lab_member, lab, curator):
    from curation.services import workflow
    from tests.curation.conftest import add_file, to_ready

    submission = workflow.submission_create(user=lab_member, lab=lab, title="Old version")
    add_file(submission, lab_member)
    to_ready(submission, lab_member)
    submission = workflow.submission_approve(submission_id=submission.pk, user=curator)
    assert store.load_index(submission.pk) is None
    assert "has not been built yet" in page_of(client, submission)


def test_curator_reaches_the_preview_from_the_submission(
    client, lab_member, lab, curator, recorded
):
    submission = publish_folder(recorded, lab_member, lab, curator, approve=False)
    client.force_login(curator)
    detail = client.get(reverse("curation:submission", args=[submission.pk])).content.decode()
    assert 'id="visualizer-preview"' in detail
    assert f"?version={submission.version}#episode-view" in detail


def test_build_command_backfills_versions(lab_member, lab, curator, recorded):
    from django.core.management import call_command

    submission = publish_folder(recorded, lab_member, lab, curator)
    store._delete_tree(store.ROOT)  # as if validated before the visualizer existed
    assert store.load_index(submission.pk) is None
    call_command("build_visualizer", "--missing")
    assert [e["episode"] for e in store.load_index(submission.pk)["episodes"]] == [0, 1, 2]
