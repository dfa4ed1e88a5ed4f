"""``manage.py reuse_metrics``: the JSON contract, the table, and exit code 2 on bad input.

The command runs in a subprocess with a database URL that cannot be reached and no SECRET_KEY,
which proves it needs neither.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.growth.reuse_snapshots import repo, robot_dataset, robot_model, write

REPO = Path(__file__).resolve().parents[2]
CORE_KEYS = {
    "repos", "downloads_total", "gini_downloads", "top1pct_share_downloads",
    "share_under_200_downloads", "hhi_authors", "derivatives_total", "dataset_reuse_ratio",
    "declaration_rate",
}  # fmt: skip


def run(*args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # Nothing listens there: any database access would fail the command.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/no_such_db",
    }
    # A bare shell: no secret key, no DEBUG (manage.py lets this offline command run so).
    for name in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_EPHEMERAL_SECRET"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "reuse_metrics", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory):
    rows = [
        robot_model("lerobot/base", downloads_all=1000),
        robot_model("alice/ft", downloads_all=100, parents=["lerobot/base"],
                    tags=["dataset:alice/pick"]),
        robot_dataset("alice/pick", downloads_all=300),
        repo("x/genome-model", downloads_all=20, tags=["genomics"]),
    ]  # fmt: skip
    return write(tmp_path_factory.mktemp("reuse") / "snapshot.parquet", rows)


def test_json_contract(snapshot_file):
    result = run("--snapshot", snapshot_file, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"domains"}
    robotics = payload["domains"]["robotics"]
    assert set(robotics) >= CORE_KEYS
    assert robotics["repos"] == 3
    assert robotics["downloads_total"] == 1400
    assert robotics["derivatives_total"] == 1
    assert robotics["dataset_reuse_ratio"] == 1.0
    assert payload["domains"]["science/biology"]["repos"] == 1
    assert payload["domains"]["science/physics"]["gini_downloads"] is None


NEW_KEYS = {"top0_01pct_share_downloads", "country_share_downloads_30d",
            "developer_type_share_downloads"}  # fmt: skip


def test_new_keys_in_a_bare_environment(snapshot_file):
    """A fresh checkout, no environment variable at all: hub, models/datasets, origins."""
    bare = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        [sys.executable, "manage.py", "reuse_metrics", "--snapshot", snapshot_file, "--json"],
        cwd=REPO, env=bare, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    domains = json.loads(result.stdout)["domains"]
    assert next(iter(domains)) == "hub"
    hub = domains["hub"]
    assert hub["repos"] == 4 and hub["downloads_total"] == 1420
    for name, scope in domains.items():
        assert set(scope) >= CORE_KEYS | NEW_KEYS, name
        for sub in ("models", "datasets"):
            assert set(scope[sub]) >= CORE_KEYS | NEW_KEYS, (name, sub)
        assert scope["models"]["repos"] + scope["datasets"]["repos"] == scope["repos"]
    assert hub["models"]["repos"] == 3 and hub["datasets"]["repos"] == 1
    # ceil(0.01% of 4) = 1: lerobot/base's 1000 of 1420 (of 1120 among models).
    assert hub["top0_01pct_share_downloads"] == pytest.approx(1000 / 1420)
    assert hub["models"]["top0_01pct_share_downloads"] == pytest.approx(1000 / 1120)
    # 30-day downloads equal all-time here: lerobot (seed table: US) 1000 of 1420.
    assert hub["country_share_downloads_30d"] == pytest.approx(
        {"US": 1000 / 1420, "unknown": 420 / 1420}
    )
    assert sum(hub["developer_type_share_downloads"].values()) == pytest.approx(1)
    assert hub["developer_type_share_downloads"]["industry"] == pytest.approx(1000 / 1420)


def test_domain_filter(snapshot_file):
    result = run("--snapshot", snapshot_file, "--domain", "science/biology", "--json")
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)["domains"]) == ["science/biology"]


def test_readable_table_without_json(snapshot_file):
    result = run("--snapshot", snapshot_file)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    robotics = next(line for line in lines if line.startswith("robotics "))
    assert robotics.split()[:3] == ["robotics", "3", "1,400"]
    assert "declaration_rate:" in result.stdout  # definitions follow the table


def test_unknown_domain_exits_2(snapshot_file):
    result = run("--snapshot", snapshot_file, "--domain", "astrology", "--json")
    assert result.returncode == 2
    assert "unknown domain(s) ['astrology']" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("kind", ["missing", "not parquet", "missing columns"])
def test_bad_files_exit_2_with_a_reason(tmp_path, kind):
    path = tmp_path / "snapshot.parquet"
    if kind == "not parquet":
        path.write_text("id,downloads\nx,1\n")
    elif kind == "missing columns":
        pq.write_table(pa.table({"id": ["a/b"], "downloads": [1]}), path)
    result = run("--snapshot", str(path), "--json")
    assert result.returncode == 2
    expected = {
        "missing": "no such file",
        "not parquet": "not a readable parquet file",
        "missing columns": "no snapshot_date column",
    }[kind]
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
