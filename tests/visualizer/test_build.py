"""The indexing-time build on its own (no Django): flags computed from a real recording whose data
was edited on purpose, and an image feature with an undecodable frame."""

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curation.visualizer.build import build


def rewrite_rows(folder, column, transform):
    path = next((folder / "data").rglob("*.parquet"))
    table = pq.read_table(path)
    values = transform(table)
    index = table.schema.get_field_index(column)
    pq.write_table(table.set_column(index, table.schema.field(column), values), path)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(
        tmp_path_factory.mktemp("build") / "images", episodes=5, frames=20, video=False, image=True
    )


def test_a_copied_episode_is_a_near_duplicate(images, tmp_path):
    import shutil

    folder = tmp_path / "dup"
    shutil.copytree(images, folder)

    def copy_episode_0_into_3(table):
        actions = table["action"].to_pylist()
        episodes = table["episode_index"].to_pylist()
        first = [a for a, e in zip(actions, episodes, strict=True) if e == 0]
        rows = iter(first)
        out = [next(rows) if e == 3 else a for a, e in zip(actions, episodes, strict=True)]
        return pa.array(out, type=table.schema.field("action").type)

    rewrite_rows(folder, "action", copy_episode_0_into_3)
    index = build(folder, tmp_path / "out")
    flagged = {e["episode"]: e["flags"] for e in index["episodes"]}
    assert "near_duplicate" in flagged[0] and "near_duplicate" in flagged[3]
    assert "like episode(s) 3" in flagged[0]["near_duplicate"]
    assert not any("near_duplicate" in flagged[e] for e in (1, 2, 4))


def test_an_undecodable_image_is_named_and_the_rest_shown(images, tmp_path):
    import shutil

    folder = tmp_path / "bad-image"
    shutil.copytree(images, folder)
    key = "observation.images.front"

    def break_frame_5_of_episode_1(table):
        cells = table[key].to_pylist()
        episodes = table["episode_index"].to_numpy()
        target = int(pc.index(pa.array(episodes), 1).as_py()) + 5
        cells[target] = {"bytes": b"not a png", "path": None}
        return pa.array(cells, type=table.schema.field(key).type)

    rewrite_rows(folder, key, break_frame_5_of_episode_1)
    index = build(folder, tmp_path / "out")
    import json

    series = json.loads((tmp_path / "out" / "episodes" / "1.json").read_text())
    sprite = series["images"][key]
    assert sprite["failed"] == [5] and "1 of 20 sampled frames" in sprite["problem"]
    assert 5 not in sprite["frames"] and len(sprite["frames"]) == 19
    assert (tmp_path / "out" / sprite["file"]).stat().st_size > 0
    assert index["cameras"] == [{"key": key, "kind": "image"}]


def test_a_folder_without_info_json_is_a_clear_error(tmp_path):
    from curation.visualizer.build import BuildError

    with pytest.raises(BuildError, match=r"meta/info\.json is missing"):
        build(tmp_path, tmp_path / "out")
