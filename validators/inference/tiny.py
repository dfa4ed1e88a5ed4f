"""Tiny, real LeRobot artefacts built offline with lerobot 0.4.4: for the tests, the benchmark and
the demo (``manage.py seed_inference_demo``). Randomly initialised: they run, they do not work.

- ``make_dataset``: a v3.0 dataset recorded by ``validators.synthetic`` (h264 video, real stats).
- ``make_tiny_vlm``: a SmolVLM-shaped config + tokenizer + processor in a local folder, so SmolVLA can be
  built with ``vlm_model_name=<folder>`` and ``load_vlm_weights=False`` (no Hub, no weights).
- ``make_tiny_smolvla`` / ``make_tiny_act`` / ``make_tiny_diffusion``: policies sized for a unit test, saved with
  ``save_pretrained`` together with their pre/post-processors, as a trained checkpoint would be.

Recipe: the team brief shared/reference/examples/tiny_smolvla_offline.py.
"""

from pathlib import Path

TASK = "pick up the red cube"
VLM_IMAGE_SIZE = 64  # the tiny vision tower's input; SmolVLA resizes (with padding) to this


def make_dataset(
    root: Path,
    *,
    state_dim: int = 6,
    action_dim: int = 6,
    cameras: dict[str, tuple[int, int]] | None = None,
    episodes: int = 2,
    frames: int = 10,
    fps: int = 10,
    task: str = TASK,
    seed: int = 0,
) -> Path:
    """Write a small v3.0 dataset at ``root`` (which must not exist yet) and return it."""
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(
        root,
        episodes=episodes,
        frames=frames,
        fps=fps,
        state_dim=state_dim,
        action_dim=action_dim,
        cameras={"observation.images.front": (64, 96)} if cameras is None else cameras,
        tasks=(task,),
        seed=seed,
    )


def _dataset_metadata(dataset_root: Path):
    from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata

    return LeRobotDatasetMetadata(f"local/{dataset_root.name}", root=dataset_root)


def make_tiny_vlm(folder: Path) -> Path:
    """A SmolVLM config + WordLevel tokenizer + processor: everything SmolVLA reads from its VLM."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        PreTrainedTokenizerFast,
        SmolVLMConfig,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
    )
    from transformers.models.smolvlm.video_processing_smolvlm import SmolVLMVideoProcessor

    special = [
        "<unk>",
        "<pad>",
        "<|im_start|>",
        "<end_of_utterance>",
        "<fake_token_around_image>",
        "<image>",
        "<global-img>",
    ]
    words = [
        "pick",
        "up",
        "the",
        "red",
        "blue",
        "cube",
        "and",
        "place",
        "it",
        "in",
        "box",
        "grasp",
        "move",
        "left",
        "right",
        "put",
    ]
    grid = [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
    vocab = {token: i for i, token in enumerate(special + grid + words)}
    # Tokenizer special tokens, not secrets (ruff's S106 reads "*_token" as a password).
    word_level = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))  # noqa: S106
    word_level.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=word_level,
        unk_token="<unk>",  # noqa: S106
        pad_token="<pad>",  # noqa: S106
        bos_token="<|im_start|>",  # noqa: S106
        eos_token="<end_of_utterance>",  # noqa: S106
        extra_special_tokens={
            "fake_image_token": "<fake_token_around_image>",
            "image_token": "<image>",
            "global_image_token": "<global-img>",
            "end_of_utterance_token": "<end_of_utterance>",
        },
    )
    vlm_config = SmolVLMConfig(
        text_config={
            "model_type": "llama",
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "vocab_size": len(vocab),
            "max_position_embeddings": 512,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": VLM_IMAGE_SIZE,
            "patch_size": 16,
        },
        scale_factor=2,
        image_token_id=vocab["<image>"],
    )
    folder.mkdir(parents=True, exist_ok=True)
    vlm_config.save_pretrained(folder)
    processor = SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(
            max_image_size={"longest_edge": VLM_IMAGE_SIZE}, size={"longest_edge": VLM_IMAGE_SIZE}
        ),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(),
        image_seq_len=4,
    )
    processor.save_pretrained(folder)
    return folder


def _save_with_processors(policy, dataset_root: Path, folder: Path) -> Path:
    from lerobot.policies.factory import make_pre_post_processors

    meta = _dataset_metadata(dataset_root)
    preprocessor, postprocessor = make_pre_post_processors(policy.config, dataset_stats=meta.stats)
    policy.save_pretrained(folder)
    preprocessor.save_pretrained(folder)
    postprocessor.save_pretrained(folder)
    return folder


def features_of(dataset_root: Path):
    from lerobot.configs.types import FeatureType
    from lerobot.utils.feature_utils import dataset_to_policy_features

    features = dataset_to_policy_features(_dataset_metadata(dataset_root).features)
    inputs = {k: f for k, f in features.items() if f.type is not FeatureType.ACTION}
    outputs = {k: f for k, f in features.items() if f.type is FeatureType.ACTION}
    return inputs, outputs


def make_tiny_smolvla(
    folder: Path, dataset_root: Path, vlm_folder: Path, *, with_processors: bool = True
) -> Path:
    """A randomly initialised SmolVLA with a handful of tiny layers, trained-checkpoint layout."""
    import torch
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    torch.manual_seed(0)
    config = SmolVLAConfig(
        vlm_model_name=str(vlm_folder),
        load_vlm_weights=False,
        num_vlm_layers=2,
        resize_imgs_with_padding=(VLM_IMAGE_SIZE, VLM_IMAGE_SIZE),
        chunk_size=5,
        n_action_steps=5,
        max_state_dim=8,
        max_action_dim=8,
        num_steps=2,
        tokenizer_max_length=16,
        device="cpu",
        push_to_hub=False,
    )
    config.input_features, config.output_features = features_of(dataset_root)
    policy = SmolVLAPolicy(config).eval()
    if with_processors:
        return _save_with_processors(policy, dataset_root, folder)
    policy.save_pretrained(folder)
    return folder


def make_tiny_act(folder: Path, dataset_root: Path) -> Path:
    """A randomly initialised ACT with one small encoder/decoder layer and no pretrained backbone."""
    import torch
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy

    torch.manual_seed(0)
    config = ACTConfig(
        chunk_size=4,
        n_action_steps=4,
        vision_backbone="resnet18",
        pretrained_backbone_weights=None,
        dim_model=32,
        n_heads=2,
        dim_feedforward=64,
        n_encoder_layers=1,
        n_decoder_layers=1,
        latent_dim=8,
        use_vae=False,
        device="cpu",
        push_to_hub=False,
    )
    config.input_features, config.output_features = features_of(dataset_root)
    return _save_with_processors(ACTPolicy(config).eval(), dataset_root, folder)


def make_tiny_diffusion(folder: Path, dataset_root: Path) -> Path:
    """A randomly initialised diffusion policy: small U-Net, 2 denoising steps, no crop."""
    import torch
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

    torch.manual_seed(0)
    config = DiffusionConfig(
        crop_shape=None,
        pretrained_backbone_weights=None,
        use_group_norm=True,
        down_dims=(16, 32),
        diffusion_step_embed_dim=16,
        n_groups=4,
        num_inference_steps=2,
        horizon=8,
        n_action_steps=4,
        device="cpu",
        push_to_hub=False,
    )
    config.input_features, config.output_features = features_of(dataset_root)
    return _save_with_processors(DiffusionPolicy(config).eval(), dataset_root, folder)
