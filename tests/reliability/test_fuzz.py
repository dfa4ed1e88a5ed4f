"""Fuzzing the validator: mutated copies of small valid datasets (bytes flipped, truncated or
zeroed in parquet, json, jsonl and mp4 files; random edits of info.json), and structural damage
(JSON of every wrong shape in info.json, stats.json and the episode metadata; parquet files with
odd schemas: type swaps, nested and null types, duplicated or missing columns).

``validate()`` must always return one JSON report and never raise (no crash), never report
``check.failed`` (a check that gave up is a validator bug, hidden as a warning), report a
truncated metadata or data file as invalid, and finish within a bound (no hang).

Each case runs in a long-lived child process (``fuzz_child.py``) that the test kills and restarts
if a case takes longer than ``CASE_TIMEOUT_S``: that is a liveness bound, not a timing assertion.
``FUZZ_EXAMPLES`` (default 40) sets the number of cases. The suite runs a fixed, reproducible
set of cases (hypothesis ``derandomize``), so CI fails on a regression and never on a new random
draw; ``FUZZ_RANDOM=1 FUZZ_EXAMPLES=500`` explores new cases by hand, and each bug it finds gets a
regression test of its own (e.g. tests/validators/test_layout_and_info.py).
"""

import json
import os
import random
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.reliability.conftest import tried

CASE_TIMEOUT_S = 120
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
STATS = {"cases": 0, "invalid": 0, "valid": 0, "codes": set()}


class Child:
    def __init__(self):
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.fuzz_child"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )

    def run(self, path: Path) -> dict:
        if self.process is None or self.process.poll() is not None:
            self.start()
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], CASE_TIMEOUT_S)
        if not ready:
            self.stop()
            return {"ok": False, "error": f"hang: no answer within {CASE_TIMEOUT_S}s"}
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.process = None
            return {"ok": False, "error": f"the validator process died (exit code {code})"}
        return json.loads(line)

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="module")
def child():
    process = Child()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    from validators.synthetic import make_v21_dataset, make_v30_dataset

    root = tmp_path_factory.mktemp("fuzz-sources")
    return {
        "v3.0": make_v30_dataset(root / "v30"),
        "v2.1": make_v21_dataset(root / "v21"),
    }


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def flip(data: bytes, rnd: random.Random, count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        if out:
            i = rnd.randrange(len(out))
            out[i] ^= 1 << rnd.randrange(8)
    return bytes(out)


def zero(data: bytes, rnd: random.Random, length: int) -> bytes:
    if not data:
        return data
    start = rnd.randrange(len(data))
    return data[:start] + bytes(min(length, len(data) - start)) + data[start + length :]


def truncate(data: bytes, rnd: random.Random, _n: int) -> bytes:
    return data[: rnd.randrange(len(data) + 1)]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)  # fmt: skip
INFO_KEYS = [
    "codebase_version", "fps", "total_episodes", "total_frames", "total_tasks", "chunks_size",
    "data_path", "video_path", "features", "robot_type", "splits", "total_chunks", "total_videos",
]  # fmt: skip


def edit_info(info: dict, key: str, value, how: str, feature_edit: str) -> dict:
    if how == "delete":
        info.pop(key, None)
    elif how == "set":
        info[key] = value
    elif how == "feature" and isinstance(info.get("features"), dict) and info["features"]:
        name = sorted(info["features"])[len(key) % len(info["features"])]
        if feature_edit == "drop":
            info["features"].pop(name)
        else:
            spec = info["features"][name]
            if isinstance(spec, dict):
                spec[feature_edit] = value
    return info


MUTATION = st.tuples(
    st.sampled_from(["flip", "zero", "truncate"]),
    st.integers(min_value=1, max_value=64),
)
INFO_EDIT = st.tuples(
    st.sampled_from(INFO_KEYS),
    JSON_VALUES,
    st.sampled_from(["delete", "set", "feature"]),
    st.sampled_from(["dtype", "shape", "names", "drop", "info"]),
)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Each case runs a whole validation: shrinking takes many minutes; the failing case's edits
    # are in the assertion message instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    version=st.sampled_from(["v3.0", "v2.1"]),
    targets=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
    info_edits=st.lists(INFO_EDIT, max_size=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_validator_survives_mutated_datasets(
    child, datasets, tmp_path_factory, version, targets, mutations, info_edits, seed
):
    source = datasets[version]
    folder = tmp_path_factory.mktemp("case")
    shutil.rmtree(folder)
    shutil.copytree(source, folder)
    rnd = random.Random(seed)
    files = _files(folder)
    done = []
    truncated_for_sure = False
    for target, (kind, n) in zip(targets, mutations, strict=False):
        rel = files[target % len(files)]
        path = folder / rel
        before = path.read_bytes()
        after = {"flip": flip, "zero": zero, "truncate": truncate}[kind](before, rnd, n)
        path.write_bytes(after)
        done.append(f"{kind}({n}) {rel}")
        # A metadata or data file cut short can never be right (a parquet loses its footer, a
        # JSON file its closing brace); an mp4 that lost a tenth of its bytes loses frames.
        shorter = kind == "truncate" and len(after) < len(before)
        if shorter and (
            rel.endswith((".parquet", ".json"))
            or (rel.endswith(".mp4") and len(after) < 0.9 * len(before))
        ):
            truncated_for_sure = True
    info_path = folder / "meta" / "info.json"
    if info_edits:
        try:
            info = json.loads(info_path.read_text())
        except (ValueError, UnicodeDecodeError):
            info = None
        if isinstance(info, dict):
            for key, value, how, feature_edit in info_edits:
                info = edit_info(info, key, value, how, feature_edit)
                done.append(f"info.json {how} {key}")
            info_path.write_text(json.dumps(info))
    started = time.monotonic()
    answer = child.run(folder)
    elapsed = time.monotonic() - started
    shutil.rmtree(folder, ignore_errors=True)
    STATS["cases"] += 1
    assert answer["ok"], f"{version} {done}:\n{answer['error']}"
    assert "check.failed" not in answer["codes"], f"{version} {done}: {answer['failed']}"
    if truncated_for_sure:
        assert not answer["valid"], f"{version} {done}: a truncated file was reported valid"
    STATS["valid" if answer["valid"] else "invalid"] += 1
    STATS["codes"].update(answer["codes"])
    STATS.setdefault("slowest", 0.0)
    STATS["slowest"] = max(STATS["slowest"], elapsed)


# -- structural fuzzing: wrong shapes, not wrong bytes ----------------------------------------

JSON_SHAPES = ["replace", "delete", "wrap_in_list", "stringify", "extra_key", "null"]


def mutate_json(doc, data, depth: int = 0):
    """Walk into ``doc`` along drawn keys/indices and damage the node reached."""
    if isinstance(doc, (dict, list)) and doc and depth < 5 and data.draw(st.booleans()):
        keys = sorted(doc) if isinstance(doc, dict) else list(range(len(doc)))
        key = keys[data.draw(st.integers(0, len(keys) - 1))]
        doc[key] = mutate_json(doc[key], data, depth + 1)
        return doc
    how = data.draw(st.sampled_from(JSON_SHAPES))
    if how == "replace":
        return data.draw(JSON_VALUES)
    if how == "delete" and isinstance(doc, dict) and doc:
        doc.pop(sorted(doc)[data.draw(st.integers(0, len(doc) - 1))])
        return doc
    if how == "wrap_in_list":
        return [doc]
    if how == "stringify":
        return json.dumps(doc)
    if how == "extra_key" and isinstance(doc, dict):
        doc[data.draw(st.text(max_size=12))] = data.draw(JSON_VALUES)
        return doc
    return None


def odd_array(kind: str, rows: int, rnd: random.Random) -> pa.Array:
    """A column of ``rows`` values of an unusual Arrow type."""
    if kind == "strings":
        return pa.array([f"v{rnd.random()}" for _ in range(rows)])
    if kind == "nulls":
        return pa.nulls(rows)
    if kind == "struct":
        return pa.array([{"a": rnd.random(), "b": [1, 2]} for _ in range(rows)])
    if kind == "nested_list":
        return pa.array([[[rnd.random()] * 2] * 3 for _ in range(rows)])
    if kind == "dictionary":
        return pa.array(["x", "y"] * (rows // 2) + ["x"] * (rows % 2)).dictionary_encode()
    if kind == "float16":
        return pa.array(np.full(rows, 1.5, dtype=np.float16))
    if kind == "bool":
        return pa.array([rnd.random() > 0.5 for _ in range(rows)])
    if kind == "ragged":
        return pa.array([[1.0] * rnd.randrange(0, 5) for _ in range(rows)])
    if kind == "big_ints":
        return pa.array([2**62 - rnd.randrange(10) for _ in range(rows)], type=pa.int64())
    if kind == "negative":
        return pa.array([-rnd.randrange(1, 10**6) for _ in range(rows)], type=pa.int64())
    if kind == "binary":
        return pa.array([bytes([rnd.randrange(256)]) * 3 for _ in range(rows)])
    if kind == "timestamp":
        return pa.array(np.arange(rows).astype("datetime64[ms]"))
    return pa.array([[rnd.random()] for _ in range(rows)], type=pa.large_list(pa.float64()))


PARQUET_KINDS = [
    "strings", "nulls", "struct", "nested_list", "dictionary", "float16", "bool", "ragged",
    "big_ints", "negative", "binary", "timestamp", "large_list",
]  # fmt: skip
PARQUET_EDITS = ["swap_type", "drop", "duplicate", "extra", "empty_table"]


def mutate_parquet(path: Path, data, rnd: random.Random) -> str:
    table = pq.ParquetFile(path).read()  # read_table refuses duplicated names; this reads them
    names = table.column_names
    edit = data.draw(st.sampled_from(PARQUET_EDITS))
    index = data.draw(st.integers(0, max(0, len(names) - 1)))
    name = names[index] if names else "x"
    if edit == "swap_type" and names:
        kind = data.draw(st.sampled_from(PARQUET_KINDS))
        table = table.set_column(index, name, odd_array(kind, table.num_rows, rnd))
        what = f"{name} -> {kind}"
    elif edit == "drop" and names:
        table = table.remove_column(index)
        what = f"drop {name}"
    elif edit == "duplicate" and names:
        table = table.append_column(table.schema.field(index), table.column(index))
        what = f"duplicate {name}"
    elif edit == "empty_table":
        table = table.slice(0, 0)
        what = "no rows"
    else:
        kind = data.draw(st.sampled_from(PARQUET_KINDS))
        table = table.append_column("extra", odd_array(kind, table.num_rows, rnd))
        what = f"extra column of {kind}"
    pq.write_table(table, path)
    return what


STRUCTURAL_TARGETS = {
    "v3.0": [
        "meta/info.json",
        "meta/stats.json",
        "meta/episodes/chunk-000/file-000.parquet",
        "meta/tasks.parquet",
        "data/chunk-000/file-000.parquet",
    ],
    "v2.1": [
        "meta/info.json",
        "meta/episodes.jsonl",
        "meta/episodes_stats.jsonl",
        "meta/tasks.jsonl",
        "data/chunk-000/episode_000000.parquet",
    ],
}


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Each case runs a whole validation: shrinking takes many minutes; the failing case's edits
    # are in the assertion message instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    version=st.sampled_from(["v3.0", "v2.1"]),
    edits=st.integers(min_value=1, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    data=st.data(),
)
def test_validator_survives_structural_damage(
    child, datasets, tmp_path_factory, version, edits, seed, data
):
    folder = tmp_path_factory.mktemp("structure")
    shutil.rmtree(folder)
    shutil.copytree(datasets[version], folder)
    rnd = random.Random(seed)
    done = []
    for _ in range(edits):
        rel = data.draw(st.sampled_from(STRUCTURAL_TARGETS[version]))
        path = folder / rel
        if rel.endswith(".parquet"):
            done.append(f"{rel}: {mutate_parquet(path, data, rnd)}")
        elif rel.endswith(".jsonl"):
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            rows = mutate_json(rows, data)
            lines = rows if isinstance(rows, list) else [rows]
            path.write_text("".join(json.dumps(r) + "\n" for r in lines))
            done.append(f"{rel}: rows reshaped")
        else:
            path.write_text(json.dumps(mutate_json(json.loads(path.read_text()), data)))
            done.append(f"{rel}: reshaped")
    answer = child.run(folder)
    shutil.rmtree(folder, ignore_errors=True)
    STATS["cases"] += 1
    assert answer["ok"], f"{version} {done}:\n{answer['error']}"
    assert "check.failed" not in answer["codes"], f"{version} {done}: {answer['failed']}"
    STATS["valid" if answer["valid"] else "invalid"] += 1
    STATS["codes"].update(answer["codes"])


def test_fuzz_summary():
    """Runs after the fuzzer (same module): says how many cases were tried."""
    if not STATS["cases"]:
        pytest.skip("the fuzzer did not run")
    line = (
        f"{STATS['cases']} mutated datasets (v3.0 and v2.1), no crash, no hang; "
        f"{STATS['invalid']} reported invalid, {STATS['valid']} still valid; "
        f"{len(STATS['codes'])} distinct finding codes; slowest case {STATS['slowest']:.1f}s"
    )
    print(f"\nvalidator fuzzing: {line}")
    tried("validator fuzzing", line)
