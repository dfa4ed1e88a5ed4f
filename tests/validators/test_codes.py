"""The code catalogue is the contract: every code used exists, is documented, and the codes the
platform relies on are all there."""

import ast
import re
from pathlib import Path

from validators.codes import CODES

PACKAGE = Path(__file__).resolve().parents[2] / "validators"

REQUIRED = [
    "not_lerobot",
    "info.missing",
    "info.invalid",
    "version.unsupported",
    "version.outdated",
    "layout.mixed",
    "file.lfs_pointer",
    "file.missing",
    "file.corrupt",
    "file.unexpected",
    "totals.mismatch",
    "schema.mismatch",
    "schema.undeclared_column",
    "index.not_contiguous",
    "frame_index.invalid",
    "task_index.out_of_range",
    "timestamp.off_grid",
    "timestamp.non_monotonic",
    "video.missing",
    "video.fps_mismatch",
    "video.resolution_mismatch",
    "video.frame_count_mismatch",
    "video.undecodable",
    "stats.missing",
    "stats.mismatch",
    "dataset.empty",
]


def _codes_in(node) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes_in(node.body) | _codes_in(node.orelse)
    return set()


def used_codes() -> set[str]:
    used = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            # ctx.add("code", ...) and Finding("code", ...)
            if (isinstance(func, ast.Attribute) and func.attr == "add") or (
                isinstance(func, ast.Name) and func.id == "Finding"
            ):
                used |= _codes_in(node.args[0])
            # result.findings.append(("code", message, where)) in the scanner
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "append"
                and isinstance(node.args[0], ast.Tuple)
            ):
                used |= _codes_in(node.args[0].elts[0])
    return used


def test_every_code_used_is_in_the_catalogue():
    used = used_codes()
    assert len(used) > 40
    assert used <= set(CODES), used - set(CODES)


def test_every_catalogued_code_is_used():
    assert set(CODES) - used_codes() == set()


def test_the_required_codes_exist():
    assert set(REQUIRED) <= set(CODES), set(REQUIRED) - set(CODES)


def test_codes_are_well_formed_and_have_a_severity():
    for code in CODES.values():
        # digits only in the second part: lerobot_bug.4109 names lerobot's issue number
        assert re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)?", code.code)
        assert code.severity in ("error", "warning", "info")
        assert code.meaning.endswith(".")


def test_every_code_is_documented_in_the_readme():
    readme = (PACKAGE / "README.md").read_text()
    missing = [code for code in CODES if f"`{code}`" not in readme]
    assert not missing, missing
