"""Command line: ``python -m validators PATH|REPO_ID [--format text|json|markdown|sarif|junit]
[--decode none|sample|full] [--max-episodes N] [--repair OUT]``.

Exit status: 0 no error, 1 errors found, 2 PATH cannot be used."""

from __future__ import annotations

import argparse
import sys
import time

from .core import validate
from .formats import FORMATS, render
from .report import Report

SYMBOLS = {"error": "ERROR", "warning": "WARN", "info": "INFO"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m validators", description="Validate a LeRobot dataset (v2.0, v2.1, v3.0)."
    )
    add_arguments(parser)
    return parser


def add_arguments(parser) -> None:
    parser.add_argument(
        "path",
        help="dataset root (the folder holding meta/ and data/), or a Hub repo id (org/name)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout (= --format json)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="report format: text (default), json, markdown, sarif (code scanning) or junit (CI)",
    )
    parser.add_argument(
        "--decode",
        choices=("none", "sample", "full"),
        default=None,
        help="video tier: sample (default: every packet of every video, plus the first and last "
        "frame of each episode and a few keyframes), full (every frame), none (packets only)",
    )
    parser.add_argument(
        "--max-episodes", type=int, default=None, help="check only the first N episodes"
    )
    parser.add_argument(
        "--no-decode", action="store_true", help="read video packets only (= --decode none)"
    )
    parser.add_argument(
        "--repair",
        metavar="OUT",
        default=None,
        help="write a repaired copy of the dataset to OUT (never in place), validate it, and say "
        "what changed",
    )
    parser.add_argument(
        "--revision", default=None, help="Hub revision when PATH is a repo id (default: main)"
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


def _decode(options) -> str:
    if getattr(options, "decode", None):
        return options.decode
    return "none" if getattr(options, "no_decode", False) else "sample"


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
    fmt = getattr(options, "format", None) or ("json" if options.json else "text")
    progress = StderrProgress(enabled=fmt == "text" or sys.stderr.isatty())
    path = options.path
    try:
        from .hub import fetch_if_repo_id

        path = fetch_if_repo_id(path, revision=getattr(options, "revision", None))
        report = validate(
            path,
            max_episodes=options.max_episodes,
            decode_video=_decode(options),
            workers=options.workers,
            progress=progress,
        )
        repair_notes = None
        if getattr(options, "repair", None):
            from .repair import repair

            repaired, repair_notes = repair(path, options.repair, report)
            report = validate(
                repaired,
                max_episodes=options.max_episodes,
                decode_video=_decode(options),
                workers=options.workers,
                progress=progress,
            )
            path = str(repaired)
    except (NotADirectoryError, PermissionError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if fmt == "text":
        text = render_text(report, str(path))
        if repair_notes is not None:
            changes = "\n".join(f"  - {n}" for n in repair_notes) or "  (nothing to repair)"
            text = f"Repaired copy written to {path}; changes:\n{changes}\n\n" + text
        out.write(text + "\n")
    else:
        out.write(render(report, fmt, str(path), repairs=repair_notes) + "\n")
    return 0 if report.valid else 1


def main(argv=None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
