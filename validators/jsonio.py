"""Reading the dataset's JSON files without trusting them.

``json.loads`` on an uploaded file has two failure modes besides bad syntax: a file of hundreds of
megabytes is read whole into memory (then parsed into many times that), and deeply nested arrays
(``[[[[...``) make the C decoder raise ``RecursionError``, which is not a ``ValueError`` and would
escape a check that only expects bad JSON. ``read_json`` turns both into ``JsonRefused`` with a
message that says what is wrong, before reading the bytes in the first case.
"""

from __future__ import annotations

import json
from pathlib import Path

# meta/info.json of a real dataset is a few kilobytes, even with dozens of features.
INFO_MAX_BYTES = 16 * 1024 * 1024
# meta/stats.json holds per-feature statistics (image features carry per-channel arrays).
STATS_MAX_BYTES = 256 * 1024 * 1024


class JsonRefused(ValueError):
    """The file cannot be used as JSON; the message says why, for people."""


def loads(text: str, *, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise JsonRefused(f"{what} is not valid JSON: {error}") from error
    except RecursionError as error:
        raise JsonRefused(
            f"{what} is nested too deeply to be read (arrays or objects inside each other "
            "more than ~1000 levels)"
        ) from error


def read_json(path: Path, *, what: str, max_bytes: int):
    try:
        size = path.stat().st_size
    except OSError as error:
        raise JsonRefused(f"{what} cannot be read ({error})") from error
    if size > max_bytes:
        raise JsonRefused(
            f"{what} is {size:,} bytes, more than the {max_bytes:,} bytes such a file can have"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise JsonRefused(f"{what} cannot be read ({error})") from error
    except UnicodeDecodeError as error:
        raise JsonRefused(f"{what} is not UTF-8 text ({error})") from error
    return loads(text, what=what)
