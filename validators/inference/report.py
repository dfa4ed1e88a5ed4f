"""The result of one inference check, as plain data (JSON-safe through ``to_dict``/``from_dict``).

Every figure says where it was measured: ``device`` is what the policy ran on, ``environment``
describes the machine and library versions. Times are milliseconds unless the name says ``_s``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Report statuses
OK = "ok"  # the policy ran on the dataset's frames and its features fit the dataset
INCOMPATIBLE = "incompatible"  # the policy's features do not fit the dataset: nothing was run
FAILED = "failed"  # the policy, the dataset or the run failed; ``error`` says where and why

ERROR = "error"
WARNING = "warning"


@dataclass
class FeatureIssue:
    """One difference between what the policy expects and what the dataset provides."""

    severity: str  # "error" (the policy cannot run as trained on this data) or "warning"
    feature: str  # e.g. "observation.images.wrist", "action", "task"
    problem: str  # short machine-readable kind: missing_camera, state_dim, image_size, ...
    message: str  # what is wrong, in words
    fix: str = ""  # what would have to change
    expected: Any = None  # what the policy expects (shape, key...)
    found: Any = None  # what the dataset has


@dataclass
class LatencyStats:
    """Steady-state latency over ``count`` timed calls (warm-up excluded)."""

    count: int = 0
    mean_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    min_ms: float | None = None

    @classmethod
    def of(cls, seconds: list[float]) -> LatencyStats:
        if not seconds:
            return cls()
        ordered = sorted(s * 1000.0 for s in seconds)
        return cls(
            count=len(ordered),
            mean_ms=sum(ordered) / len(ordered),
            p50_ms=percentile(ordered, 50),
            p95_ms=percentile(ordered, 95),
            max_ms=ordered[-1],
            min_ms=ordered[0],
        )


def percentile(ordered: list[float], q: float) -> float:
    """Linear-interpolated percentile of an already sorted list (numpy's default method)."""
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class InferenceReport:
    status: str = FAILED
    dataset_path: str = ""
    policy: str = ""  # the folder or Hub id the policy was loaded from
    policy_type: str | None = None  # "smolvla", "act", ...
    policy_source: str | None = None  # "local folder" or "hub cache"
    processors_source: str | None = None  # "policy folder" or "dataset stats"
    device: str | None = None  # "cpu", "cuda", "cuda:1", "mps"
    device_name: str | None = None  # CPU model or GPU name
    environment: dict[str, Any] = field(default_factory=dict)  # versions, threads...
    dataset: dict[str, Any] = field(default_factory=dict)  # fps, episodes, frames, shapes...
    policy_info: dict[str, Any] = field(default_factory=dict)  # params, chunk size, dtype...

    issues: list[FeatureIssue] = field(default_factory=list)

    load_s: float | None = None  # config + weights + processors, to the device
    first_call_ms: float | None = None  # first pre+select_action+post after loading (cold)
    per_action: LatencyStats = field(default_factory=LatencyStats)  # pre+select_action+post
    per_chunk: LatencyStats = field(default_factory=LatencyStats)  # pre+predict_action_chunk+post
    chunk_breakdown_ms: dict[str, float] = field(default_factory=dict)  # p50 of pre/model/post
    control: dict[str, Any] = field(default_factory=dict)  # achieved rate against dataset fps
    memory: dict[str, Any] = field(default_factory=dict)  # RSS and GPU peaks, MiB
    outputs: dict[str, Any] = field(default_factory=dict)  # shapes, NaN/Inf, out of range
    determinism: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, Any] = field(default_factory=dict)  # which frames were run, decode time
    warnings: list[str] = field(default_factory=list)
    error: dict[str, str] | None = None  # {"stage": ..., "message": ...} when status is failed
    total_s: float | None = None

    @property
    def fits(self) -> bool:
        return not any(issue.severity == ERROR for issue in self.issues)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InferenceReport:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["issues"] = [FeatureIssue(**issue) for issue in values.get("issues", [])]
        for name in ("per_action", "per_chunk"):
            if isinstance(values.get(name), dict):
                values[name] = LatencyStats(**values[name])
        return cls(**values)
