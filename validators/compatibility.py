"""Which lerobot releases can load this dataset as it is, and why not where not.

A lab records with one lerobot release and trains with another; a curator wants to know who can
use what they publish. This reads only what the loaders read (``codebase_version`` and the
feature declarations in ``meta/info.json``, plus the columns the data files hold) and answers for
each release line the platform knows, with the reason a loader would fail.

The facts below come from reading each release's dataset code (``lerobot/datasets/``):

- 0.4.x, 0.5.x and 0.6.x load ``codebase_version`` "v3.0" only; v2.x must be converted first.
- Language columns (``language_persistent`` / ``language_events``, dtype "language") arrived in
  0.6.0. Older loaders build ``datasets.Value("language")`` for them and fail.
- Depth maps (``info.is_depth_map``, 12-bit grayscale video) arrived in 0.6.0: older loaders
  decode them as 8-bit RGB, so they load but the values are not depths.
- The ``tools`` list in info.json is read by 0.6.0 and later and ignored before.

When the dataset says which release recorded it (an ``info.json`` ``lerobot_version``, or the
"LeRobot version" row of the card lerobot writes), the known recording bugs of that release are
listed too.
"""

from __future__ import annotations

import re
from typing import Any

from .lerobot_commands import LEROBOT_RELEASE, conversion_command

RELEASES = ("0.4.x", "0.5.x", "0.6.x")
LANGUAGE_SINCE = "0.6.x"
DEPTH_SINCE = "0.6.x"

# Recording and conversion bugs that corrupt data, by the lerobot issue that describes them.
# ``affected`` is the half-open range [first, fixed) of releases that wrote such data.
KNOWN_BUGS: tuple[dict[str, str], ...] = (
    {
        "issue": "huggingface/lerobot#4109",
        "affected": "0.4.3",
        "fixed_in": "0.6.1",
        "what": "re-recorded (discarded) takes were encoded into the next episode's video",
    },
    {
        "issue": "huggingface/lerobot#2627",
        "affected": "0.4.0",
        "fixed_in": "0.6.1",
        "what": "merging datasets misaligned episode timestamps with their videos",
    },
    {
        "issue": "huggingface/lerobot#2264",
        "affected": "0.4.0",
        "fixed_in": "0.6.1",
        "what": "merging datasets wrote chunk/file indices that point at no file",
    },
    {
        "issue": "huggingface/lerobot#2495",
        "affected": "0.4.0",
        "fixed_in": "0.6.1",
        "what": "a crash while recording left a parquet file without its footer",
    },
    {
        "issue": "huggingface/lerobot#3786",
        "affected": "0.4.0",
        "fixed_in": "0.6.1",
        "what": "the v2.1→v3.0 converter wrote visual features with names=None and no image stats",
    },
)

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")
_CARD_VERSION = re.compile(r"LeRobot version\s*\|\s*v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)


def _parse(version: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(version.strip()) if isinstance(version, str) else None
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def recorded_with(info: dict | None, readme: str | None) -> str | None:
    """The lerobot release that recorded the dataset, when the dataset says so."""
    if isinstance(info, dict):
        version = info.get("lerobot_version")
        if isinstance(version, str) and _parse(version):
            return version.lstrip("v")
    if readme:
        match = _CARD_VERSION.search(readme)
        if match:
            return match.group(1)
    return None


def known_bugs(version: str | None) -> list[dict[str, str]]:
    """The known data-corrupting bugs of the release ``version`` (none when unknown)."""
    release = _parse(version) if version else None
    if release is None:
        return []
    return [
        bug
        for bug in KNOWN_BUGS
        if _parse(bug["affected"]) <= release < _parse(bug["fixed_in"])  # type: ignore[operator]
    ]


def assess(
    *,
    codebase_version: str | None,
    features: dict[str, Any],
    data_columns: set[str] | None = None,
    info: dict | None = None,
    readme: str | None = None,
    name: str = "dataset",
) -> dict[str, Any]:
    """``{"releases": {release: {"loads", "reasons", "caveats"}}, "recorded_with", "known_bugs"}``.

    ``reasons`` say why a release cannot load the dataset; ``caveats`` what loads but wrongly.
    """
    reasons: dict[str, list[str]] = {release: [] for release in RELEASES}
    caveats: dict[str, list[str]] = {release: [] for release in RELEASES}

    def not_before(since: str, reason: str, into=reasons) -> None:
        for release in RELEASES[: RELEASES.index(since)]:
            into[release].append(reason)

    if codebase_version != "v3.0":
        shown = codebase_version or "unknown"
        how = (
            f"; convert it with `{conversion_command(name)}` (lerobot {LEROBOT_RELEASE})"
            if codebase_version == "v2.1"
            else ""
        )
        for release in RELEASES:
            reasons[release].append(
                f"codebase_version is {shown}: lerobot {release} loads v3.0 only{how}"
            )

    specs = {k: v for k, v in (features or {}).items() if isinstance(v, dict)}
    language = sorted(k for k, v in specs.items() if v.get("dtype") == "language")
    if language:
        not_before(
            LANGUAGE_SINCE,
            f"language columns {', '.join(language)} (dtype 'language', lerobot 0.6.0+): older "
            "loaders build datasets.Value('language') for them and fail",
        )
    undeclared = sorted(
        column
        for column in (data_columns or set())
        if column in ("language_persistent", "language_events") and column not in specs
    )
    if undeclared:
        for release in RELEASES:
            reasons[release].append(
                f"the data files hold {', '.join(undeclared)} but info.json does not declare "
                "them: declare them with dtype 'language' (lerobot 0.6) or drop the columns"
            )
    depth = sorted(
        key
        for key, spec in specs.items()
        if isinstance(spec.get("info"), dict)
        and (spec["info"].get("is_depth_map") or spec["info"].get("video.is_depth_map"))
    )
    if depth:
        not_before(
            DEPTH_SINCE,
            f"depth maps {', '.join(depth)} (lerobot 0.6.0+): older loaders decode them as "
            "8-bit RGB, so they load but the values are not depths",
            into=caveats,
        )

    version = recorded_with(info, readme)
    return {
        "releases": {
            release: {
                "loads": not reasons[release],
                "reasons": reasons[release],
                "caveats": caveats[release],
            }
            for release in RELEASES
        },
        "recorded_with": version,
        "known_bugs": known_bugs(version),
    }
