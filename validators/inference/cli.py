"""Command line for the inference check, shared by ``python -m validators.inference`` and
``python manage.py vla_check``.

Exit codes: 0 the policy ran and fits the dataset; 1 it does not fit, or loading/running failed;
2 the arguments are unusable (unknown device, a device that is not present, steps out of range).
"""

from __future__ import annotations

import argparse
import json
import sys

from validators.inference.device import DEVICE_CHOICES
from validators.inference.errors import UsageError
from validators.inference.report import ERROR, OK, InferenceReport
from validators.inference.runner import DEFAULT_CHUNKS, DEFAULT_STEPS, DEFAULT_WARMUP

EXIT_OK, EXIT_DOES_NOT_FIT, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset_path", help="folder of a LeRobot v3.0 dataset")
    parser.add_argument(
        "--policy", required=True, help="policy folder (save_pretrained) or a cached Hub id"
    )
    parser.add_argument(
        "--device",
        default="auto",
        help=f"one of {', '.join(DEVICE_CHOICES)} or cuda:N (auto: cuda, then mps, then cpu)",
    )
    parser.add_argument(
        "--steps", type=int, default=DEFAULT_STEPS, help="timed select_action calls (frames)"
    )
    parser.add_argument(
        "--chunks", type=int, default=DEFAULT_CHUNKS, help="timed predict_action_chunk calls"
    )
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, help="untimed chunk calls before timing"
    )
    parser.add_argument("--seed", type=int, default=0, help="frame sampling and noise seed")
    parser.add_argument(
        "--vlm-model",
        default=None,
        help="local folder with the VLM config + tokenizer, replacing the policy's vlm_model_name",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def exit_code(report: InferenceReport) -> int:
    return EXIT_OK if report.status == OK else EXIT_DOES_NOT_FIT


def _ms(value) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def _saved_by(saved_with: dict) -> str:
    version = saved_with.get("lerobot")
    return f"{version} ({saved_with.get('evidence')})" if version else str(saved_with.get("format"))


def render_text(report: InferenceReport) -> str:
    lines = [
        f"Inference check: {report.status.upper()}",
        f"  dataset  {report.dataset_path}",
        f"  policy   {report.policy}"
        + (f" ({report.policy_type}, {report.policy_source})" if report.policy_type else ""),
        f"  device   {report.device} ({report.device_name})",
    ]
    env = report.environment
    if env:
        lines.append(
            f"  versions torch {env.get('torch')}, lerobot {env.get('lerobot')}, transformers "
            f"{env.get('transformers')}, python {env.get('python')}, {env.get('torch_threads')} threads"
        )
    if report.error:
        lines.append(f"  error    [{report.error['stage']}] {report.error['message']}")
    errors = [i for i in report.issues if i.severity == ERROR]
    if errors:
        lines.append(f"  the policy does not fit the dataset ({len(errors)} problem(s)):")
    for issue in report.issues:
        lines.append(f"    {issue.severity:7} {issue.feature}: {issue.message}")
        if issue.fix and issue.severity == ERROR:
            lines.append(f"            fix: {issue.fix}")
    if report.status == OK:
        info = report.policy_info
        lines += [
            f"  policy   {info.get('class')}, {info.get('parameters', 0):,} parameters, "
            f"{info.get('dtype')}, chunk {info.get('chunk_size')}, executes "
            f"{info.get('n_action_steps')} actions per chunk; processors from "
            f"{report.processors_source}",
            f"  lerobot  saved by {_saved_by(info.get('saved_with') or {})}; run with "
            f"{info.get('run_with_lerobot')}",
            f"  load     {report.load_s:.2f} s; first call {_ms(report.first_call_ms)}",
            f"  action   p50 {_ms(report.per_action.p50_ms)}  p95 {_ms(report.per_action.p95_ms)}  "
            f"max {_ms(report.per_action.max_ms)}  ({report.per_action.count} calls)",
            f"  chunk    p50 {_ms(report.per_chunk.p50_ms)}  p95 {_ms(report.per_chunk.p95_ms)}  "
            f"max {_ms(report.per_chunk.max_ms)}  ({report.per_chunk.count} calls)",
        ]
        control = report.control
        if control:
            lines.append(
                f"  rate     {control['achieved_hz']:.1f} actions/s vs dataset {control['dataset_fps']:g}"
                f" fps (x{control['realtime_factor']:.2f}): {control['verdict']} — {control['detail']}"
            )
        memory = report.memory
        gpu = memory.get("gpu_peak_allocated_mib")
        lines.append(
            f"  memory   peak RSS {memory.get('peak_rss_mib', 0):.0f} MiB"
            + (f", GPU peak {gpu:.0f} MiB allocated" if gpu is not None else "")
        )
        outputs = report.outputs
        out = outputs.get("out_of_range") or {}
        lines.append(
            f"  outputs  action {outputs.get('action_shape')} chunk {outputs.get('chunk_shape')} vs "
            f"dataset action {outputs.get('dataset_action_shape')}: "
            f"{'ok' if outputs.get('shape_ok') else 'MISMATCH'}; NaN {outputs.get('nan_count')}, "
            f"Inf {outputs.get('inf_count')}, outside min/max {out.get('count', 'n/a')}"
        )
        det = report.determinism
        same = (
            "identical"
            if det.get("identical")
            else f"DIFFERENT, max difference {det.get('max_abs_diff', 0):.3g}"
        )
        lines.append(f"  determinism ({det.get('method')}): {same}")
    for warning in report.warnings:
        lines.append(f"  warning  {warning}")
    if report.total_s is not None:
        lines.append(f"  total    {report.total_s:.1f} s")
    return "\n".join(lines)


def run(options: argparse.Namespace, stdout=None) -> int:
    from validators.inference.runner import check_policy

    stdout = stdout or sys.stdout
    report = check_policy(
        options.dataset_path,
        options.policy,
        device=options.device,
        steps=options.steps,
        chunks=options.chunks,
        warmup=options.warmup,
        seed=options.seed,
        vlm_model=options.vlm_model,
    )
    if options.json:
        stdout.write(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    else:
        stdout.write(render_text(report) + "\n")
    return exit_code(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m validators.inference",
        description="Run a lerobot policy on a dataset's frames on this device, and report.",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        return run(options)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
