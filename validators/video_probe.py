"""Sandboxed video probing: run as ``python -m validators.video_probe`` in a child process.

A hostile or broken mp4 can make a decoder crash, hang or allocate without bound. The child limits
its own address space (RLIMIT_AS) and CPU time before importing PyAV, and arms a per-file alarm;
the parent (``probe_files``) also kills it after a wall-clock budget. The child reads a JSON job
on stdin and writes one JSON line per file on stdout as soon as that file is done, so the parent
knows which file was being read when the child died, reports it, and restarts on the rest.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from fractions import Fraction

DEFAULT_MEMORY_MB = 3072
PER_FILE_SECONDS = 60
SAMPLED_KEYFRAMES = 4  # keyframes decoded per file besides each episode's first and last frame


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _mode(spec: dict) -> str:
    """ "none" (packets only), "sample" (packets + sampled frames) or "full" (every frame)."""
    decode = spec.get("decode", "full")  # a bare spec (tests, tools) decodes everything
    if decode is True:
        return "full"
    if decode is False or decode is None:
        return "none"
    return decode if decode in ("none", "sample", "full") else "sample"


def _probe_one(av, spec: dict) -> dict:
    out: dict = {"path": spec["path"], "ok": False, "decoded_frames": 0, "packets_read": False}
    try:
        container = av.open(spec["path"], metadata_errors="ignore")
    except Exception as error:
        out["error"] = f"cannot open: {error}"
        return out
    with container:
        streams = container.streams.video
        if not streams:
            out["error"] = "no video stream"
            return out
        stream = streams[0]
        ctx = stream.codec_context
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        out.update(
            codec=ctx.name,
            width=ctx.width,
            height=ctx.height,
            pix_fmt=ctx.pix_fmt,
            fps=float(rate) if rate else None,
            duration=float(container.duration / 1e6) if container.duration else None,
        )
        time_base = stream.time_base or Fraction(1, 1)
        # Tier 1: read every packet without decoding (demux only): frame count, pts order and
        # gaps, keyframes. This is what makes probing every video cheap.
        pts, keyframes = [], []
        try:
            for packet in container.demux(stream):
                if packet.pts is not None and packet.size:
                    t = float(packet.pts * time_base)
                    pts.append(t)
                    if packet.is_keyframe:
                        keyframes.append(t)
        except Exception as error:
            out["error"] = f"demux failed after {len(pts)} packets: {error}"
            return out
        pts.sort()
        out["pts"] = pts
        out["keyframes"] = len(keyframes)
        out["packets_read"] = True
        mode = _mode(spec)
        out["mode"] = mode
        if mode == "none":
            out["ok"] = True
            return out
        decoded = 0
        try:
            if mode == "full":
                container.seek(0)
                stream.thread_type = "AUTO"
                channel_sums = None
                for frame in container.decode(stream):
                    pixels = frame.to_ndarray(format="rgb24")
                    # Per-channel mean in [0, 1], to compare with the stored video stats.
                    means = pixels.reshape(-1, 3).mean(axis=0) / 255.0
                    channel_sums = means if channel_sums is None else channel_sums + means
                    decoded += 1
                out["decoded"] = decoded
                if channel_sums is not None:
                    out["channel_mean"] = (channel_sums / decoded).tolist()
            else:
                # Tier 2: decode a sample: the first and last frame of every episode segment
                # (given by the parent) plus a few keyframes spread over the file.
                targets = {round(t, 6) for t in spec.get("samples", [])}
                wanted = int(spec.get("keyframes", SAMPLED_KEYFRAMES))
                if keyframes and wanted > 0:
                    picks = {
                        round(i * (len(keyframes) - 1) / max(1, wanted - 1)) for i in range(wanted)
                    }
                    targets.update(round(keyframes[i], 6) for i in sorted(picks))
                # One decoder thread: a sample is a handful of frames after each seek, and
                # starting a frame-thread pool per seek costs more than it saves (3x on AV1).
                stream.codec_context.thread_count = 1
                failed = []
                for ts in sorted(targets):
                    # Seek to the keyframe at or before ts, then decode up to ts (lerobot's own
                    # access pattern); a frame that cannot be reached is a sample failure.
                    container.seek(
                        max(0, int(ts / time_base)), stream=stream, backward=True, any_frame=False
                    )
                    found = False
                    for frame in container.decode(stream):
                        if frame.time is not None and frame.time >= ts - 1e-4:
                            frame.to_ndarray(format="rgb24")
                            decoded += 1
                            found = True
                            break
                    if not found:
                        failed.append(ts)
                out["sampled"] = decoded
                out["samples"] = len(targets)
                out["sample_failures"] = failed[:10]
        except Exception as error:
            out["error"] = f"decoding failed after {decoded} frame(s): {error}"
            out["decoded"] = decoded
            out["decoded_frames"] = decoded
            return out
        out["decoded_frames"] = decoded
        out["ok"] = True
        return out


def main() -> None:
    job = json.loads(sys.stdin.read())
    memory = int(job.get("memory_mb", DEFAULT_MEMORY_MB)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(job.get("cpu_seconds", 600))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    import av

    av.logging.set_level(av.logging.PANIC)
    signal.signal(signal.SIGALRM, _alarm)
    for spec in job["files"]:
        print(json.dumps({"start": spec["path"]}), flush=True)
        signal.alarm(int(job.get("per_file_seconds", PER_FILE_SECONDS)))
        try:
            result = _probe_one(av, spec)
        except _Timeout:
            result = {"path": spec["path"], "ok": False, "error": "timed out"}
        except MemoryError:
            result = {"path": spec["path"], "ok": False, "error": "ran out of memory"}
        finally:
            signal.alarm(0)
        print(json.dumps(result), flush=True)


def probe_files(
    specs: list[dict],
    *,
    memory_mb: int = DEFAULT_MEMORY_MB,
    per_file_seconds: int = PER_FILE_SECONDS,
    grace_seconds: float = 30.0,
) -> dict[str, dict]:
    """Probe mp4 files in a sandboxed child; a file that kills or hangs the child gets an error
    result and the remaining files are probed by a fresh child."""
    results: dict[str, dict] = {}
    pending = list(specs)
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONPATH": os.pathsep.join(sys.path)}
    while pending:
        job = {
            "files": pending,
            "memory_mb": memory_mb,
            "per_file_seconds": per_file_seconds,
            "cpu_seconds": per_file_seconds * len(pending) + 30,
        }
        budget = per_file_seconds * len(pending) + grace_seconds
        current = None
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "validators.video_probe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        try:
            output, _ = process.communicate(json.dumps(job), timeout=budget)
            crashed = process.returncode != 0
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            crashed = True
        for line in output.splitlines():
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "start" in message:
                current = message["start"]
            else:
                results[message["path"]] = message
                current = None
        if crashed and current is not None and current not in results:
            elapsed = time.monotonic() - started
            results[current] = {
                "path": current,
                "ok": False,
                "error": f"the decoder process died ({'timed out' if elapsed >= budget else f'exit code {process.returncode}'})",
            }
        done = set(results)
        remaining = [s for s in pending if s["path"] not in done]
        if len(remaining) == len(pending):  # no progress at all: give up on these files
            for spec in remaining:
                results[spec["path"]] = {
                    "path": spec["path"],
                    "ok": False,
                    "error": f"the decoder process failed before reading it (exit code {process.returncode})",
                }
            break
        pending = remaining
    return results


if __name__ == "__main__":
    main()
