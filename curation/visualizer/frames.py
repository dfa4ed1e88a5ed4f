"""Decode chosen frames of videos into small JPEG thumbnails, in a separate, limited process.

Run as ``python -m curation.visualizer.frames`` with a JSON job list on stdin:
``{"width": 160, "jobs": [{"path": "a.mp4", "time": 1.2, "out": "/tmp/x.jpg"}, ...]}``. Jobs on the
same file should be adjacent (the file is opened once). For each job it prints one JSON line,
``{"i": 0, "ok": true}`` or ``{"i": 0, "ok": false, "error": "..."}``, as soon as it is done, so the
caller knows which frames exist even if FFmpeg crashes the process on a malformed file (a segfault
cannot be caught, hence the separate process). No Django imports here.
"""

from __future__ import annotations

import json
import resource
import sys

MEMORY_LIMIT = 1024 * 1024 * 1024
CPU_SECONDS = 600


def _thumbnail(frame, width: int, out: str) -> None:
    image = frame.to_image()
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    image.convert("RGB").save(out, format="JPEG", quality=80)


def _frame_at(container, stream, time: float):
    """The first frame whose start time is at or after ``time`` (within half a frame), else the
    last frame of the file."""
    rate = float(stream.average_rate or stream.base_rate or 30)
    tolerance = 0.5 / rate
    container.seek(max(0, int((time - 1.0) / stream.time_base)), stream=stream, backward=True)
    last = None
    for frame in container.decode(stream):
        if frame.time is not None and frame.time >= time - tolerance:
            return frame
        last = frame
    if last is None:
        raise ValueError(f"no frame at or before {time:.3f} s")
    return last


def run(jobs: list[dict], width: int) -> None:
    import av

    av.logging.set_level(av.logging.PANIC)
    container = None
    opened = None
    for i, job in enumerate(jobs):
        try:
            if opened != job["path"]:
                if container is not None:
                    container.close()
                container = None
                opened = job["path"]
                container = av.open(job["path"], options={"protocol_whitelist": "file"})
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise ValueError("the file has no video stream")
            _thumbnail(_frame_at(container, stream, float(job["time"])), width, job["out"])
            print(json.dumps({"i": i, "ok": True}), flush=True)
        except Exception as exc:
            print(
                json.dumps({"i": i, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}),
                flush=True,
            )
    if container is not None:
        container.close()


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    request = json.load(sys.stdin)
    run(request["jobs"], int(request.get("width", 160)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
