"""Match a dataset's features against a policy's inputs and outputs, and say precisely what differs.

The dataset side is lerobot's own ``dataset_to_policy_features`` (cameras become CHW VISUAL
features, ``observation.*`` STATE/ENV, ``action*`` ACTION). The policy side is its config's
``input_features`` / ``output_features``. lerobot itself only checks cameras (and leaves a TODO for
state and action), so state/action dimensions, image sizes, normalisation stats and the language
instruction are checked here.
"""

from __future__ import annotations

from typing import Any

from validators.inference.report import ERROR, WARNING, FeatureIssue

# Policies that resize every camera image to a fixed size themselves: a different size still runs.
RESIZING_POLICIES = {"smolvla", "pi0", "pi05", "pi0_fast", "groot", "xvla"}
# ACT's ResNet backbone and sinusoidal 2-D position embedding accept any image size.
SIZE_AGNOSTIC_POLICIES = {"act"}
# Vision-language-action policies: they need a task text as the language instruction.
LANGUAGE_POLICIES = {"smolvla", "pi0", "pi05", "pi0_fast", "groot", "xvla", "wall_x"}

STATS_NEEDED = {
    "MEAN_STD": ("mean", "std"),
    "MIN_MAX": ("min", "max"),
    "QUANTILES": ("q01", "q99"),
    "QUANTILE10": ("q10", "q90"),
    "IDENTITY": (),
}


def dataset_policy_features(info_features: dict[str, dict]) -> dict[str, Any]:
    """lerobot's view of the dataset's features, with a clear error for malformed camera specs."""
    from lerobot.utils.feature_utils import dataset_to_policy_features

    from validators.inference.errors import DatasetError

    try:
        return dataset_to_policy_features(info_features)
    except (TypeError, ValueError, KeyError) as exc:
        for key, spec in info_features.items():
            if spec.get("dtype") in ("image", "video"):
                shape, names = spec.get("shape"), spec.get("names")
                if not names or len(shape or ()) != 3:
                    raise DatasetError(
                        f"meta/info.json: camera {key!r} has shape {shape} and names {names}; "
                        'a camera needs a 3-D shape and names like ["height", "width", "channels"]'
                    ) from exc
        raise DatasetError(f"meta/info.json features cannot be read by lerobot: {exc}") from exc


def _shape(feature) -> tuple[int, ...]:
    return tuple(int(d) for d in feature.shape)


def _type_name(feature) -> str:
    return getattr(feature.type, "name", str(feature.type))


def _norm_mode(config, feature) -> str:
    mapping = getattr(config, "normalization_mapping", {}) or {}
    mode = mapping.get(_type_name(feature)) or mapping.get(feature.type)
    return getattr(mode, "name", str(mode or "IDENTITY"))


def match_features(
    config,
    dataset_features: dict[str, Any],
    *,
    stats: dict[str, dict] | None,
    tasks: list[str],
    stats_from_dataset: bool,
) -> list[FeatureIssue]:
    """Every way the dataset does not fit the policy (errors) or may not behave as trained (warnings).

    ``stats_from_dataset`` says whether the pre/post-processors will normalise with the dataset's
    stats (no processor configs in the policy folder): the stats must then hold what each
    feature's normalisation mode needs, because lerobot silently skips a feature without stats.
    """
    policy_type = getattr(config, "type", "")
    issues: list[FeatureIssue] = []
    inputs = dict(config.input_features or {})
    outputs = dict(config.output_features or {})
    dataset_cameras = sorted(k for k, f in dataset_features.items() if _type_name(f) == "VISUAL")
    policy_cameras = [k for k, f in inputs.items() if _type_name(f) == "VISUAL"]

    # --- cameras -------------------------------------------------------------------------------
    missing_cameras = [k for k in policy_cameras if k not in dataset_features]
    spare_cameras = [k for k in dataset_cameras if k not in inputs]
    empty_cameras = int(getattr(config, "empty_cameras", 0) or 0)
    for index, key in enumerate(missing_cameras):
        # SmolVLA can stand in blank images for up to ``empty_cameras`` missing cameras.
        covered = index < empty_cameras
        rename = f" (maybe {spare_cameras[0]!r} under another name?)" if spare_cameras else ""
        issues.append(
            FeatureIssue(
                severity=WARNING if covered else ERROR,
                feature=key,
                problem="missing_camera",
                message=f"the policy expects camera {key!r}, the dataset has "
                f"{dataset_cameras or 'no cameras'}{rename}"
                + (" — the policy will see a blank image instead" if covered else ""),
                fix=f"record or rename a camera to {key!r} in meta/info.json, or use a policy "
                f"trained on cameras {dataset_cameras}",
                expected=key,
                found=dataset_cameras,
            )
        )
    for key in spare_cameras:
        issues.append(
            FeatureIssue(
                severity=WARNING,
                feature=key,
                problem="unused_camera",
                message=f"dataset camera {key!r} is not an input of the policy and is ignored",
                expected=policy_cameras,
                found=key,
            )
        )
    for key in policy_cameras:
        if key not in dataset_features:
            continue
        expected, found = _shape(inputs[key]), _shape(dataset_features[key])
        if expected == found:
            continue
        if len(found) != 3 or expected[0] != found[0]:
            issues.append(
                FeatureIssue(
                    severity=ERROR,
                    feature=key,
                    problem="image_channels",
                    message=f"camera {key!r}: the policy expects {expected} (channels, height, "
                    f"width), the dataset has {found}",
                    fix="the channel count must match (e.g. RGB = 3); check the camera's names "
                    '["height", "width", "channels"] in meta/info.json',
                    expected=list(expected),
                    found=list(found),
                )
            )
            continue
        crop = getattr(config, "crop_shape", None)
        if policy_type in RESIZING_POLICIES or policy_type in SIZE_AGNOSTIC_POLICIES:
            resize = getattr(config, "resize_imgs_with_padding", None) or getattr(
                config, "image_resolution", None
            )
            how = f"resized with padding to {tuple(resize)}" if resize else "accepted as is"
            issues.append(
                FeatureIssue(
                    severity=WARNING,
                    feature=key,
                    problem="image_size",
                    message=f"camera {key!r}: trained on {expected[1]}x{expected[2]} images, the "
                    f"dataset has {found[1]}x{found[2]}; {policy_type} runs ({how}) but may behave "
                    "differently",
                    expected=list(expected),
                    found=list(found),
                )
            )
        elif crop and found[1] >= crop[0] and found[2] >= crop[1]:
            issues.append(
                FeatureIssue(
                    severity=WARNING,
                    feature=key,
                    problem="image_size",
                    message=f"camera {key!r}: trained on {expected[1]}x{expected[2]}, dataset has "
                    f"{found[1]}x{found[2]}; the policy crops to {tuple(crop)} so it runs",
                    expected=list(expected),
                    found=list(found),
                )
            )
        else:
            issues.append(
                FeatureIssue(
                    severity=ERROR,
                    feature=key,
                    problem="image_size",
                    message=f"camera {key!r}: the policy expects {expected[1]}x{expected[2]} "
                    f"images (height x width), the dataset has {found[1]}x{found[2]}",
                    fix=f"resize the videos to {expected[1]}x{expected[2]}, or use a policy trained "
                    "on this image size",
                    expected=list(expected),
                    found=list(found),
                )
            )

    # --- state / environment state / action: keys and dimensions --------------------------------
    vectors = [(k, f, "input") for k, f in inputs.items() if _type_name(f) != "VISUAL"]
    vectors += [(k, f, "output") for k, f in outputs.items()]
    limits = {
        "STATE": getattr(config, "max_state_dim", None),
        "ACTION": getattr(config, "max_action_dim", None),
    }
    for key, feature, side in vectors:
        kind = _type_name(feature)
        what = {"STATE": "state", "ENV": "environment state", "ACTION": "action"}.get(kind, kind)
        expected = _shape(feature)
        if key not in dataset_features:
            available = (
                sorted(k for k, f in dataset_features.items() if _type_name(f) == kind) or "none"
            )
            issues.append(
                FeatureIssue(
                    severity=ERROR,
                    feature=key,
                    problem=f"missing_{kind.lower()}",
                    message=f"the policy {'reads' if side == 'input' else 'predicts'} {what} "
                    f"{key!r} {expected}, the dataset has no such feature (its {what} features: "
                    f"{available})",
                    fix=f"add {key!r} with shape {list(expected)} to the dataset, or use a policy "
                    "trained on this dataset's features",
                    expected=list(expected),
                    found=None,
                )
            )
            continue
        found = _shape(dataset_features[key])
        if found != expected:
            issues.append(
                FeatureIssue(
                    severity=ERROR,
                    feature=key,
                    problem=f"{kind.lower()}_dim",
                    message=f"{what} {key!r}: the policy {'expects' if side == 'input' else 'predicts'} "
                    f"{_dims(expected)}, the dataset has {_dims(found)}",
                    fix=f"use a policy trained with a {_dims(found)} {what} (or fine-tune this one "
                    f"on the dataset); padding or cutting {what} dimensions would feed the policy "
                    "values it was not trained on",
                    expected=list(expected),
                    found=list(found),
                )
            )
        limit = limits.get(kind)
        if limit and found and found[0] > int(limit):
            issues.append(
                FeatureIssue(
                    severity=ERROR,
                    feature=key,
                    problem=f"{kind.lower()}_dim_limit",
                    message=f"{what} {key!r} has {found[0]} dimensions, more than this "
                    f"{policy_type} can take (max_{what.split()[-1]}_dim={limit})",
                    fix=f"raise max_{what.split()[-1]}_dim and retrain, or drop dimensions",
                    expected=int(limit),
                    found=found[0],
                )
            )
        if stats_from_dataset:
            issues.extend(_stats_issues(config, key, feature, stats))

    # --- language ----------------------------------------------------------------------------
    if policy_type in LANGUAGE_POLICIES and not [t for t in tasks if str(t).strip()]:
        issues.append(
            FeatureIssue(
                severity=ERROR,
                feature="task",
                problem="missing_task",
                message=f"{policy_type} takes the task text as its language instruction, and the "
                "dataset has no task (meta/tasks.parquet is empty)",
                fix="give every episode a task text when recording (add_frame(..., task=...))",
            )
        )
    return issues


def _dims(shape: tuple[int, ...]) -> str:
    return f"{shape[0]}-D" if len(shape) == 1 else f"shape {list(shape)}"


def _stats_issues(config, key: str, feature, stats: dict[str, dict] | None) -> list[FeatureIssue]:
    mode = _norm_mode(config, feature)
    needed = STATS_NEEDED.get(mode, ())
    if not needed:
        return []
    have = set((stats or {}).get(key, {}) or {})
    missing = [name for name in needed if name not in have]
    if not missing:
        return []
    hint = (
        " (python -m lerobot.datasets.v30.augment_dataset_quantile_stats adds quantiles)"
        if mode.startswith("QUANTILE")
        else " (meta/stats.json)"
    )
    return [
        FeatureIssue(
            severity=ERROR,
            feature=key,
            problem="missing_stats",
            message=f"{key!r} is normalised with {mode} but the dataset stats have no "
            f"{', '.join(missing)} for it; lerobot would silently skip normalising it",
            fix=f"compute the dataset stats{hint}, or use a policy folder with its own processors",
            expected=list(needed),
            found=sorted(have),
        )
    ]
