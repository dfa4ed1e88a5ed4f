"""Layout and version: is this a LeRobot dataset, which version and which file layout, and are the
files themselves sound (no Git-LFS pointers, no empty files, no links leaving the folder)?"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .context import Context
from .jsonio import INFO_MAX_BYTES, JsonRefused, read_json
from .lerobot_commands import LEROBOT_RELEASE, V20_TO_V21_COMMAND, conversion_command, run_from

LFS_SIGNATURE = b"version https://git-lfs"

# Files a LeRobot dataset may hold besides data, videos and metadata (Hub repos carry these).
ALLOWED_EXTRA = re.compile(
    r"^(README\.md|\.gitattributes|\.gitignore|LICENSE(\.\w+)?|CITATION\.cff)$"
)
KNOWN_META = {
    "meta/info.json",
    "meta/stats.json",
    "meta/tasks.parquet",
    "meta/subtasks.parquet",
    "meta/tasks.jsonl",
    "meta/episodes.jsonl",
    "meta/episodes_stats.jsonl",
}
V3_DATA = re.compile(r"^data/chunk-\d+/file-\d+\.parquet$")
V2_DATA = re.compile(r"^data/chunk-\d+/episode_\d+\.parquet$")
V3_VIDEO = re.compile(r"^videos/[^/]+/chunk-\d+/file-\d+\.mp4$")
V2_VIDEO = re.compile(r"^videos/chunk-\d+/[^/]+/episode_\d+\.mp4$")


def walk(ctx: Context) -> None:
    """List every file once (without following links); flag links that leave the dataset."""
    root_real = os.path.realpath(ctx.root)
    for dirpath, dirnames, filenames in os.walk(ctx.root):
        # Version-control and cache folders are not part of the dataset.
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", ".cache", "__pycache__"))
        for name in list(dirnames) + sorted(filenames):
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            target = os.path.realpath(path)
            if os.path.commonpath([root_real, target]) != root_real:
                ctx.add(
                    "file.link_outside",
                    f"{ctx.rel(path)} is a symbolic link to {target}, outside the dataset; "
                    "copy the real file in (the link breaks on upload and may expose other files).",
                    file=ctx.rel(path),
                )
                if name in dirnames:
                    dirnames.remove(name)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                ctx.add("file.missing", f"{ctx.rel(path)} is a broken link.", file=ctx.rel(path))
                continue
            if path.is_file():
                ctx.files[ctx.rel(path)] = stat.st_size
    ctx.summary["total_bytes"] = sum(ctx.files.values())


def is_lfs_pointer(path: Path, size: int) -> bool:
    if size > 1024:
        return False
    try:
        with open(path, "rb") as f:
            return f.read(len(LFS_SIGNATURE)) == LFS_SIGNATURE
    except OSError:
        return False


def check_files(ctx: Context) -> None:
    """Empty files and Git-LFS pointers anywhere in the dataset."""
    lfs = []
    for rel, size in ctx.files.items():
        if size == 0:
            ctx.add(
                "file.empty",
                f"{rel} is empty (0 bytes); the upload or the recording was interrupted. "
                "Re-upload the file from the original recording.",
                file=rel,
            )
        elif is_lfs_pointer(ctx.root / rel, size):
            lfs.append(rel)
            ctx.add(
                "file.lfs_pointer",
                f"{rel} is a Git-LFS pointer, not the real file: the repository was cloned without "
                "Git LFS. Run `git lfs install && git lfs pull` (or download with "
                "`huggingface-cli download --repo-type dataset`) and upload again.",
                file=rel,
            )


def load_info(ctx: Context) -> None:
    info_rel = "meta/info.json"
    has_data = any(r.startswith("data/") and r.endswith(".parquet") for r in ctx.files)
    if info_rel not in ctx.files:
        if not has_data and not any(r.startswith("meta/") for r in ctx.files):
            ctx.add(
                "not_lerobot",
                "This folder is not a LeRobot dataset: there is no meta/info.json and no "
                "data/*.parquet. Upload the dataset root (the folder that holds meta/ and data/).",
            )
        else:
            ctx.add(
                "info.missing",
                "meta/info.json is missing; without it nothing can be read (fps, features, paths). "
                "Copy it from the original recording.",
                file=info_rel,
            )
        ctx.stop = True
        return
    path = ctx.root / info_rel
    if ctx.files[info_rel] == 0 or is_lfs_pointer(path, ctx.files[info_rel]):
        ctx.add(
            "info.invalid", "meta/info.json has no content (see the file findings).", file=info_rel
        )
        ctx.stop = True
        return
    try:
        info = read_json(path, what="meta/info.json", max_bytes=INFO_MAX_BYTES)
    except JsonRefused as error:
        ctx.add("info.invalid", f"{error}.", file=info_rel)
        ctx.stop = True
        return
    if not isinstance(info, dict):
        ctx.add("info.invalid", "meta/info.json must hold a JSON object.", file=info_rel)
        ctx.stop = True
        return
    ctx.info = info


def parse_version(raw) -> tuple[int, int] | None:
    if not isinstance(raw, str):
        return None
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", raw.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_version(ctx: Context) -> None:
    raw = ctx.info.get("codebase_version")
    parsed = parse_version(raw)
    where = {"file": "meta/info.json", "feature": None}
    if raw is None:
        ctx.add(
            "info.invalid", 'meta/info.json has no codebase_version (expected "v3.0").', **where
        )
        return
    if parsed is None or parsed[0] < 2:
        ctx.add(
            "version.unsupported",
            f"codebase_version {raw!r} is not a LeRobot format this platform reads (v2.0, v2.1, v3.0). "
            + (
                "v1.x datasets must be converted with lerobot's convert_dataset_v1_to_v2 first."
                if parsed
                else "Note that it is the format version, not the lerobot package version."
            ),
            **where,
        )
        return
    major, minor = parsed
    if major == 2:
        ctx.version = "v2.0" if minor == 0 else "v2.1"
    else:
        ctx.version = "v3.0"
    if raw not in ("v2.0", "v2.1", "v3.0"):
        ctx.add(
            "version.unknown",
            f"codebase_version {raw!r} is not one of v2.0, v2.1, v3.0; it is checked as {ctx.version}. "
            f'Write "{ctx.version}" if that is the format the files follow.',
            **where,
        )


def detect_layout(ctx: Context) -> None:
    files = ctx.files
    v3 = sum(1 for r in files if V3_DATA.match(r) or V3_VIDEO.match(r))
    v3 += sum(1 for r in files if r.startswith("meta/episodes/") or r == "meta/tasks.parquet")
    v2 = sum(1 for r in files if V2_DATA.match(r) or V2_VIDEO.match(r))
    v2 += sum(
        1
        for r in files
        if r in ("meta/episodes.jsonl", "meta/tasks.jsonl", "meta/episodes_stats.jsonl")
    )
    if v3 and v2:
        ctx.layout = "mixed"
        # Name files that are really there (not the layout's usual names).
        v3_files = sorted(
            r
            for r in files
            if V3_DATA.match(r)
            or V3_VIDEO.match(r)
            or r.startswith("meta/episodes/")
            or r == "meta/tasks.parquet"
        )
        v2_files = sorted(
            r
            for r in files
            if V2_DATA.match(r)
            or V2_VIDEO.match(r)
            or r in ("meta/episodes.jsonl", "meta/tasks.jsonl", "meta/episodes_stats.jsonl")
        )
        ctx.add(
            "layout.mixed",
            f"The dataset mixes the v3 layout ({v3} files such as {', '.join(v3_files[:2])}) "
            f"and the v2 layout ({v2} files such as {', '.join(v2_files[:2])}). Keep one: an "
            "interrupted conversion or two uploads in one folder leave both (lerobot then reads "
            "the wrong files, #1875).",
            file=v2_files[0],
        )
    elif v3:
        ctx.layout = "v3"
    elif v2:
        ctx.layout = "v2"
    else:
        # Non-standard templates: decide from the metadata files and the templates.
        template = str(ctx.info.get("data_path") or "")
        if "episode_index" in template or "meta/episodes.jsonl" in files:
            ctx.layout = "v2"
        elif "file_index" in template:
            ctx.layout = "v3"
    ctx.summary["layout"] = ctx.layout
    if ctx.version and ctx.layout in ("v2", "v3") and ctx.version[:2] != ctx.layout:
        ctx.add(
            "layout.version_mismatch",
            f"info.json says codebase_version {ctx.info.get('codebase_version')!r} but the files follow "
            f"the {ctx.layout} layout; the files are checked as {ctx.layout}. "
            + (
                "Set codebase_version to the version the files were written with, or convert them "
                f"properly: `{conversion_command(ctx.name)}` ({run_from(ctx.name)})."
                if ctx.layout == "v2"
                else 'Set codebase_version to "v3.0".'
            ),
            file="meta/info.json",
        )
        ctx.version = (
            "v3.0"
            if ctx.layout == "v3"
            else (ctx.version if ctx.version.startswith("v2") else "v2.1")
        )


def check_outdated(ctx: Context) -> None:
    if ctx.version == "v2.1":
        ctx.add(
            "version.outdated",
            "This is a v2.1 dataset: lerobot 0.4 and later only load v3.0. Convert your copy offline "
            f"with `{conversion_command(ctx.name)}` ({run_from(ctx.name)}; lerobot "
            f"{LEROBOT_RELEASE} converts it in place and keeps the original as {ctx.name}_old).",
            file="meta/info.json",
        )
    elif ctx.version == "v2.0":
        ctx.add(
            "version.outdated",
            "This is a v2.0 dataset: lerobot has no direct conversion to v3.0. Convert it to v2.1 "
            f"first with `{V20_TO_V21_COMMAND}`, then to v3.0 with `{conversion_command(ctx.name)}` ({run_from(ctx.name)}).",
            file="meta/info.json",
        )


def is_expected_file(ctx: Context, rel: str) -> bool:
    if rel in KNOWN_META or ALLOWED_EXTRA.match(rel):
        return True
    if re.match(r"^meta/episodes/chunk-\d+/file-\d+\.parquet$", rel):
        return True
    if rel.startswith("data/") and rel.endswith(".parquet"):
        return True
    return rel.startswith("videos/") and rel.endswith(".mp4")


def check_unexpected(ctx: Context) -> None:
    stray = [r for r in ctx.files if not is_expected_file(ctx, r)]
    staging = [r for r in stray if r.startswith("images/")]
    others = [r for r in stray if not r.startswith("images/")]
    if staging:
        ctx.add(
            "file.unexpected",
            f"{len(staging)} files under images/: lerobot only stages PNG frames there while "
            "encoding (an interrupted recording leaves them). Delete images/ before uploading.",
            file="images/",
        )
    for rel in others:
        if rel.startswith(("meta/episodes/", "data/")) and rel.endswith(".parquet"):
            ctx.add(
                "file.unexpected",
                f"{rel} is a stray parquet file: lerobot loads every parquet file under "
                f"{rel.split('/')[0] + '/' + rel.split('/')[1] if rel.startswith('meta') else 'data'}/ "
                "(a glob), so its rows are read as extra episodes or frames. The layout names "
                "files chunk-NNN/file-NNN.parquet; remove or rename it.",
                severity="error",
                file=rel,
            )
            continue
        ctx.add(
            "file.unexpected",
            f"{rel} is not part of the LeRobot layout; remove it (or move it out of the dataset).",
            file=rel,
        )
