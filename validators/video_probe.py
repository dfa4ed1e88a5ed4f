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
FULL_DECODE_FRAMES = 3000  # decode every frame of files up to this size, else sampled frames


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _probe_one(av, spec: dict) -> dict:
    out: dict = {"path": spec["path"], "ok": False}
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
        pts = []
        try:
            for packet in container.demux(stream):
                if packet.pts is not None and packet.size:
                    pts.append(float(packet.pts * time_base))
        except Exception as error:
            out["error"] = f"demux failed after {len(pts)} packets: {error}"
            return out
        pts.sort()
        out["pts"] = pts
        if not spec.get("decode", True):
            out["ok"] = True
            return out
        decoded = 0
        try:
            if len(pts) <= spec.get("full_decode_frames", FULL_DECODE_FRAMES):
                container.seek(0)
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
                for ts in spec.get("samples", []):
                    container.seek(
                        int(ts / time_base), stream=stream, backward=True, any_frame=False
                    )
                    for frame in container.decode(stream):
                        if frame.time is not None and frame.time >= ts - 1e-4:
                            frame.to_ndarray(format="rgb24")
                            decoded += 1
                            break
                out["sampled"] = decoded
                out["samples"] = len(spec.get("samples", []))
        except Exception as error:
            out["error"] = f"decoding failed after {decoded} frame(s): {error}"
            out["decoded"] = decoded
            return out
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
