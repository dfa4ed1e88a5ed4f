"""meta/info.json: required fields and their types, the feature declarations, path templates."""

from __future__ import annotations

import string

import numpy as np

from . import path_templates
from .context import DEFAULT_FEATURES, NON_NUMERIC_DTYPES, Context

INFO = "meta/info.json"
REQUIRED = {
    "v3": (
        "codebase_version",
        "fps",
        "total_episodes",
        "total_frames",
        "total_tasks",
        "chunks_size",
        "data_path",
        "features",
    ),
    "v2": (
        "codebase_version",
        "fps",
        "total_episodes",
        "total_frames",
        "total_tasks",
        "total_chunks",
        "total_videos",
        "chunks_size",
        "data_path",
        "features",
    ),
}
TEMPLATE_FIELDS = {
    "v3": {
        "data_path": {"chunk_index", "file_index"},
        "video_path": {"video_key", "chunk_index", "file_index"},
    },
    "v2": {
        "data_path": {"episode_chunk", "episode_index"},
        "video_path": {"episode_chunk", "episode_index", "video_key"},
    },
}
SPECIAL_DTYPES = NON_NUMERIC_DTYPES
HWC = (("height", "width", "channel"), ("height", "width", "channels"), ("h", "w", "c"))
CHW = (("channel", "height", "width"), ("channels", "height", "width"), ("c", "h", "w"))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_info(ctx: Context) -> None:
    info = ctx.info
    layout = "v3" if ctx.is_v3 else "v2"
    missing = [k for k in REQUIRED[layout] if k not in info]
    if missing:
        ctx.add(
            "info.invalid",
            f"meta/info.json lacks required field(s) {', '.join(missing)} for a {layout} dataset.",
            file=INFO,
        )
    for key in (
        "total_episodes",
        "total_frames",
        "total_tasks",
        "total_chunks",
        "total_videos",
        "chunks_size",
    ):
        if key in info and not (_is_int(info[key]) and info[key] >= 0):
            ctx.add(
                "info.invalid",
                f"{key} must be a non-negative integer, not {info[key]!r}.",
                file=INFO,
            )
    if isinstance(info.get("chunks_size"), int) and info["chunks_size"] == 0:
        ctx.add("info.invalid", "chunks_size is 0; lerobot writes 1000.", file=INFO)

    fps = info.get("fps")
    if isinstance(fps, (int, float)) and not isinstance(fps, bool) and fps > 0 and np.isfinite(fps):
        ctx.fps = float(fps)
        if not float(fps).is_integer() or isinstance(fps, float):
            ctx.add(
                "info.fps_not_integer",
                f"fps is {fps!r}, a float; lerobot writes an integer and its v2.1→v3.0 converter "
                f'truncates it with int() to {int(fps)}. Write "fps": {round(fps)}.',
                file=INFO,
            )
    elif "fps" in info:
        ctx.add("info.invalid", f"fps must be a positive number, not {fps!r}.", file=INFO)
    ctx.summary["fps"] = ctx.fps

    robot_type = info.get("robot_type")
    if not isinstance(robot_type, str) or not robot_type.strip():
        ctx.add(
            "info.robot_type_missing",
            'robot_type is missing or empty; set it (e.g. "so101_follower") so the catalogue '
            "can index the robot and lerobot can merge the dataset with others.",
            file=INFO,
        )
    else:
        ctx.summary["robot_type"] = robot_type

    if "splits" in info and not isinstance(info["splits"], dict):
        ctx.add(
            "info.invalid",
            f'splits must be an object like {{"train": "0:N"}}, not {info["splits"]!r}.',
            file=INFO,
        )

    check_templates(ctx, layout)
    check_standard_paths(ctx, layout)
    check_features(ctx)
    check_policy_streams(ctx)


STANDARD_PATHS = {
    "v3": {
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
    },
    "v2": {
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4",
    },
}


def check_standard_paths(ctx: Context, layout: str) -> None:
    """Templates lerobot would not write: tools that hard-code the standard layout (the Hub
    viewer, converters, other validators) miss the files."""
    for key, standard in STANDARD_PATHS[layout].items():
        template = ctx.info.get(key)
        if isinstance(template, str) and template != standard:
            ctx.add(
                "info.nonstandard_path",
                f"{key} is {template!r}; lerobot writes {standard!r} for a {layout} dataset. "
                "lerobot itself follows the template, but tools that assume the standard layout "
                f"(converters, the dataset viewer) will not find the files. Use the standard {key} "
                "and move the files accordingly.",
                file=INFO,
                feature=key,
            )


def check_policy_streams(ctx: Context) -> None:
    features = ctx.info.get("features")
    if not isinstance(features, dict) or not features:
        return
    missing = [k for k in ("observation.state", "action") if k not in features]
    if missing:
        ctx.add(
            "features.no_policy_streams",
            f"No {' and no '.join(repr(k) for k in missing)} feature: lerobot's policies read "
            "the robot state from 'observation.state' and predict 'action', so none trains on "
            "this dataset as it is. Rename the features that hold them (e.g. with "
            "lerobot-edit-dataset) or add them.",
            file=INFO,
        )


def check_templates(ctx: Context, layout: str) -> None:
    for key, allowed in TEMPLATE_FIELDS[layout].items():
        template = ctx.info.get(key)
        if template is None:
            continue
        if not isinstance(template, str):
            ctx.add(
                "info.invalid", f"{key} must be a string template, not {template!r}.", file=INFO
            )
            continue
        try:
            fields = {
                name for _, name, _, _ in string.Formatter().parse(template) if name is not None
            }
        except ValueError as error:
            ctx.add(
                "info.path_template",
                f"{key} {template!r} is not a valid template: {error}.",
                file=INFO,
            )
            continue
        unknown = fields - allowed
        refused = path_templates.problem(template)
        if refused:
            ctx.add(
                "info.path_template",
                f"{key} {template[:200]!r} cannot be used: {refused}; lerobot's own templates look "
                "like data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet.",
                file=INFO,
            )
            continue
        if unknown:
            ctx.add(
                "info.path_template",
                f"{key} {template!r} uses placeholder(s) {sorted(unknown)} that a {layout} dataset does "
                f"not define (allowed: {sorted(allowed)}); lerobot cannot resolve the file paths.",
                file=INFO,
            )


def _names_list(names):
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))  # v2.0 ports: {"motors": [...]}
    return names


def check_features(ctx: Context) -> None:
    features = ctx.info.get("features")
    if not isinstance(features, dict) or not features:
        if "features" in ctx.info:
            ctx.add(
                "info.invalid",
                "features must be a non-empty object (name -> {dtype, shape, names}).",
                file=INFO,
            )
        return
    valid: dict[str, dict] = {}
    for name, spec in features.items():
        where = {"file": INFO, "feature": name}
        if "/" in name:
            ctx.add(
                "info.feature_name_invalid",
                f"Feature name {name!r} contains '/', lerobot's separator for stats and episode "
                f"columns; rename it (e.g. {name.replace('/', '.')!r}).",
                **where,
            )
        if not isinstance(spec, dict):
            ctx.add(
                "info.feature_invalid",
                f"Feature {name!r} must be an object with dtype, shape and names.",
                **where,
            )
            continue
        dtype, shape = spec.get("dtype"), spec.get("shape")
        ok = True
        if dtype not in SPECIAL_DTYPES:
            try:
                np.dtype(str(dtype))
            except TypeError:
                ok = False
                ctx.add(
                    "info.feature_invalid",
                    f"Feature {name!r} has unknown dtype {dtype!r}.",
                    **where,
                )
        shape_ok = (
            isinstance(shape, (list, tuple))
            and 1 <= len(shape) <= 5
            and all(_is_int(d) and d > 0 for d in shape)
        )
        if not shape_ok and not (
            dtype in ("string", "language") and isinstance(shape, (list, tuple))
        ):
            ok = False
            ctx.add(
                "info.feature_invalid",
                f"Feature {name!r} has shape {shape!r}; it must be a list of 1 to 5 positive integers "
                "(use [1] for a scalar).",
                **where,
            )
        if "names" not in spec:
            ctx.add(
                "info.feature_invalid",
                f"Feature {name!r} has no 'names' (use null when there are none).",
                severity="warning",
                **where,
            )
        if spec.get("info") is not None and not isinstance(spec.get("info"), dict):
            ctx.add(
                "info.feature_invalid",
                f"Feature {name!r} has info {spec['info']!r:.80}; lerobot writes an object "
                '({"video.height": ..., "video.codec": ...}) and reads its keys. Write an object '
                "or drop the field.",
                severity="warning",
                **where,
            )
        if ok:
            valid[name] = spec
        if dtype in ("image", "video") and ok:
            check_camera(ctx, name, spec)
        elif "image" in name and ok and dtype not in SPECIAL_DTYPES:
            ctx.add(
                "info.image_in_name",
                f"{name!r} is a {dtype} vector but its name contains 'image': lerobot's stats code "
                "then expects (3,1,1) image stats and fails (lerobot #1449). Rename it.",
                **where,
            )
    ctx.features = valid
    for name in DEFAULT_FEATURES:
        if name not in features:
            ctx.add(
                "info.default_feature_missing",
                f"info.json does not declare the default feature {name!r} "
                "(every LeRobot dataset has timestamp, frame_index, episode_index, index, task_index).",
                file=INFO,
                feature=name,
            )
    ctx.summary["features"] = {
        name: {
            "dtype": spec.get("dtype"),
            # As declared when it is a list; any other shape was reported above.
            "shape": list(spec["shape"]) if isinstance(spec.get("shape"), (list, tuple)) else [],
            "names": spec.get("names"),
        }
        for name, spec in features.items()
        if isinstance(spec, dict)
    }


def camera_hwc(spec: dict) -> tuple[int, int, int] | None:
    """(height, width, channels) of a camera feature, honouring CHW declarations."""
    shape = spec.get("shape")
    if not isinstance(shape, (list, tuple)) or len(shape) != 3:
        return None
    names = _names_list(spec.get("names"))
    if isinstance(names, list) and tuple(str(n).lower() for n in names) in CHW:
        return shape[1], shape[2], shape[0]
    if not names and shape[0] in (1, 3, 4) and shape[2] not in (1, 3, 4):
        return shape[1], shape[2], shape[0]
    return shape[0], shape[1], shape[2]


def check_camera(ctx: Context, name: str, spec: dict) -> None:
    where = {"file": INFO, "feature": name}
    shape = spec["shape"]
    if len(shape) != 3:
        ctx.add(
            "info.feature_invalid",
            f"Camera {name!r} has shape {shape}; cameras need 3 dims [height, width, channels] "
            "(lerobot's dataset_to_policy_features raises otherwise).",
            **where,
        )
        return
    names = _names_list(spec.get("names"))
    lowered = tuple(str(n).lower() for n in names) if isinstance(names, list) else None
    if names is None:
        ctx.add(
            "lerobot_bug.3786",
            f"Camera {name!r} has names = null, as lerobot's v2.1→v3.0 converter wrote visual "
            "features (#3786): building policy features raises TypeError. Set names to "
            '["height", "width", "channels"] (for an HWC shape).',
            **where,
        )
    elif lowered is None:
        ctx.add(
            "info.camera_convention",
            f'Camera {name!r} has no names list; write ["height", "width", "channels"] '
            "(lerobot raises TypeError building policy features).",
            **where,
        )
    elif lowered not in HWC + CHW:
        ctx.add(
            "info.camera_convention",
            f'Camera {name!r} names {names} are neither HWC ["height", "width", "channels"] nor CHW '
            '["channels", "height", "width"]; lerobot only recognizes \'channel(s)\' as the last name '
            "and then gets the policy input shape wrong.",
            **where,
        )
    elif lowered in (("h", "w", "c"), ("c", "h", "w")) or "channel" in lowered:
        ctx.add(
            "info.camera_convention",
            f"Camera {name!r} names {names} use an old spelling; lerobot expects "
            '["height", "width", "channels"] to convert HWC to CHW for policies.',
            severity="info",
            **where,
        )
    hwc = camera_hwc(spec)
    if hwc and hwc[2] not in (1, 3, 4):
        ctx.add(
            "info.feature_invalid",
            f"Camera {name!r} has {hwc[2]} channels (shape {shape}); expected 1, 3 or 4.",
            **where,
        )
