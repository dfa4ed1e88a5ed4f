"""The command lines (python -m validators, manage.py validate_dataset) and the video sandbox."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.conftest import within_hang_guard
from tests.validators.conftest import edit_info
from validators.synthetic import write_mp4
from validators.video_probe import probe_files

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "validators", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def test_cli_json_is_one_object_and_exit_0_when_valid(base_datasets):
    result = cli(base_datasets["v21"], "--json", "--workers", "1")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert set(data) == {"valid", "codebase_version", "summary", "findings", "compatibility"}
    assert data["valid"] is True
    assert data["codebase_version"] == "v2.1"


def test_cli_exit_1_and_grouped_text_when_there_are_errors(dataset):
    root = dataset("v21")
    edit_info(root, total_frames=5, robot_type=None)
    result = cli(root, "--workers", "1")
    assert result.returncode == 1
    out = result.stdout
    assert "INVALID" in out
    assert out.index("ERRORS (1)") < out.index("WARNINGS (2)")
    assert "[totals.mismatch]" in out


def test_cli_exit_2_when_path_is_unusable(tmp_path):
    assert cli(tmp_path / "nope").returncode == 2
    (tmp_path / "file.txt").write_text("x")
    result = cli(tmp_path / "file.txt", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "not a folder" in result.stderr


def test_cli_max_episodes(base_datasets):
    result = cli(base_datasets["v21"], "--json", "--max-episodes", "1", "--workers", "1")
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "report.partial" in codes


def test_manage_py_command(base_datasets, dataset):
    out = io.StringIO()
    call_command(
        "validate_dataset", str(base_datasets["v30"]), "--json", "--workers", "1", stdout=out
    )
    assert json.loads(out.getvalue())["valid"] is True

    root = dataset("v30")
    (root / "meta/stats.json").unlink()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("validate_dataset", str(root), "--max-episodes", "2", stdout=out)
    assert exit_info.value.code == 1
    assert "[stats.missing]" in out.getvalue()


# -- sandbox ----------------------------------------------------------------------------------


def test_a_hanging_video_times_out_and_the_next_file_still_probed(tmp_path):
    fifo = tmp_path / "hangs.mp4"
    os.mkfifo(fifo)  # opening it blocks forever: a stand-in for a decoder that hangs
    good = write_mp4(tmp_path / "good.mp4", frames=5, fps=10)
    # The child's per-file alarm (1 s of its own clock) stops the hanging file; the parent's
    # budget (2 s + 120 s of grace) is far away, so a loaded machine cannot change the outcome.
    results = within_hang_guard(
        lambda: probe_files(
            [{"path": str(fifo)}, {"path": str(good)}], per_file_seconds=1, grace_seconds=120
        ),
        seconds=600,
        what="probe_files on a hanging file",
    )
    assert results[str(fifo)] == {"path": str(fifo), "ok": False, "error": "timed out"}
    assert results[str(good)]["ok"] is True
    assert results[str(good)]["decoded"] == 5


def test_a_decoder_that_ignores_its_alarm_is_killed(tmp_path):
    """A decoder stuck where the child's alarm cannot reach it (here: no alarm at all) is killed
    by the parent once its budget (grace_seconds) is spent. The grace is long enough for the child
    to start and announce the file on a loaded machine; then nothing but the kill can end it."""
    fifo = tmp_path / "hangs.mp4"
    os.mkfifo(fifo)
    results = within_hang_guard(
        lambda: probe_files([{"path": str(fifo)}], per_file_seconds=0, grace_seconds=15),
        seconds=600,
        what="probe_files on a hanging file",
    )
    assert results[str(fifo)] == {
        "path": str(fifo),
        "ok": False,
        "error": "the decoder process died (timed out)",
    }


def test_the_decoder_runs_under_a_memory_limit(tmp_path):
    good = write_mp4(tmp_path / "good.mp4", frames=5, fps=10)
    # 64 MB is far too little to even load FFmpeg: the child fails, the caller gets a finding.
    results = probe_files([{"path": str(good)}], memory_mb=64, grace_seconds=20)
    assert results[str(good)]["ok"] is False
    assert "exit code" in results[str(good)]["error"]
