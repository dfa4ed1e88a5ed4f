"""Command line: ``python -m validators PATH [--json] [--max-episodes N]``.

Exit status: 0 no error, 1 errors found, 2 PATH cannot be used."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .core import validate
from .report import Report

SYMBOLS = {"error": "ERROR", "warning": "WARN", "info": "INFO"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m validators", description="Validate a LeRobot dataset (v2.0, v2.1, v3.0)."
    )
    add_arguments(parser)
    return parser


def add_arguments(parser) -> None:
    parser.add_argument("path", help="dataset root (the folder holding meta/ and data/)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--max-episodes", type=int, default=None, help="check only the first N episodes"
    )
    parser.add_argument(
        "--no-decode", action="store_true", help="read video containers without decoding frames"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes for data files and videos (default: all cores)",
    )


class StderrProgress:
    """Progress on stderr, only when the run is long enough to need it."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.started < 1.0 or (now - self.last < 0.5 and done < total):
            return
        self.last = now
        sys.stderr.write(f"\r{step}: {done}/{total}" + (" " * 10) + ("\n" if done >= total else ""))
        sys.stderr.flush()


def render_text(report: Report, path: str) -> str:
    s = report.summary
    lines = [
        f"{path}: {'VALID' if report.valid else 'INVALID'}  (codebase_version {report.codebase_version}, layout {s.get('layout')})",
        f"  {s.get('episodes')} episodes, {s.get('frames')} frames, {s.get('fps')} fps, robot {s.get('robot_type')}, "
        f"{len(s.get('cameras') or [])} camera(s), {s.get('data_files')} data file(s), {s.get('video_files')} video file(s)",
    ]
    for severity in ("error", "warning", "info"):
        found = [f for f in report.findings if f.severity == severity]
        if not found:
            continue
        lines.append(f"\n{severity.upper()}S ({len(found)})")
        for f in found:
            where = ", ".join(f"{k}={v}" for k, v in f.location.items())
            lines.append(f"  [{f.code}] {f.message}" + (f"\n      at {where}" if where else ""))
    if not report.findings:
        lines.append("\nNo findings.")
    lines += render_compatibility(report.compatibility)
    return "\n".join(lines)


def render_compatibility(compatibility: dict) -> list[str]:
    """Which lerobot releases load the dataset, one line each, with the reasons where not."""
    releases = compatibility.get("releases") or {}
    if not releases:
        return []
    lines = ["\nLEROBOT COMPATIBILITY"]
    for release, verdict in releases.items():
        state = "loads" if verdict.get("loads") else "cannot load"
        lines.append(f"  lerobot {release}: {state}")
        lines += [f"      - {reason}" for reason in verdict.get("reasons") or []]
        lines += [f"      ! {caveat}" for caveat in verdict.get("caveats") or []]
    if compatibility.get("recorded_with"):
        lines.append(f"  recorded with lerobot {compatibility['recorded_with']}")
        for bug in compatibility.get("known_bugs") or []:
            lines.append(
                f"      known bug {bug['issue']} (fixed in {bug['fixed_in']}): {bug['what']}"
            )
    return lines


def run(options, out=sys.stdout) -> int:
    progress = StderrProgress(enabled=not options.json or sys.stderr.isatty())
    try:
        report = validate(
            options.path,
            max_episodes=options.max_episodes,
            decode_video=not options.no_decode,
            workers=options.workers,
            progress=progress,
        )
    except (NotADirectoryError, PermissionError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if options.json:
        out.write(json.dumps(report.to_dict()) + "\n")
    else:
        out.write(render_text(report, options.path) + "\n")
    return 0 if report.valid else 1


def main(argv=None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
