"""Device selection, synchronisation, memory figures and the environment the check ran in."""

from __future__ import annotations

import os
import platform
import resource
import sys
from typing import Any

from validators.inference.errors import UsageError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def select_device(requested: str = "auto") -> str:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU. An explicit device must be present."""
    import torch

    requested = (requested or "auto").strip().lower()
    kind = requested.split(":", 1)[0]
    if kind not in DEVICE_CHOICES:
        raise UsageError(f"unknown device {requested!r}: use one of {', '.join(DEVICE_CHOICES)}")
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if kind == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if kind == "cuda" and not cuda:
        raise UsageError("device 'cuda' was requested but torch sees no CUDA GPU on this machine")
    if kind == "cuda" and ":" in requested:
        index = requested.split(":", 1)[1]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise UsageError(
                f"device {requested!r} does not exist: {torch.cuda.device_count()} CUDA GPU(s) here"
            )
    if kind == "mps" and not mps:
        raise UsageError("device 'mps' was requested but torch sees no Apple MPS device here")
    return requested


def is_cuda(device: str) -> bool:
    return device.startswith("cuda")


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so that a timer read afterwards covers it."""
    import torch

    if is_cuda(device):
        torch.cuda.synchronize(device)
    elif device == "mps":
        torch.mps.synchronize()


def reset_gpu_peak(device: str) -> None:
    import torch

    if is_cuda(device):
        torch.cuda.reset_peak_memory_stats(device)


def gpu_memory_mib(device: str) -> dict[str, float]:
    """Peak GPU memory since the last reset (allocated by tensors, and reserved by the allocator)."""
    import torch

    if is_cuda(device):
        return {
            "gpu_peak_allocated_mib": torch.cuda.max_memory_allocated(device) / 2**20,
            "gpu_peak_reserved_mib": torch.cuda.max_memory_reserved(device) / 2**20,
        }
    if device == "mps":
        return {"gpu_allocated_mib": torch.mps.driver_allocated_memory() / 2**20}
    return {}


def rss_mib() -> float | None:
    """This process's resident memory now."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil ships with the platform's requirements
        return None


def peak_rss_mib() -> float:
    """The process's peak resident memory since it started (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def device_name(device: str) -> str:
    import torch

    if is_cuda(device):
        return torch.cuda.get_device_name(device)
    if device == "mps":
        return "Apple MPS"
    return cpu_name()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE", ""),
    }
    for package in ("lerobot", "transformers", "huggingface_hub", "safetensors"):
        try:
            info[package] = __import__(package).__version__
        except (ImportError, AttributeError):
            info[package] = None
    if is_cuda(device):
        props = torch.cuda.get_device_properties(device)
        info.update(
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            gpu=props.name,
            gpu_memory_mib=props.total_memory / 2**20,
            gpu_capability=f"{props.major}.{props.minor}",
        )
    return info
