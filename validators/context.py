"""State shared by the checks of one validation run: what was read so far, and the findings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import CODES
from .report import Finding, empty_summary

# Above this many findings of one code the report lists a count instead of each one: a dataset
# with 50 000 broken episodes must still give a report a person can read.
MAX_FINDINGS_PER_CODE = 50

DEFAULT_FEATURES = ("timestamp", "frame_index", "episode_index", "index", "task_index")
TIMESTAMP_TOLERANCE_S = 1e-4  # lerobot's tolerance_s default
# Feature dtypes whose values are not numbers: cameras (mp4 or images in parquet), strings, and the
# language columns lerobot 0.6 added (``language_persistent`` / ``language_events``: lists of
# annotation rows, declared with dtype "language" and filled after recording).
NON_NUMERIC_DTYPES = ("image", "video", "string", "language")


@dataclass
class EpisodeMeta:
    """Episode metadata rows (v3 meta/episodes/*.parquet or v2 meta/episodes.jsonl), by column."""

    index: list[int] = field(default_factory=list)
    length: list[int | None] = field(default_factory=list)
    tasks: list[list[str]] = field(default_factory=list)
    # v3 only (None per row on v2)
    from_index: list[int | None] = field(default_factory=list)
    to_index: list[int | None] = field(default_factory=list)
    data_chunk: list[int | None] = field(default_factory=list)
    data_file: list[int | None] = field(default_factory=list)
    # video key -> column name -> per-row values (chunk_index, file_index, from_timestamp, to_timestamp)
    videos: dict[str, dict[str, list]] = field(default_factory=dict)
    source: str = ""

    def __len__(self) -> int:
        return len(self.index)

    def position(self) -> dict[int, int]:
        return {ep: i for i, ep in enumerate(self.index)}


class Context:
    def __init__(
        self,
        root: Path,
        *,
        max_episodes: int | None,
        decode_video: str,
        workers: int,
        name: str | None = None,
    ):
        self.root = root
        self.name = name or Path(root).name or "dataset"  # the user's name for their copy
        self.max_episodes = max_episodes
        self.decode_video = decode_video  # "none", "sample" or "full"
        self.workers = workers
        self.findings: list[Finding] = []
        self._count: Counter[str] = Counter()
        self.summary: dict[str, Any] = empty_summary()

        self.files: dict[str, int] = {}  # every regular file, relative posix path -> size
        self.info: dict[str, Any] | None = None
        self.version: str | None = None  # normalized: "v2.0", "v2.1" or "v3.0"
        self.layout: str | None = None  # what the files follow: "v2", "v3" or "mixed"
        self.fps: float | None = None
        self.features: dict[str, dict] = {}
        self.episodes: EpisodeMeta | None = None
        self.tasks: list[str] | None = None
        self.selected_episodes: set[int] | None = None  # with max_episodes
        self.data_scan = None  # validators.data.DataScan once the data files were read
        self.video_channel_means: dict = {}  # camera -> per-channel mean of all decoded frames
        self.stop = False  # set when nothing further can be checked (not a dataset at all)

    # -- findings -------------------------------------------------------------------------
    def add(
        self,
        code: str,
        message: str,
        *,
        severity: str | None = None,
        file: str | None = None,
        episode: int | None = None,
        frame: int | None = None,
        feature: str | None = None,
    ) -> None:
        self._count[code] += 1
        if self._count[code] > MAX_FINDINGS_PER_CODE:
            return
        self.findings.append(
            Finding(
                code=code,
                severity=severity or CODES[code].severity,
                message=message,
                location={"file": file, "episode": episode, "frame": frame, "feature": feature},
            )
        )

    def finish(self) -> None:
        for code, count in self._count.items():
            if count > MAX_FINDINGS_PER_CODE:
                self.findings.append(
                    Finding(
                        "report.truncated",
                        "info",
                        f"{count - MAX_FINDINGS_PER_CODE:,} more '{code}' findings are not listed "
                        f"({count:,} in all); fix the ones above and validate again.",
                    )
                )
        order = {"error": 0, "warning": 1, "info": 2}
        self.findings.sort(key=lambda f: order[f.severity])

    # -- helpers --------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @property
    def has_video(self) -> bool:
        return bool(self.video_keys)

    @property
    def video_keys(self) -> list[str]:
        return [
            k for k, f in self.features.items() if isinstance(f, dict) and f.get("dtype") == "video"
        ]

    @property
    def image_keys(self) -> list[str]:
        return [
            k for k, f in self.features.items() if isinstance(f, dict) and f.get("dtype") == "image"
        ]

    @property
    def is_v3(self) -> bool:
        """Whether to check the v3 layout (the files decide when they disagree with the label)."""
        if self.layout in ("v2", "v3"):
            return self.layout == "v3"
        return self.version == "v3.0"

    def episode_selected(self, episode: int) -> bool:
        return self.selected_episodes is None or episode in self.selected_episodes
