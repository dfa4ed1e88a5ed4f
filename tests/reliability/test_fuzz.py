"""Fuzzing the validator: mutated copies of small valid datasets (bytes flipped, truncated or
zeroed in parquet, json, jsonl and mp4 files; random edits of info.json). ``validate()`` must
always return a Report and never raise (no crash), and finish within a bound (no hang).

Each case runs in a long-lived child process (``fuzz_child.py``) that the test kills and restarts
if a case takes longer than ``CASE_TIMEOUT_S``: that is a liveness bound, not a timing assertion.
``FUZZ_EXAMPLES`` (default 40) sets the number of cases.
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

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.reliability.conftest import tried

CASE_TIMEOUT_S = 120
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
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
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
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
    for target, (kind, n) in zip(targets, mutations, strict=False):
        rel = files[target % len(files)]
        path = folder / rel
        path.write_bytes(
            {"flip": flip, "zero": zero, "truncate": truncate}[kind](path.read_bytes(), rnd, n)
        )
        done.append(f"{kind}({n}) {rel}")
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
    STATS["valid" if answer["valid"] else "invalid"] += 1
    STATS["codes"].update(answer["codes"])
    STATS.setdefault("slowest", 0.0)
    STATS["slowest"] = max(STATS["slowest"], elapsed)


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
