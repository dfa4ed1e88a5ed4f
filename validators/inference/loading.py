"""Open the dataset and load the policy with its pre/post-processors, turning every way this can go
wrong into a ``DatasetError`` / ``PolicyLoadError`` that says what is wrong and where.

The policy is loaded the real way — ``PreTrainedConfig.from_pretrained`` then the policy class's
``from_pretrained`` — from a local folder or a Hub id. The Hub is never contacted
(``HF_HUB_OFFLINE=1`` and ``local_files_only=True``): a Hub id must already be in the local
Hugging Face cache.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validators.inference.errors import DatasetError, PolicyLoadError

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
PREPROCESSOR_NAME = "policy_preprocessor.json"
MODEL_CARD_NAME = "README.md"
# lerobot < 0.4 kept normalization inside the model: these buffers in the weights say so.
LEGACY_NORMALIZATION_PREFIXES = (
    "normalize_inputs.",
    "normalize_targets.",
    "unnormalize_outputs.",
)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


# --- dataset ------------------------------------------------------------------------------------


def open_dataset_metadata(dataset_path: str | Path):
    """``LeRobotDatasetMetadata`` for a local v3.0 dataset folder."""
    root = Path(dataset_path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"dataset folder {str(root)!r} does not exist")
    info_file = root / "meta" / "info.json"
    if not info_file.is_file():
        raise DatasetError(f"{info_file} is missing: this is not a LeRobot dataset folder")
    try:
        info = json.loads(info_file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{info_file} cannot be read: {exc}") from exc
    version = str(info.get("codebase_version", "")) if isinstance(info, dict) else ""
    if not version.lstrip("v").startswith("3."):
        raise DatasetError(
            f"{info_file}: codebase_version is {version or 'missing'}; the inference check reads "
            "LeRobot v3.0 datasets (lerobot 0.4.x). Convert it first with "
            "`python -m lerobot.datasets.v30.convert_dataset_v21_to_v30`"
        )
    from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata

    try:
        return LeRobotDatasetMetadata(repo_id=f"local/{root.name}", root=root)
    except Exception as exc:
        raise DatasetError(f"lerobot cannot read the metadata in {root / 'meta'}: {exc}") from exc


def open_dataset(dataset_path: str | Path):
    """The frames themselves, videos decoded with PyAV (no system FFmpeg libraries needed)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    # torchvision's PyAV reader warns on every frame that it is deprecated; lerobot 0.4.4 still
    # uses it for video_backend="pyav", which is what works without system FFmpeg libraries.
    warnings.filterwarnings(
        "ignore", message="The video decoding and encoding capabilities of torchvision"
    )

    root = Path(dataset_path).expanduser()
    try:
        return LeRobotDataset(repo_id=f"local/{root.name}", root=root, video_backend="pyav")
    except Exception as exc:
        raise DatasetError(f"lerobot cannot open the dataset in {root}: {exc}") from exc


# --- policy -------------------------------------------------------------------------------------


@dataclass
class LoadedPolicy:
    policy: Any
    config: Any
    preprocessor: Any
    postprocessor: Any
    source: str  # "local folder" or "hub cache"
    processors_source: str  # "policy folder" or "dataset stats"
    saved_with: dict[str, Any]  # which lerobot saved it (policy_saved_with)
    warnings: list[str]


def policy_source(reference: str) -> str:
    """``local folder`` or ``hub cache``; anything else is an unusable reference."""
    path = Path(reference).expanduser()
    if path.is_dir():
        return "local folder"
    if path.exists():
        raise PolicyLoadError(f"{reference!r} is a file; give the policy folder that holds it")
    looks_like_path = reference.startswith(("/", ".", "~")) or reference.count("/") > 1
    if looks_like_path or not HUB_ID.match(reference):
        raise PolicyLoadError(
            f"policy folder {reference!r} does not exist (and it is not a Hub id like "
            "'lerobot/smolvla_base')"
        )
    return "hub cache"


def _hub_file(repo_id: str, filename: str) -> str | None:
    """The cached copy of a Hub file, or None when it is not cached. Never goes to the network."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return hf_hub_download(repo_id=repo_id, filename=filename, local_files_only=True)
    except (HfHubHTTPError, FileNotFoundError, ValueError, OSError):
        return None


def _config_file(reference: str, source: str) -> Path:
    if source == "local folder":
        config_file = Path(reference).expanduser() / CONFIG_NAME
        if not config_file.is_file():
            raise PolicyLoadError(
                f"{config_file} is missing: a lerobot policy folder holds {CONFIG_NAME} and "
                f"{WEIGHTS_NAME} (written by policy.save_pretrained)"
            )
        return config_file
    cached = _hub_file(reference, CONFIG_NAME)
    if cached is None:
        raise PolicyLoadError(
            f"{reference!r} is not a local folder and is not in the Hugging Face cache; the Hub "
            "cannot be reached from here (offline mode). Download it where there is network "
            f"(`huggingface-cli download {reference}`) and copy the cache, or give a local folder"
        )
    return Path(cached)


def _weights_file(reference: str, source: str) -> Path:
    if source == "local folder":
        weights = Path(reference).expanduser() / WEIGHTS_NAME
        if not weights.is_file():
            raise PolicyLoadError(f"{weights} is missing: the policy folder has no weights")
        return weights
    cached = _hub_file(reference, WEIGHTS_NAME)
    if cached is None:
        raise PolicyLoadError(
            f"{reference!r}: {CONFIG_NAME} is cached but {WEIGHTS_NAME} is not; the Hub cannot "
            "be reached from here to fetch it"
        )
    return Path(cached)


def load_policy_config(reference: str, source: str):
    """The policy's config, with a clear error for a missing, corrupt or unknown ``config.json``."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies import factory  # noqa: F401 - registers every policy config type

    config_file = _config_file(reference, source)
    try:
        raw = json.loads(config_file.read_text())
    except UnicodeDecodeError as exc:
        raise PolicyLoadError(f"{config_file} is not text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise PolicyLoadError(
            f"{config_file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(raw, dict) or not raw.get("type"):
        raise PolicyLoadError(
            f'{config_file} has no policy \'type\' (e.g. "smolvla", "act"): it is not a lerobot '
            "policy config"
        )
    known = sorted(PreTrainedConfig.get_known_choices())
    if raw["type"] not in known:
        raise PolicyLoadError(
            f"{config_file}: unknown policy type {raw['type']!r}; lerobot "
            f"{_lerobot_version()} knows {', '.join(known)}"
        )
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return PreTrainedConfig.from_pretrained(reference, local_files_only=True)
    except Exception as exc:
        raise PolicyLoadError(
            f"{config_file} is not a valid {raw['type']} config for lerobot "
            f"{_lerobot_version()}: {_first_line(exc)}"
        ) from exc


def _lerobot_version() -> str:
    import lerobot

    return getattr(lerobot, "__version__", "?")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


def prepare_config(config, device: str, vlm_model: str | None = None) -> None:
    """Adjust a loaded config for inference on ``device`` without touching what it learned."""
    config.device = device
    if hasattr(config, "push_to_hub"):
        config.push_to_hub = False
    if hasattr(config, "load_vlm_weights"):
        # The checkpoint's own weights overwrite the VLM's: downloading them first is wasted.
        config.load_vlm_weights = False
    if vlm_model and hasattr(config, "vlm_model_name"):
        config.vlm_model_name = vlm_model
    if getattr(config, "pretrained_backbone_weights", None):
        # ACT/diffusion would fetch ImageNet weights from torchvision; the checkpoint has them.
        config.pretrained_backbone_weights = None


def load_policy(
    reference: str,
    *,
    device: str,
    dataset_stats: dict | None,
    config=None,
    vlm_model: str | None = None,
) -> LoadedPolicy:
    """Load weights and processors onto ``device``. ``config`` may be passed when already loaded."""
    from lerobot.policies.factory import get_policy_class

    source = policy_source(reference)
    if config is None:
        config = load_policy_config(reference, source)
    prepare_config(config, device, vlm_model)
    check_policy_requirements(config)
    weights = _weights_file(reference, source)
    weight_keys = _safetensors_keys(weights)
    saved_with = policy_saved_with(reference, source, weight_keys)
    if saved_with["format"] == LEGACY_FORMAT:
        raise PolicyLoadError(
            f"{reference} was saved by lerobot {saved_with['lerobot'] or '0.3.x or earlier'}, "
            "which kept normalization inside the model; lerobot "
            f"{_lerobot_version()} reads it from {PREPROCESSOR_NAME} beside the weights. Convert "
            "the folder once with `python -m lerobot.processor.migrate_policy_normalization "
            f"--pretrained-path={reference}` (lerobot {_lerobot_version()}), then check the "
            "migrated folder"
        )
    try:
        policy_class = get_policy_class(config.type)
    except Exception as exc:
        raise PolicyLoadError(
            f"policy type {config.type!r} cannot be used here: {_first_line(exc)}"
        ) from exc

    try:
        # lerobot prints "Loading weights from local directory" on stdout: keep stdout for --json.
        with contextlib.redirect_stdout(sys.stderr):
            policy = policy_class.from_pretrained(reference, config=config, local_files_only=True)
    except OSError as exc:
        vlm = getattr(config, "vlm_model_name", None)
        hint = (
            f" {config.type} reads the config and tokenizer of its VLM {vlm!r}: it must be a local "
            "folder or in the Hugging Face cache (pass vlm_model=<folder> to point elsewhere)."
            if vlm
            else ""
        )
        raise PolicyLoadError(
            f"cannot build the {config.type} policy: {_first_line(exc)}.{hint}"
        ) from exc
    except RuntimeError as exc:
        raise PolicyLoadError(
            f"{weights} does not match the config in the policy folder: {_first_line(exc)}"
        ) from exc
    except Exception as exc:
        raise PolicyLoadError(f"cannot load the {config.type} policy: {_first_line(exc)}") from exc

    warnings = []
    missing = sorted(
        set(policy.state_dict()) - weight_keys - legacy_normalization_keys(weight_keys)
    )
    if missing:
        warnings.append(
            f"{len(missing)} weight tensor(s) are missing from {WEIGHTS_NAME} and were left at "
            f"their random initial values, e.g. {', '.join(missing[:3])}"
        )

    has_processors = has_processor_configs(reference, source)
    try:
        preprocessor, postprocessor = _make_processors(
            config, reference if has_processors else None, device, dataset_stats, vlm_model
        )
    except Exception as exc:
        where = f"{PREPROCESSOR_NAME} in {reference}" if has_processors else "the dataset stats"
        raise PolicyLoadError(
            f"cannot build the pre/post-processors from {where}: {_first_line(exc)}"
        ) from exc
    return LoadedPolicy(
        policy=policy,
        config=config,
        preprocessor=preprocessor,
        postprocessor=postprocessor,
        source=source,
        processors_source="policy folder" if has_processors else "dataset stats",
        warnings=warnings,
        saved_with=saved_with,
    )


LEGACY_FORMAT = "lerobot < 0.4 (normalization inside the weights)"
PROCESSOR_FORMAT = "lerobot >= 0.4 (pre/post-processors beside the weights)"
_CARD_VERSION = re.compile(r"LeRobot version\s*\|\s*v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)


def legacy_normalization_keys(weight_keys: set[str]) -> set[str]:
    return {k for k in weight_keys if k.startswith(LEGACY_NORMALIZATION_PREFIXES)}


def policy_saved_with(reference: str, source: str, weight_keys: set[str]) -> dict[str, Any]:
    """Which lerobot saved the policy: ``{"lerobot", "format", "evidence"}``.

    lerobot writes its version into the model card (``README.md``, "LeRobot version" row) when
    a training run saves or pushes a checkpoint; a bare ``save_pretrained`` folder carries no
    version, and then only the format tells: normalization buffers in the weights (lerobot
    < 0.4) or processor files beside them (0.4 and later).
    """
    version, evidence = None, None
    card = _policy_file(reference, source, MODEL_CARD_NAME)
    if card is not None:
        try:
            match = _CARD_VERSION.search(card.read_text(errors="replace")[:200_000])
        except OSError:
            match = None
        if match:
            version, evidence = match.group(1), f"{MODEL_CARD_NAME} (model card)"
    legacy = bool(legacy_normalization_keys(weight_keys)) and not has_processor_configs(
        reference, source
    )
    if evidence is None:
        evidence = (
            "normalization buffers in the weights, no processor files"
            if legacy
            else "processor files beside the weights; no version recorded"
        )
    return {
        "lerobot": version,
        "format": LEGACY_FORMAT if legacy else PROCESSOR_FORMAT,
        "evidence": evidence,
    }


def _policy_file(reference: str, source: str, name: str) -> Path | None:
    if source == "local folder":
        path = Path(reference).expanduser() / name
        return path if path.is_file() else None
    cached = _hub_file(reference, name)
    return Path(cached) if cached else None


# Policies built on openpi's PaliGemma need the transformers build patched by openpi.
OPENPI_POLICIES = {"pi0", "pi05", "pi0_fast"}


def check_policy_requirements(config) -> None:
    """Fail fast, before building a multi-GB model, when this environment cannot run the policy."""
    if config.type in OPENPI_POLICIES:
        try:
            from transformers.models.siglip import check

            patched = check.check_whether_transformers_replace_is_installed_correctly()
        except ImportError:
            patched = False
        if not patched:
            import transformers

            raise PolicyLoadError(
                f"{config.type} needs the transformers build patched by openpi (`pip install "
                "'lerobot[pi]'` installs transformers from git, branch fix/lerobot_openpi); this "
                f"environment has transformers {transformers.__version__}, so lerobot "
                f"{_lerobot_version()} refuses to build {config.type}. Run the check on a worker "
                "with that build"
            )


def _safetensors_keys(weights: Path) -> set[str]:
    """Open the weights' header first, so a truncated or corrupt file gets a clear error."""
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt") as handle:
            return set(handle.keys())
    except Exception as exc:
        raise PolicyLoadError(
            f"{weights} cannot be read ({_first_line(exc)}): the file is damaged or incomplete, "
            "copy it again"
        ) from exc


def has_processor_configs(reference: str, source: str) -> bool:
    if source == "local folder":
        return (Path(reference).expanduser() / PREPROCESSOR_NAME).is_file()
    return _hub_file(reference, PREPROCESSOR_NAME) is not None


def _make_processors(config, pretrained_path, device, dataset_stats, vlm_model):
    from lerobot.policies.factory import make_pre_post_processors

    if pretrained_path is None:
        # No saved processors: build them from the policy config and the dataset's own stats.
        return make_pre_post_processors(config, dataset_stats=dataset_stats)
    overrides: dict[str, dict] = {"device_processor": {"device": device}}
    if vlm_model:
        overrides["tokenizer_processor"] = {"tokenizer_name": vlm_model}
    return make_pre_post_processors(
        config, pretrained_path=str(pretrained_path), preprocessor_overrides=overrides
    )
