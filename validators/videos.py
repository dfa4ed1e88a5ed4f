"""Videos: a file for every episode and camera, readable, with the codec, resolution, fps and
frame count the metadata promises. Probing and decoding happen in sandboxed child processes
(validators.video_probe), several in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .context import Context
from .episodes import resolve
from .info import camera_hwc
from .video_probe import probe_files

USUAL_CODECS = {"h264", "hevc", "av1", "libdav1d", "libaom-av1", "vp9"}
FPS_TOLERANCE = 0.01
VIDEOS_PER_CHILD = 8


@dataclass
class Span:
    episode: int
    length: int | None
    start: float  # seconds inside the file
    stop: float


@dataclass
class VideoFile:
    rel: str
    key: str
    spans: list[Span] = field(default_factory=list)


def expected_videos(ctx: Context) -> dict[str, VideoFile]:
    meta, template = ctx.episodes, ctx.info.get("video_path")
    files: dict[str, VideoFile] = {}
    if meta is None or not ctx.video_keys:
        return files
    if not isinstance(template, str):
        ctx.add(
            "info.invalid",
            "Video features are declared but video_path is not set in info.json.",
            file="meta/info.json",
        )
        return files
    chunks_size = (
        ctx.info.get("chunks_size")
        if isinstance(ctx.info.get("chunks_size"), int) and ctx.info["chunks_size"] > 0
        else 1000
    )
    fps = ctx.fps or 1.0
    for key in ctx.video_keys:
        missing = []
        for i, ep in enumerate(meta.index):
            if not ctx.episode_selected(ep):
                continue
            length = meta.length[i]
            if ctx.is_v3:
                columns = meta.videos.get(key, {})
                values = {
                    c: (columns.get(c) or [None] * len(meta))[i]
                    for c in ("chunk_index", "file_index", "from_timestamp", "to_timestamp")
                }
                if values["chunk_index"] is None or values["file_index"] is None:
                    continue  # episodes.invalid already reported
                rel = resolve(
                    template,
                    video_key=key,
                    chunk_index=values["chunk_index"],
                    file_index=values["file_index"],
                )
                start = float(values["from_timestamp"] or 0.0)
                stop = (
                    float(values["to_timestamp"])
                    if values["to_timestamp"] is not None
                    else start + (length or 0) / fps
                )
            else:
                rel = resolve(
                    template, episode_chunk=ep // chunks_size, video_key=key, episode_index=ep
                )
                start, stop = 0.0, (length or 0) / fps
            if rel is None:
                ctx.add(
                    "info.path_template",
                    f"video_path {template!r} cannot be filled for {key}, episode {ep}.",
                    file="meta/info.json",
                )
                return {}
            if rel not in ctx.files:
                missing.append((ep, rel))
                continue
            files.setdefault(rel, VideoFile(rel=rel, key=key)).spans.append(
                Span(ep, length, start, stop)
            )
        if missing and not any(r.startswith("videos/") and r.endswith(".mp4") for r in ctx.files):
            ctx.add(
                "video.missing",
                f"{key} is declared as a video feature, but the dataset holds no mp4 file at all "
                f"(expected {len(missing)} episode video(s), e.g. {missing[0][1]}): the videos/ "
                "folder was not uploaded. Upload it; lerobot cannot load any frame of this camera.",
                feature=key,
                file=missing[0][1],
            )
        elif missing:
            episodes = [ep for ep, _ in missing]
            ctx.add(
                "video.missing",
                f"{key}: no video file for {len(missing)} episode(s) {episodes[:10]} (expected e.g. "
                f"{missing[0][1]}); lerobot cannot load these frames. Upload the videos/ folder.",
                feature=key,
                episode=episodes[0],
                file=missing[0][1],
            )
    return files


def check_videos(ctx: Context, progress) -> None:
    if not ctx.video_keys:
        return
    files = expected_videos(ctx)
    on_disk = sorted(r for r in ctx.files if r.startswith("videos/") and r.endswith(".mp4"))
    if ctx.selected_episodes is None and ctx.episodes is not None:
        for rel in sorted(set(on_disk) - set(files)):
            ctx.add(
                "file.unexpected",
                f"{rel} is not the video of any episode (orphan video).",
                file=rel,
            )
    ctx.summary["video_files"] = len(on_disk)
    declared = set(ctx.video_keys)
    undeclared: dict[str, list[str]] = {}
    for rel in on_disk:
        key = _camera_of(ctx, rel)
        if key is not None and key not in declared:
            undeclared.setdefault(key, []).append(rel)
    for key, rels in undeclared.items():
        ctx.add(
            "file.unexpected",
            f"{len(rels)} mp4 file(s) under camera {key!r} (e.g. {rels[0]}), which info.json does "
            "not declare as a video feature: lerobot never loads them. Declare the camera in "
            "features (dtype video, shape, names, info) or remove the files.",
            file=rels[0],
            feature=key,
        )
    # Files already reported as empty or Git-LFS pointers cannot be probed.
    probe = [f for f in files.values() if ctx.files.get(f.rel, 0) > 0 and not _reported(ctx, f.rel)]
    specs = [
        {
            "path": str(ctx.root / f.rel),
            "decode": ctx.decode_video,
            "samples": _samples(f, ctx.fps or 30.0) if ctx.decode_video == "sample" else [],
        }
        for f in probe
    ]
    progress("videos", 0, len(specs))
    results: dict[str, dict] = {}
    if specs:
        # One sandboxed child per group of files; a child costs ~0.3 s to start.
        n_groups = max(1, min(ctx.workers, len(specs) // VIDEOS_PER_CHILD))
        groups = [specs[i::n_groups] for i in range(n_groups)]
        done = 0
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for partial in pool.map(probe_files, groups):
                results.update(partial)
                done += len(partial)
                progress("videos", done, len(specs))
    cameras: dict[str, dict] = {}
    # Frame-weighted per-channel means of fully decoded videos, per camera (for stats.py);
    # a camera is left out as soon as one of its files was not fully decoded.
    sums: dict[str, list] = {}
    for video in probe:
        result = results.get(str(ctx.root / video.rel), {"ok": False, "error": "not probed"})
        _check_file(ctx, video, result)
        complete = result.get("ok") and result.get("channel_mean") and result.get("decoded")
        if video.key in sums and sums[video.key] is not None and complete:
            sums[video.key][0] += np.asarray(result["channel_mean"]) * result["decoded"]
            sums[video.key][1] += result["decoded"]
        elif video.key not in sums and complete:
            sums[video.key] = [
                np.asarray(result["channel_mean"]) * result["decoded"],
                result["decoded"],
            ]
        else:
            sums[video.key] = None
        if video.key not in cameras and result.get("width"):
            cameras[video.key] = result
    ctx.summary["video_check"] = {"none": "packets", "sample": "packets+sample", "full": "full"}[
        ctx.decode_video
    ]
    ctx.summary["videos_probed"] = sum(1 for r in results.values() if r.get("packets_read"))
    ctx.summary["frames_decoded"] = sum(int(r.get("decoded_frames") or 0) for r in results.values())
    if ctx.selected_episodes is None:
        ctx.video_channel_means = {key: v[0] / v[1] for key, v in sums.items() if v is not None}
    ctx.summary["cameras"] = [
        camera_summary(ctx, key, cameras.get(key)) for key in ctx.video_keys + ctx.image_keys
    ]


def _camera_of(ctx: Context, rel: str) -> str | None:
    """The camera key in a video path (v3: videos/KEY/chunk-.../file-...; v2:
    videos/chunk-.../KEY/episode_...)."""
    parts = rel.split("/")
    if len(parts) == 4 and parts[2].startswith("chunk-"):
        return parts[1]
    if len(parts) == 4 and parts[1].startswith("chunk-"):
        return parts[2]
    return None


def _reported(ctx: Context, rel: str) -> bool:
    return any(
        f.location.get("file") == rel and f.code in ("file.lfs_pointer", "file.empty")
        for f in ctx.findings
    )


def _samples(video: VideoFile, fps: float) -> list[float]:
    """The first and last frame of every episode segment in the file."""
    samples = []
    for span in video.spans:
        last = max(span.start, span.stop - 1.0 / fps)
        samples += [span.start, last]
    return samples


def feature_info(spec: dict) -> dict:
    """A feature's ``info`` object; other shapes (a string, a list) count as absent, and
    info.check_features reports them."""
    info = spec.get("info") if isinstance(spec, dict) else None
    return info if isinstance(info, dict) else {}


def camera_summary(ctx: Context, key: str, probed: dict | None) -> dict:
    spec = ctx.features.get(key, {})
    info = feature_info(spec)
    hwc = camera_hwc(spec) or (None, None, None)
    return {
        "key": key,
        "height": (probed or {}).get("height") or info.get("video.height") or hwc[0],
        "width": (probed or {}).get("width") or info.get("video.width") or hwc[1],
        "channels": info.get("video.channels") or hwc[2],
        "codec": (probed or {}).get("codec") or info.get("video.codec"),
        "fps": (probed or {}).get("fps") or info.get("video.fps") or ctx.fps,
        "pix_fmt": (probed or {}).get("pix_fmt") or info.get("video.pix_fmt"),
    }


def _check_file(ctx: Context, video: VideoFile, result: dict) -> None:
    rel, key = video.rel, video.key
    where = {"file": rel, "feature": key}
    if not result.get("pts") and result.get("error"):
        ctx.add(
            "video.undecodable",
            f"{rel} cannot be read: {result['error']}. Re-encode it (lerobot uses h264/av1, yuv420p) or upload it again.",
            **where,
        )
        return
    pts = np.asarray(result.get("pts") or [], dtype=np.float64)
    if result.get("error"):
        ctx.add(
            "video.undecodable",
            f"{rel}: {result['error']}; the file is damaged (truncated upload?).",
            **where,
        )
    elif "decoded" in result and result["decoded"] < len(pts):
        ctx.add(
            "video.undecodable",
            f"{rel}: only {result['decoded']} of {len(pts)} frames decode; the file is truncated or damaged.",
            **where,
        )
    elif "sampled" in result and result["sampled"] < result.get("samples", 0):
        at = ", ".join(f"{t:.3f}" for t in result.get("sample_failures") or [])
        ctx.add(
            "video.undecodable",
            f"{rel}: {result['samples'] - result['sampled']} of {result['samples']} sampled "
            f"frame(s) could not be decoded" + (f" (at {at} s)" if at else "") + "; the file is "
            "truncated or damaged. Re-encode it from the recorded frames.",
            **where,
        )
    codec = result.get("codec")
    if codec and codec not in USUAL_CODECS:
        ctx.add(
            "video.codec",
            f"{rel} uses the {codec} codec{' (mp4v)' if codec == 'mpeg4' else ''}; LeRobot datasets use h264, "
            "hevc or av1, and torchcodec may not decode it. Re-encode with lerobot's encode_video_frames.",
            **where,
        )
    spec = ctx.features.get(key, {})
    hwc = camera_hwc(spec)
    if hwc and result.get("width") and (result["height"], result["width"]) != (hwc[0], hwc[1]):
        ctx.add(
            "video.resolution_mismatch",
            f"{rel} is {result['width']}x{result['height']} but {key} declares height {hwc[0]}, width {hwc[1]} "
            f"(shape {spec.get('shape')}); fix the shape in info.json or re-encode.",
            **where,
        )
    fps = result.get("fps")
    if fps and ctx.fps and abs(fps - ctx.fps) > FPS_TOLERANCE:
        ctx.add(
            "video.fps_mismatch",
            f"{rel} plays at {fps:g} fps but the dataset is {ctx.fps:g} fps; frames would be looked up at "
            "the wrong times. Re-encode the video at the dataset fps (or fix fps).",
            **where,
        )
    info = feature_info(spec)
    declared = {
        "video.codec": codec,
        "video.height": result.get("height"),
        "video.width": result.get("width"),
        "video.pix_fmt": result.get("pix_fmt"),
    }
    differ = [
        f"{k}={info[k]!r} (file: {v!r})"
        for k, v in declared.items()
        if k in info
        and v is not None
        and info[k] != v
        and not (k == "video.codec" and {info[k], v} <= {"av1", "libdav1d", "libaom-av1"})
    ]
    if differ:
        ctx.add("video.info_mismatch", f"{rel}: info.json says {', '.join(differ)}.", **where)
    _check_spans(ctx, video, pts, result)


def _check_spans(ctx: Context, video: VideoFile, pts: np.ndarray, result: dict) -> None:
    if not ctx.fps:
        return
    frame = 1.0 / ctx.fps
    duration = result.get("duration")
    end = max(float(pts[-1]) + frame if len(pts) else 0.0, duration or 0.0)
    off_count = []
    for span in video.spans:
        if span.length is None:
            continue
        if ctx.is_v3:
            if span.stop > end + frame and span.start >= -1e-4 and span.stop >= span.start:
                ctx.add(
                    "lerobot_bug.2627",
                    f"Episode {span.episode}: {video.key} to_timestamp {span.stop:.4f} s lies past "
                    f"the end of {video.rel} ({end:.4f} s): the signature of lerobot's merge bug "
                    "(#2627, fixed in 0.6.1). lerobot raises FrameTimestampError on these frames. "
                    "Re-merge the source datasets with a current lerobot (lerobot-edit-dataset "
                    "--operation.type merge).",
                    file=video.rel,
                    episode=span.episode,
                    feature=video.key,
                )
                continue
            if span.stop > end + frame or span.start < -1e-4 or span.stop < span.start:
                ctx.add(
                    "episodes.video_range",
                    f"Episode {span.episode}: {video.key} from/to_timestamp [{span.start:.4f}, {span.stop:.4f}] s lie outside "
                    f"{video.rel} (0 to {end:.4f} s); lerobot raises FrameTimestampError (a merge or split bug).",
                    file=video.rel,
                    episode=span.episode,
                    feature=video.key,
                )
                continue
            extra = (span.stop - span.start) - span.length * frame
            if extra > frame:
                ctx.add(
                    "lerobot_bug.4109",
                    f"Episode {span.episode}: {video.key} spans {span.stop - span.start:.3f} s of "
                    f"video for {span.length} frames ({span.length * frame:.3f} s at "
                    f"{ctx.fps:g} fps), {100 * extra / max(span.length * frame, frame):.0f}% longer: "
                    "a discarded re-recorded take was encoded into this episode (lerobot #4109, "
                    "0.4.3 to 0.6.0; fixed in 0.6.1). The video does not match the actions; "
                    "re-record the episode with lerobot >= 0.6.1, or drop it.",
                    file=video.rel,
                    episode=span.episode,
                    feature=video.key,
                )
                continue
            if abs(extra) > frame:
                ctx.add(
                    "episodes.video_range",
                    f"Episode {span.episode}: {video.key} spans {span.stop - span.start:.4f} s of video but has "
                    f"{span.length} frames ({span.length * frame:.4f} s at {ctx.fps:g} fps).",
                    file=video.rel,
                    episode=span.episode,
                    feature=video.key,
                )
        # Frames whose presentation time falls in the episode's span (half a frame of slack).
        count = int(np.sum((pts >= span.start - frame / 2) & (pts < span.stop - frame / 2)))
        if count != span.length:
            off_count.append((span.episode, count, span.length))
    if off_count:
        ep, count, length = off_count[0]
        ctx.add(
            "video.frame_count_mismatch",
            f"{video.rel}: {len(off_count)} episode(s) have a different number of video frames than data rows "
            f"(episode {ep}: {count} frames for {length} rows); lerobot fails on the missing frames "
            "(IndexError/FrameTimestampError). Re-encode the video from the recorded frames.",
            file=video.rel,
            episode=ep,
            feature=video.key,
        )
