"""The validation report: a list of findings plus a summary of what the dataset contains.

Both are plain dataclasses that round-trip through JSON (``to_dict`` / ``from_dict``), so a Celery
task can store the report in the database and a view can render it later without this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")
LOCATION_KEYS = ("file", "episode", "frame", "feature")
# A finding quotes the dataset (names, templates, values): bound what one finding may carry, so
# a hostile dataset cannot grow the stored report (issue 19, H4). The count per code is bounded
# in ``validators.context``.
MAX_MESSAGE_CHARS = 2000
MAX_LOCATION_CHARS = 500


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def empty_summary() -> dict[str, Any]:
    """Every summary key, with the value it has when nothing is known yet."""
    return {
        "episodes": None,
        "frames": None,
        "fps": None,
        "robot_type": None,
        "codebase_version": None,
        "layout": None,
        "tasks": [],
        "cameras": [],
        "features": {},
        "episode_lengths": [],
        "data_files": 0,
        "video_files": 0,
        "total_bytes": 0,
        "has_stats": False,
        "has_quantiles": False,
        # What the video check did: "packets" (every packet read, nothing decoded),
        # "packets+sample" (plus each episode's first/last frame and some keyframes) or "full".
        "video_check": None,
        "videos_probed": 0,  # videos whose packets were all read
        "frames_decoded": 0,
    }


@dataclass
class Finding:
    """One problem (or notable fact) found in a dataset.

    ``code`` is stable (see ``validators.codes``), ``message`` says what is wrong and how to fix
    it, ``location`` points at it with the optional keys file, episode, frame and feature.
    """

    code: str
    severity: str
    message: str
    location: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        self.message = clip(str(self.message), MAX_MESSAGE_CHARS)
        self.location = {
            str(k)[:40]: clip(v, MAX_LOCATION_CHARS) if isinstance(v, str) else v
            for k, v in list(self.location.items())[: len(LOCATION_KEYS)]
            if v is not None
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": dict(self.location),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            code=data["code"],
            severity=data["severity"],
            message=data["message"],
            location=dict(data.get("location") or {}),
        )


@dataclass
class Report:
    codebase_version: str | None = None
    summary: dict[str, Any] = field(default_factory=empty_summary)
    findings: list[Finding] = field(default_factory=list)
    # Which lerobot releases can load the dataset as it is (validators.compatibility.assess).
    compatibility: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when no finding has the error severity."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def by_code(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "codebase_version": self.codebase_version,
            "summary": dict(self.summary),
            "findings": [f.to_dict() for f in self.findings],
            "compatibility": dict(self.compatibility),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        summary = empty_summary()
        summary.update(data.get("summary") or {})
        return cls(
            codebase_version=data.get("codebase_version"),
            summary=summary,
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            compatibility=dict(data.get("compatibility") or {}),
        )
