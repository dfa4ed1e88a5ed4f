"""Overhead of the inference check against a bare ``select_action`` loop, in one run.

Both loops run the same loaded policy (pre-processor -> select_action -> post-processor) over the
same pre-decoded dataset frames, resetting the policy at the same episode starts. The check's loop
adds what the check does per frame: a timer around each call (plus a GPU synchronize on CUDA),
keeping every action, and afterwards the latency statistics and output checks (shape, NaN/Inf,
dataset min/max). Rounds alternate bare/check then check/bare so that drift on a busy machine
cancels out; the figure is the median of the per-round ratios. Goal: overhead within 5%.

    python bench/vla_overhead.py                      # builds a small SmolVLA + dataset offline
    python bench/vla_overhead.py --dataset D --policy P [--device auto] [--steps 100] [--rounds 5]

It then runs the full ``check_policy`` once and prints its headline figures.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validators.inference import check_policy
from validators.inference.device import cpu_name, select_device
from validators.inference.loading import (
    load_policy,
    open_dataset,
    open_dataset_metadata,
)
from validators.inference.report import LatencyStats
from validators.inference.runner import (
    FrameSource,
    bare_action_loop,
    output_checks,
    plan_frames,
    timed_action_loop,
)

# VLM shapes: "small" costs ~10 ms per chunk on a CPU core; "full" is SmolVLM2-500M's shape, which
# makes a SmolVLA of 450M parameters like lerobot/smolvla_base (randomly initialised here).
VLM_SHAPES = {
    "small": {
        "text": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4,
                     num_attention_heads=8, num_key_value_heads=4, head_dim=32),
        "vision": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2),
        "policy": dict(num_vlm_layers=4, chunk_size=10, n_action_steps=10, num_steps=4,
                       max_state_dim=8, max_action_dim=8, tokenizer_max_length=16),
    },
    "full": {
        "text": dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32,
                     num_attention_heads=15, num_key_value_heads=5, head_dim=64,
                     vocab_size=49280),
        "vision": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                       num_attention_heads=12, image_size=512),
        "scale_factor": 4,
        "policy": dict(),  # SmolVLAConfig defaults: 16 VLM layers, chunk 50, 10 flow steps, 512 px
    },
}  # fmt: skip


def build_artefacts(folder: Path, size: str) -> tuple[Path, Path]:
    """A 4-episode dataset and a SmolVLA whose VLM has the given shape (random weights)."""
    import torch
    from lerobot.configs.types import FeatureType
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy
    from lerobot.utils.feature_utils import dataset_to_policy_features
    from transformers import SmolVLMConfig

    from validators.inference import tiny

    shape = VLM_SHAPES[size]
    dataset = tiny.make_dataset(folder / "dataset", episodes=4, frames=30, fps=30)
    vlm = tiny.make_tiny_vlm(folder / "vlm")
    # Widen the tiny VLM so a model call costs what real ones do relative to the Python around it.
    config = SmolVLMConfig.from_pretrained(vlm)
    for key, value in shape["text"].items():
        setattr(config.text_config, key, value)
    for key, value in shape["vision"].items():
        setattr(config.vision_config, key, value)
    config.scale_factor = shape.get("scale_factor", config.scale_factor)
    config.save_pretrained(vlm)

    torch.manual_seed(0)
    image_size = config.vision_config.image_size
    policy_config = SmolVLAConfig(
        vlm_model_name=str(vlm),
        load_vlm_weights=False,
        resize_imgs_with_padding=(image_size, image_size),
        device="cpu",
        push_to_hub=False,
        **shape["policy"],
    )
    meta = open_dataset_metadata(dataset)
    features = dataset_to_policy_features(meta.features)
    policy_config.input_features = {
        k: f for k, f in features.items() if f.type is not FeatureType.ACTION
    }
    policy_config.output_features = {
        k: f for k, f in features.items() if f.type is FeatureType.ACTION
    }
    policy = SmolVLAPolicy(policy_config).eval()
    pre, post = make_pre_post_processors(policy_config, dataset_stats=meta.stats)
    policy_folder = folder / "policy"
    policy.save_pretrained(policy_folder)
    pre.save_pretrained(policy_folder)
    post.save_pretrained(policy_folder)
    return dataset, policy_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset")
    parser.add_argument("--policy")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--size", choices=sorted(VLM_SHAPES), default="small", help="SmolVLA built when no --policy"
    )
    parser.add_argument("--steps", type=int, default=100, help="frames per loop")
    parser.add_argument("--rounds", type=int, default=16, help="paired bare/check rounds")
    parser.add_argument("--chunks", type=int, default=10, help="timed chunks in the full check")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is steadier on a shared machine)",
    )
    options = parser.parse_args()
    import torch

    torch.set_num_threads(options.threads)

    workdir = tempfile.TemporaryDirectory(prefix="vla_overhead_")
    if options.dataset and options.policy:
        dataset, policy_ref = Path(options.dataset), options.policy
    else:
        dataset, policy_ref = build_artefacts(Path(workdir.name), options.size)
    device = select_device(options.device)

    meta = open_dataset_metadata(dataset)
    loaded = load_policy(str(policy_ref), device=device, dataset_stats=meta.stats)
    plan = plan_frames(meta, options.steps, seed=0)
    source = FrameSource(open_dataset(dataset), loaded.config.input_features)
    frames = [source.get(index) for index in plan.indices]
    policy, pre, post = loaded.policy, loaded.preprocessor, loaded.postprocessor
    params = sum(p.numel() for p in policy.parameters())
    print(
        f"policy {loaded.config.type} ({params:,} parameters) on {device}; dataset {dataset.name}: "
        f"{meta.total_episodes} episodes, {meta.total_frames} frames, {meta.fps} fps; "
        f"{len(frames)} frames per loop, {options.rounds} rounds, {torch.get_num_threads()} torch "
        f"thread(s), CPU {cpu_name()}"
    )

    def bare() -> tuple[float, float]:
        batch = [dict(f) for f in frames]
        wall, cpu = time.perf_counter(), time.process_time()
        bare_action_loop(policy, pre, post, batch, episode_starts=plan.episode_starts)
        return time.perf_counter() - wall, time.process_time() - cpu

    def checked() -> tuple[float, float]:
        batch = [dict(f) for f in frames]
        wall, cpu = time.perf_counter(), time.process_time()
        latencies, actions = timed_action_loop(
            policy, pre, post, batch, device=device, episode_starts=plan.episode_starts
        )
        LatencyStats.of(latencies)
        output_checks(actions, [], meta)
        return time.perf_counter() - wall, time.process_time() - cpu

    bare(), checked()  # warm-up: caches, allocator, lazy initialisation
    pairs = []
    for round_index in range(options.rounds):
        # Alternate which loop goes first, so that drift on a busy machine cancels out.
        if round_index % 2 == 0:
            b, c = bare(), checked()
        else:
            c, b = checked(), bare()
        pairs.append((b, c))

    for label, index in (("wall clock", 0), ("CPU time", 1)):
        bare_s = statistics.median(b[index] for b, _ in pairs)
        check_s = statistics.median(c[index] for _, c in pairs)
        ratios = [c[index] / b[index] - 1 for b, c in pairs]
        print(
            f"{label:10}: bare select_action loop {bare_s * 1000:8.1f} ms "
            f"({bare_s / len(frames) * 1000:.3f} ms/action) | inference-check loop "
            f"{check_s * 1000:8.1f} ms ({check_s / len(frames) * 1000:.3f} ms/action) | overhead "
            f"{statistics.median(ratios) * 100:+.2f}% (median of {len(pairs)} paired rounds; "
            f"quartiles {statistics.quantiles(ratios, n=4)[0] * 100:+.1f}%.."
            f"{statistics.quantiles(ratios, n=4)[2] * 100:+.1f}%)"
        )
    print("goal: overhead within 5%")

    report = check_policy(
        dataset, str(policy_ref), device=device, steps=options.steps, chunks=options.chunks
    )
    print(
        f"full check: status {report.status}, load {report.load_s:.2f} s, first call "
        f"{report.first_call_ms:.1f} ms, action p50/p95/max {report.per_action.p50_ms:.2f}/"
        f"{report.per_action.p95_ms:.2f}/{report.per_action.max_ms:.2f} ms, chunk p50/p95 "
        f"{report.per_chunk.p50_ms:.1f}/{report.per_chunk.p95_ms:.1f} ms, "
        f"{report.control['achieved_hz']:.1f} actions/s vs {report.control['dataset_fps']:g} fps "
        f"({report.control['verdict']}), peak RSS {report.memory['peak_rss_mib']:.0f} MiB, "
        f"total {report.total_s:.1f} s"
    )
    workdir.cleanup()


if __name__ == "__main__":
    main()
