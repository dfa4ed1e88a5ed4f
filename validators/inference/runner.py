"""Run a policy on a dataset's frames and measure it: the heart of the inference check.

Order of a check (``check_policy``):
1. open the dataset's metadata and the policy's config; match features (``features.py``). A policy
   that does not fit is reported as ``incompatible`` without loading its weights.
2. load weights + pre/post-processors onto the device (timed: ``load_s``).
3. first call: pre-processor -> ``select_action`` -> post-processor on the first frame (cold).
4. chunks: ``warmup`` untimed then ``chunks`` timed pre -> ``predict_action_chunk`` -> post calls.
5. actions: ``steps`` timed pre -> ``select_action`` -> post calls over consecutive frames of
   sampled episodes (``policy.reset()`` at each episode start), like a robot control loop.
6. numerics on what came out (shape, NaN/Inf, dataset min/max) and determinism with fixed noise.

Frames are decoded (PyAV) between timed calls, never inside them. On CUDA every timed region ends
with ``torch.cuda.synchronize()``, so the time covers the GPU work.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validators.inference import device as devices
from validators.inference.errors import InferenceCheckError, TimeBudgetExceeded, UsageError
from validators.inference.features import dataset_policy_features, match_features
from validators.inference.loading import (
    has_processor_configs,
    load_policy,
    load_policy_config,
    open_dataset,
    open_dataset_metadata,
    policy_source,
)
from validators.inference.report import (
    FAILED,
    INCOMPATIBLE,
    OK,
    InferenceReport,
    LatencyStats,
)

logger = logging.getLogger(__name__)

DEFAULT_STEPS = 100
DEFAULT_CHUNKS = 10
DEFAULT_WARMUP = 2
MAX_STEPS = 10_000

Progress = Callable[[str, float], None]


# --- which frames ---------------------------------------------------------------------------------


@dataclass
class FramePlan:
    """Dataset indices to feed, in order; ``episode_starts`` are positions where a new episode
    segment begins (the policy is reset there, as a robot would be between episodes)."""

    indices: list[int] = field(default_factory=list)
    episode_starts: set[int] = field(default_factory=set)
    episodes: list[int] = field(default_factory=list)


def plan_frames(meta, steps: int, seed: int = 0) -> FramePlan:
    """``steps`` frames as consecutive runs from randomly chosen episodes (seeded, reproducible).

    Each run starts at a random offset in its episode and lasts as long as the episode allows,
    so a short ``steps`` samples one stretch and a long one walks through several episodes.
    """
    import numpy as np

    episodes = meta.episodes
    spans = [
        (int(e), int(start), int(stop))
        for e, start, stop in zip(
            episodes["episode_index"],
            episodes["dataset_from_index"],
            episodes["dataset_to_index"],
            strict=True,
        )
        if int(stop) > int(start)
    ]
    if not spans:
        raise InferenceCheckError("the dataset has no frames to run the policy on", stage="frames")
    rng = np.random.default_rng(seed)
    plan = FramePlan()
    while len(plan.indices) < steps:
        for position in rng.permutation(len(spans)):
            episode, start, stop = spans[position]
            run = min(stop - start, steps - len(plan.indices))
            offset = start + int(rng.integers(0, stop - start - run + 1))
            plan.episode_starts.add(len(plan.indices))
            plan.indices.extend(range(offset, offset + run))
            if episode not in plan.episodes:
                plan.episodes.append(episode)
            if len(plan.indices) >= steps:
                break
    return plan


def policy_inputs(item: dict[str, Any], input_keys: Iterable[str]) -> dict[str, Any]:
    """The part of a dataset item the pre-processor takes: the policy's inputs and the task."""
    frame = {key: item[key] for key in input_keys if key in item}
    frame["task"] = item.get("task", "")
    return frame


class Deadline:
    """A time budget for the whole check, checked between calls (frames, stages)."""

    def __init__(self, seconds: float | None, started: float):
        self.seconds, self.started = seconds, started

    def check(self, doing: str) -> None:
        if self.seconds is not None and time.perf_counter() - self.started > self.seconds:
            raise TimeBudgetExceeded(
                f"the check ran past its time limit of {self.seconds:g} s while {doing}; give it "
                "fewer steps, a faster device, or more time"
            )


class FrameSource:
    """Decodes planned frames lazily; ``decode_s`` adds up the time spent decoding."""

    def __init__(self, dataset, input_keys: Iterable[str], deadline: Deadline | None = None):
        self.dataset = dataset
        self.input_keys = list(input_keys)
        self.decode_s = 0.0
        self.decoded = 0
        self.deadline = deadline

    def get(self, index: int) -> dict[str, Any]:
        if self.deadline is not None:
            self.deadline.check(f"running the policy on frame {index}")
        started = time.perf_counter()
        try:
            item = self.dataset[index]
        except Exception as exc:
            videos = ""
            if getattr(self.dataset.meta, "video_keys", None):
                videos = (
                    "; the video files under videos/ may be damaged or shorter than "
                    "meta/episodes says"
                )
            raise InferenceCheckError(
                f"frame {index} cannot be read from the dataset ({_first_line(exc)}){videos}",
                stage="frames",
            ) from exc
        self.decode_s += time.perf_counter() - started
        self.decoded += 1
        return policy_inputs(item, self.input_keys)

    def iterate(self, indices: Iterable[int]) -> Iterator[dict[str, Any]]:
        for index in indices:
            yield self.get(index)


# --- the timed loops --------------------------------------------------------------------------------


def timed_action_loop(
    policy,
    preprocessor,
    postprocessor,
    frames: Iterable[dict[str, Any]],
    *,
    device: str,
    episode_starts: set[int] = frozenset(),
) -> tuple[list[float], list[Any]]:
    """pre -> ``select_action`` -> post per frame; returns per-call seconds and the actions.

    Only the three calls are inside the timed region (plus a GPU synchronize). Frame decoding and
    bookkeeping happen outside it; the outputs are checked after the loop.
    """
    import torch

    latencies: list[float] = []
    actions: list[Any] = []
    clock = time.perf_counter
    sync = devices.is_cuda(device) or device == "mps"
    with torch.inference_mode():
        for position, frame in enumerate(frames):
            if position in episode_starts:
                policy.reset()
            started = clock()
            action = postprocessor(policy.select_action(preprocessor(frame)))
            if sync:
                devices.synchronize(device)
            latencies.append(clock() - started)
            actions.append(action)
    return latencies, actions


def bare_action_loop(policy, preprocessor, postprocessor, frames, *, episode_starts=frozenset()):
    """The same calls with nothing around them: the baseline ``bench/vla_overhead.py`` compares to."""
    import torch

    with torch.inference_mode():
        for position, frame in enumerate(frames):
            if position in episode_starts:
                policy.reset()
            postprocessor(policy.select_action(preprocessor(frame)))


def predict_chunk(policy, batch: dict[str, Any], noise=None):
    """``predict_action_chunk`` for any policy, given an already pre-processed batch."""
    if getattr(policy, "name", "") == "diffusion":
        # Diffusion reads its observation history from queues that select_action fills; fill them
        # the same way so predict_action_chunk sees this frame.
        import torch
        from lerobot.policies.utils import populate_queues
        from lerobot.utils.constants import OBS_IMAGES

        batch = dict(batch)
        batch.pop("action", None)  # the pre-processor leaves an empty action slot
        if policy.config.image_features:
            batch[OBS_IMAGES] = torch.stack(
                [batch[key] for key in policy.config.image_features], dim=-4
            )
        policy._queues = populate_queues(policy._queues, batch)
    if noise is not None:
        return policy.predict_action_chunk(batch, noise=noise)
    return policy.predict_action_chunk(batch)


def timed_chunk_calls(policy, preprocessor, postprocessor, frames, *, device: str):
    """pre -> ``predict_action_chunk`` -> post per frame: total seconds, the split, the chunks."""
    import torch

    totals, splits, chunks = [], {"pre": [], "model": [], "post": []}, []
    clock = time.perf_counter
    with torch.inference_mode():
        for frame in frames:
            policy.reset()
            started = clock()
            batch = preprocessor(frame)
            devices.synchronize(device)
            prepared = clock()
            chunk = predict_chunk(policy, batch)
            devices.synchronize(device)
            predicted = clock()
            chunk = postprocessor(chunk)
            devices.synchronize(device)
            finished = clock()
            totals.append(finished - started)
            splits["pre"].append(prepared - started)
            splits["model"].append(predicted - prepared)
            splits["post"].append(finished - predicted)
            chunks.append(chunk)
    return totals, splits, chunks


# --- checks on the outputs ---------------------------------------------------------------------------


def output_checks(actions: list, chunks: list, meta) -> dict[str, Any]:
    import numpy as np
    import torch

    action_feature = meta.features.get("action", {})
    expected_dim = int((action_feature.get("shape") or [0])[0])
    result: dict[str, Any] = {
        "dataset_action_shape": list(action_feature.get("shape") or []),
        "action_shape": list(actions[0].shape) if actions else None,
        "chunk_shape": list(chunks[0].shape) if chunks else None,
    }
    result["shape_ok"] = (
        bool(actions)
        and all(a.ndim == 2 and a.shape[-1] == expected_dim for a in actions)
        and all(c.ndim == 3 and c.shape[-1] == expected_dim for c in chunks)
    )

    tensors = [a.detach().float().cpu().reshape(-1, a.shape[-1]) for a in actions + chunks]
    values = torch.cat(tensors) if tensors else torch.empty(0, max(expected_dim, 1))
    result["values_checked"] = int(values.numel())
    result["nan_count"] = int(torch.isnan(values).sum())
    result["inf_count"] = int(torch.isinf(values).sum())

    stats = (meta.stats or {}).get("action") or {}
    if "min" in stats and "max" in stats and values.shape[-1] == expected_dim and expected_dim:
        low = np.asarray(stats["min"], dtype=np.float64).reshape(-1)
        high = np.asarray(stats["max"], dtype=np.float64).reshape(-1)
        array = values.double().numpy()
        finite = np.isfinite(array)
        outside = finite & ((array < low) | (array > high))
        names = action_feature.get("names")
        names = names if isinstance(names, list) and len(names) == expected_dim else None
        per_dim = outside.sum(axis=0)
        worst = [
            {
                "dim": int(d),
                "name": names[d] if names else None,
                "count": int(per_dim[d]),
                "min": float(low[d]),
                "max": float(high[d]),
                "seen_min": float(array[finite[:, d], d].min()) if finite[:, d].any() else None,
                "seen_max": float(array[finite[:, d], d].max()) if finite[:, d].any() else None,
            }
            for d in np.argsort(-per_dim)
            if per_dim[d] > 0
        ][:8]
        result["out_of_range"] = {
            "count": int(outside.sum()),
            "fraction": float(outside.sum() / max(array.size, 1)),
            "dims": worst,
        }
    else:
        result["out_of_range"] = None  # no min/max stats for "action" in meta/stats.json
    return result


def _noise_shape(config) -> tuple[int, ...] | None:
    """Shape of the ``noise`` argument of flow-matching / diffusion policies, when known."""
    kind = getattr(config, "type", "")
    if kind in {"smolvla", "pi0", "pi05"}:
        return (1, config.chunk_size, config.max_action_dim)
    if kind == "diffusion":
        return (1, config.horizon, config.action_feature.shape[0])
    return None


def determinism_check(policy, preprocessor, frame, *, device: str, seed: int) -> dict[str, Any]:
    """Two chunks from the same frame with the same noise must be identical."""
    import torch

    accepts_noise = "noise" in inspect.signature(policy.predict_action_chunk).parameters
    shape = _noise_shape(policy.config) if accepts_noise else None

    def run(noise_seed: int):
        policy.reset()
        torch.manual_seed(noise_seed)
        if devices.is_cuda(device):
            torch.cuda.manual_seed_all(noise_seed)
        noise = None
        if shape is not None:
            generator = torch.Generator().manual_seed(noise_seed)
            noise = torch.randn(shape, generator=generator).to(device)
        with torch.inference_mode():
            return predict_chunk(policy, preprocessor(dict(frame)), noise=noise).float().cpu()

    first, second, other = run(seed), run(seed), run(seed + 1)
    difference = float((first - second).abs().max()) if first.numel() else 0.0
    return {
        "method": "fixed noise tensor" if shape is not None else "fixed torch seed",
        "identical": bool(torch.equal(first, second)),
        "max_abs_diff": difference,
        # A different seed changes the output only for policies that sample noise.
        "depends_on_noise": not torch.equal(first, other),
    }


def control_figures(per_action: LatencyStats, per_chunk: LatencyStats, fps: float, n_steps: int):
    """How the measured latency compares to the dataset's control rate."""
    if not per_action.count or not fps:
        return {}
    period_ms = 1000.0 / fps
    achieved_hz = 1000.0 / per_action.mean_ms if per_action.mean_ms else float("inf")
    chunk_ms = per_chunk.p95_ms
    figures: dict[str, Any] = {
        "dataset_fps": fps,
        "period_ms": period_ms,
        "n_action_steps": n_steps,
        "achieved_hz": achieved_hz,
        "realtime_factor": achieved_hz / fps,
        "worst_action_ms": per_action.max_ms,
        "chunk_budget_ms": n_steps * period_ms,
        "chunk_p95_ms": chunk_ms,
    }
    if chunk_ms is not None:
        # Robot executes n actions at fps and waits while the next chunk is computed.
        figures["synchronous_hz"] = n_steps / (n_steps / fps + chunk_ms / 1000.0)
    if per_action.max_ms <= period_ms:
        verdict = "real time"
        detail = f"every action within one control period ({period_ms:.1f} ms)"
    elif achieved_hz >= fps and (chunk_ms is None or chunk_ms <= n_steps * period_ms):
        verdict = "real time with asynchronous inference"
        detail = (
            f"keeps up on average ({achieved_hz:.1f} Hz ≥ {fps:g} Hz) but a chunk takes "
            f"{per_action.max_ms:.1f} ms > {period_ms:.1f} ms; computing the next chunk while the "
            f"current one executes ({n_steps} actions = {n_steps * period_ms:.0f} ms) hides it"
        )
    elif achieved_hz < fps:
        verdict = "too slow"
        detail = (
            f"{achieved_hz:.2f} actions/s against {fps:g} fps: {fps / achieved_hz:.1f}x too slow"
        )
    else:
        verdict = "too slow"
        detail = (
            f"keeps up on average ({achieved_hz:.1f} Hz) but a chunk takes {chunk_ms:.0f} ms (p95), "
            f"longer than its {n_steps} actions take to execute ({n_steps * period_ms:.0f} ms): "
            "the robot would stall at every chunk, even with asynchronous inference"
        )
    figures["verdict"] = verdict
    figures["detail"] = detail
    return figures


# --- the check ---------------------------------------------------------------------------------------


def check_policy(
    dataset_path: str | Path,
    policy: str,
    *,
    device: str = "auto",
    steps: int = DEFAULT_STEPS,
    chunks: int = DEFAULT_CHUNKS,
    warmup: int = DEFAULT_WARMUP,
    seed: int = 0,
    vlm_model: str | None = None,
    progress: Progress | None = None,
    reraise: tuple[type[BaseException], ...] = (),
    time_limit_s: float | None = None,
) -> InferenceReport:
    """Run ``policy`` (a folder or a Hub id) on ``dataset_path``'s frames and report.

    Never raises for bad input: problems become ``status="failed"`` with ``error`` set, a policy
    that does not fit becomes ``status="incompatible"`` with ``issues``. Only ``UsageError``
    (unusable arguments) and the exception types in ``reraise`` (e.g. Celery's soft time limit)
    propagate. ``time_limit_s`` bounds the whole check: past it, the check stops at the next
    frame or stage and reports ``failed`` at stage "time limit".
    """
    started = time.perf_counter()
    report = InferenceReport(dataset_path=str(dataset_path), policy=str(policy))
    deadline = Deadline(time_limit_s, started)

    def notify(stage: str, fraction: float) -> None:
        deadline.check(stage)
        if progress is not None:
            progress(stage, fraction)

    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise UsageError(f"steps must be between 1 and {MAX_STEPS}, got {steps!r}")
    if not isinstance(chunks, int) or not 0 <= chunks <= 1000:
        raise UsageError(f"chunks must be between 0 and 1000, got {chunks!r}")
    if not isinstance(warmup, int) or not 0 <= warmup <= 100:
        raise UsageError(f"warmup must be between 0 and 100, got {warmup!r}")
    report.device = devices.select_device(device)

    stage = "dataset"
    try:
        report.environment = devices.environment(report.device)
        report.device_name = devices.device_name(report.device)
        notify("reading the dataset", 0.0)
        meta = open_dataset_metadata(dataset_path)
        dataset_features = dataset_policy_features(meta.features)
        tasks = [str(t) for t in meta.tasks.index] if meta.tasks is not None else []
        report.dataset = _dataset_summary(meta, dataset_features, tasks)

        stage = "policy"
        notify("reading the policy config", 0.05)
        source = policy_source(str(policy))
        config = load_policy_config(str(policy), source)
        report.policy_type = config.type
        report.policy_source = source
        has_processors = has_processor_configs(str(policy), source)
        report.issues = match_features(
            config,
            dataset_features,
            stats=meta.stats,
            tasks=tasks,
            stats_from_dataset=not has_processors,
        )
        if not report.fits:
            report.status = INCOMPATIBLE
            return report

        notify("loading the policy", 0.1)
        memory: dict[str, Any] = {"rss_before_load_mib": devices.rss_mib()}
        devices.reset_gpu_peak(report.device)
        load_started = time.perf_counter()
        loaded = load_policy(
            str(policy),
            device=report.device,
            dataset_stats=meta.stats,
            config=config,
            vlm_model=vlm_model,
        )
        devices.synchronize(report.device)
        report.load_s = time.perf_counter() - load_started
        memory["rss_after_load_mib"] = devices.rss_mib()
        memory.update(
            {f"after_load_{k}": v for k, v in devices.gpu_memory_mib(report.device).items()}
        )
        report.processors_source = loaded.processors_source
        report.warnings.extend(loaded.warnings)
        report.policy_info = _policy_summary(loaded.policy, loaded.config)
        # The release that saved the policy and the one that ran it (also in environment).
        report.policy_info["saved_with"] = loaded.saved_with
        report.policy_info["run_with_lerobot"] = report.environment.get("lerobot")

        stage = "frames"
        notify("opening the frames", 0.2)
        dataset = open_dataset(dataset_path)
        plan = plan_frames(meta, steps, seed)
        source_frames = FrameSource(dataset, loaded.config.input_features, deadline)
        first_frame = source_frames.get(plan.indices[0])

        stage = "run"
        policy_obj, pre, post = loaded.policy, loaded.preprocessor, loaded.postprocessor
        notify("first call", 0.25)
        first_latency, first_actions = timed_action_loop(
            policy_obj, pre, post, [dict(first_frame)], device=report.device, episode_starts={0}
        )
        report.first_call_ms = first_latency[0] * 1000.0

        chunk_frames = [plan.indices[i % len(plan.indices)] for i in range(warmup + chunks)]
        chunk_outputs: list = []
        if warmup + chunks:
            notify("timing action chunks", 0.3)
            _, _, warm_chunks = timed_chunk_calls(
                policy_obj,
                pre,
                post,
                source_frames.iterate(chunk_frames[:warmup]),
                device=report.device,
            )
            totals, splits, chunk_outputs = timed_chunk_calls(
                policy_obj,
                pre,
                post,
                source_frames.iterate(chunk_frames[warmup:]),
                device=report.device,
            )
            chunk_outputs = warm_chunks + chunk_outputs
            report.per_chunk = LatencyStats.of(totals)
            report.chunk_breakdown_ms = {
                f"{part}_p50_ms": LatencyStats.of(values).p50_ms for part, values in splits.items()
            }

        notify("timing actions", 0.55)
        latencies, actions = timed_action_loop(
            policy_obj,
            pre,
            post,
            source_frames.iterate(plan.indices),
            device=report.device,
            episode_starts=plan.episode_starts,
        )
        report.per_action = LatencyStats.of(latencies)
        report.frames = {
            "steps": len(plan.indices),
            "episodes": plan.episodes,
            "first_index": plan.indices[0],
            "decoded": source_frames.decoded,
            "decode_s": source_frames.decode_s,
            "video_backend": "pyav",
            "warmup_chunks": warmup,
            "timed_chunks": chunks,
        }

        stage = "numerics"
        notify("checking outputs", 0.9)
        report.outputs = output_checks(first_actions + actions, chunk_outputs, meta)
        report.determinism = determinism_check(
            policy_obj, pre, first_frame, device=report.device, seed=seed
        )
        report.control = control_figures(
            report.per_action,
            report.per_chunk,
            float(meta.fps),
            int(getattr(loaded.config, "n_action_steps", 1) or 1),
        )
        memory["peak_rss_mib"] = devices.peak_rss_mib()
        memory["rss_after_run_mib"] = devices.rss_mib()
        memory.update(devices.gpu_memory_mib(report.device))
        report.memory = memory
        report.warnings.extend(_output_warnings(report))
        report.status = OK
        notify("done", 1.0)
    except reraise:
        raise
    except InferenceCheckError as exc:
        if reraise and isinstance(exc.__cause__, reraise):
            raise exc.__cause__ from None  # e.g. a time limit that struck inside a loader
        report.status = FAILED
        report.error = {"stage": exc.stage, "message": exc.message}
    except Exception as exc:
        logger.exception("inference check failed at stage %s", stage)
        report.status = FAILED
        report.error = {
            "stage": stage,
            "message": f"{type(exc).__name__}: {_first_line(exc)}",
            "where": _where(exc),
        }
    finally:
        report.total_s = time.perf_counter() - started
        with contextlib.suppress(Exception):
            report.memory.setdefault("peak_rss_mib", devices.peak_rss_mib())
    return report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def _dataset_summary(meta, features, tasks) -> dict[str, Any]:
    def shape_of(key):
        return list(features[key].shape) if key in features else None

    return {
        "codebase_version": meta.info.get("codebase_version"),
        "fps": meta.fps,
        "episodes": meta.total_episodes,
        "frames": meta.total_frames,
        "robot_type": meta.info.get("robot_type"),
        "cameras": {k: list(f.shape) for k, f in features.items() if f.type.name == "VISUAL"},
        "state_shape": shape_of("observation.state"),
        "action_shape": shape_of("action"),
        "tasks": tasks[:5],
        "task_count": len(tasks),
    }


def _policy_summary(policy, config) -> dict[str, Any]:
    parameters = list(policy.parameters())
    return {
        "class": type(policy).__name__,
        "parameters": sum(p.numel() for p in parameters),
        "dtype": str(parameters[0].dtype).removeprefix("torch.") if parameters else None,
        "chunk_size": getattr(config, "chunk_size", None) or getattr(config, "horizon", None),
        "n_action_steps": getattr(config, "n_action_steps", None),
        "n_obs_steps": getattr(config, "n_obs_steps", None),
        "inputs": {k: list(f.shape) for k, f in (config.input_features or {}).items()},
        "outputs": {k: list(f.shape) for k, f in (config.output_features or {}).items()},
        "vlm_model_name": getattr(config, "vlm_model_name", None),
    }


def _output_warnings(report: InferenceReport) -> list[str]:
    warnings = []
    outputs = report.outputs
    if not outputs.get("shape_ok"):
        warnings.append(
            f"output shape {outputs.get('action_shape')} does not match the dataset's action shape "
            f"{outputs.get('dataset_action_shape')}"
        )
    if outputs.get("nan_count") or outputs.get("inf_count"):
        warnings.append(
            f"the policy produced {outputs['nan_count']} NaN and {outputs['inf_count']} Inf values"
        )
    out = outputs.get("out_of_range") or {}
    if out.get("count"):
        warnings.append(
            f"{out['count']} action values ({out['fraction']:.1%}) fall outside the dataset's "
            "min/max (expected for an untrained policy; worrying for a trained one)"
        )
    if report.determinism and not report.determinism.get("identical"):
        warnings.append(
            "the same frame and noise gave different actions (max difference "
            f"{report.determinism.get('max_abs_diff'):.3g}): non-deterministic kernels?"
        )
    return warnings
