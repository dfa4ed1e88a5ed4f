"""A synthetic Hub snapshot history, calibrated to the published figures (numpy, vectorized).

What it reproduces (scaled to the sizes asked for; the shape is kept):

- downloads (``downloadsAllTime``) are heavy-tailed: the top 0.01% of models hold ~49.6% of all
  model downloads and about half of all models have fewer than 200 (State of Open Source on
  Hugging Face, Spring 2026). The body is log-normal with median 200; the head is a power law
  whose total is set to match the 49.6% share;
- robotics datasets created per year: 1,145 in 2024 and 26,991 in 2025 at the Hub's 500k datasets
  (the report's figures read as created-in-year; see growth/README.md), from a rank in the 40s
  in 2022 to the largest task category in 2025, with text-generation second at ~5,000;
- LeRobot-format (``LeRobot`` tag) share of robotics datasets rising from 0 before 2024;
- robotics policies (``pipeline_tag: robotics``, ``library_name: lerobot``) fine-tuned from
  LeRobot base models and declaring a robotics dataset (``dataset:<id>`` tags);
- AI-for-science repos (2.5-5% of datasets, 2.5% of models) follow the taxonomy's real signals
  (``growth.core.science.PROFILES``): each sub-domain's tags, libraries, architectures and
  publishing organizations; a quarter of them are LLM look-alikes (Q&A and instruction sets with
  a field word) that the exclusion rules keep out. Base-model links on about a third of models.

Several weekly snapshots are written: earlier ones hold the repos created by then, with all-time
downloads rolled back by each repo's recent daily rate, so deltas between snapshots (daily
downloads) are meaningful. The file's metadata marks it simulated (``growth.simulated``).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from growth.core.science import simulated_signals
from growth.core.snapshot import SNAPSHOT_SCHEMA

SIMULATED_METADATA = {b"growth.simulated": b"true"}
FULL_DATASETS = 500_000
FULL_MODELS = 2_000_000
TOP_SHARE = 0.496  # share of downloads held by the top 0.01% of models
TOP_FRACTION = 0.0001
MEDIAN_DOWNLOADS = 200

# Robotics datasets created per year at the Hub's full size (2026: up to mid-November).
ROBOTICS_DATASETS_PER_YEAR = {2021: 5, 2022: 50, 2023: 180, 2024: 1_145, 2025: 26_991, 2026: 30_000}
LEROBOT_SHARE_BY_YEAR = {2021: 0.0, 2022: 0.0, 2023: 0.0, 2024: 0.55, 2025: 0.88, 2026: 0.9}
# Every dataset, per creation year (shares of the total).
DATASET_YEARS = {2020: 0.01, 2021: 0.03, 2022: 0.07, 2023: 0.14, 2024: 0.22, 2025: 0.33, 2026: 0.20}
MODEL_YEARS = {2020: 0.005, 2021: 0.025, 2022: 0.07, 2023: 0.15, 2024: 0.25, 2025: 0.33, 2026: 0.17}
ROBOTICS_MODELS_PER_YEAR = {2023: 300, 2024: 4_000, 2025: 20_000, 2026: 25_000}
# Fraction of non-robotics datasets with a task category; categories follow Zipf(0.8) so that
# text-generation (the first) has ~5,000 datasets in 2025 at full size.
CATEGORIZED_FRACTION = 0.24
CATEGORY_ZIPF = 0.8

DATASET_CATEGORIES = [
    "text-generation", "text-classification", "question-answering", "image-classification",
    "translation", "summarization", "token-classification", "automatic-speech-recognition",
    "image-to-text", "text-to-image", "visual-question-answering", "object-detection",
    "feature-extraction", "sentence-similarity", "fill-mask", "image-segmentation",
    "audio-classification", "text-to-speech", "zero-shot-classification", "table-question-answering",
    "tabular-classification", "tabular-regression", "time-series-forecasting", "video-classification",
    "image-to-image", "text-retrieval", "multiple-choice", "conversational", "depth-estimation",
    "reinforcement-learning", "graph-ml", "text-to-video", "image-to-video", "audio-to-audio",
    "voice-activity-detection", "unconditional-image-generation", "zero-shot-image-classification",
    "mask-generation", "zero-shot-object-detection", "text-to-3d", "image-to-3d",
    "image-feature-extraction", "video-text-to-text", "keypoint-detection", "visual-document-retrieval",
    "any-to-any", "audio-text-to-text", "image-text-to-text", "other", "tabular-to-text",
    "table-to-text", "multiple-choice-qa", "text2text-generation", "sequence-modeling",
    "named-entity-recognition", "paraphrase", "simplification", "dialogue-modeling",
    "document-question-answering", "medical",
]  # fmt: skip
PIPELINE_TAGS = [
    "text-generation", "text-classification", "feature-extraction", "text-to-image",
    "automatic-speech-recognition", "image-classification", "sentence-similarity",
    "token-classification", "fill-mask", "image-text-to-text", "reinforcement-learning",
    "question-answering", "translation", "summarization", "text2text-generation", "text-to-speech",
    "object-detection", "image-segmentation", "audio-classification", "image-to-image",
    "zero-shot-classification", "depth-estimation", "image-to-text", "text-to-video",
    "unconditional-image-generation", "video-classification", "tabular-classification",
    "time-series-forecasting", "any-to-any", "image-feature-extraction",
]  # fmt: skip
LIBRARIES = ["transformers", "diffusers", "peft", "sentence-transformers", "gguf", "timm",
             "stable-baselines3", "mlx", "onnx", "keras", "pytorch", "ml-agents"]  # fmt: skip
LIBRARY_WEIGHTS = [0.45, 0.08, 0.14, 0.04, 0.10, 0.02, 0.04, 0.02, 0.02, 0.02, 0.05, 0.02]
ORGANIZATIONS = ["lerobot", "nvidia", "google", "facebook", "meta-llama", "microsoft", "Qwen",
                 "deepseek-ai", "allenai", "HuggingFaceTB", "mistralai", "stabilityai", "baidu",
                 "ByteDance", "tencent", "unitreerobotics", "pollen-robotics", "IPEC-COMMUNITY",
                 "physical-intelligence", "hugging-science", "arcinstitute", "InstaDeepAI",
                 "polymathic-ai", "ibm-granite", "unsloth"]  # fmt: skip
ROBOTICS_ORGANIZATIONS = ["lerobot", "nvidia", "unitreerobotics", "pollen-robotics",
                          "IPEC-COMMUNITY", "physical-intelligence", "google"]  # fmt: skip
ROBOTICS_BASES = ["lerobot/smolvla_base", "lerobot/pi0", "lerobot/act_base", "nvidia/GR00T-N1.5-3B"]
RELATIONS = ["finetune", "adapter", "quantized", "merge"]
RELATION_WEIGHTS = [0.5, 0.25, 0.2, 0.05]


@dataclass
class Simulation:
    path: str
    dates: list[date]
    rows: int
    models: int
    datasets: int


def _scaled(per_year: dict[int, int], scale: float) -> dict[int, int]:
    return {year: round(n * scale) for year, n in per_year.items()}


def _created_in_years(rng, years: np.ndarray, end: date) -> np.ndarray:
    """Uniform creation times (ms since epoch, UTC) within each row's year, before ``end``."""
    start = np.array([np.datetime64(f"{y}-01-01", "ms") for y in range(1970, 2100)])[years - 1970]
    stop = np.array([np.datetime64(f"{y + 1}-01-01", "ms") for y in range(1970, 2100)])[
        years - 1970
    ]
    stop = np.minimum(stop, np.datetime64(end, "ms"))
    span = (stop - start).astype(np.int64)
    return start.astype(np.int64) + (rng.random(len(years)) * span).astype(np.int64)


def _years(rng, shares: dict[int, float], n: int) -> np.ndarray:
    years = np.array(list(shares))
    weights = np.array(list(shares.values()), dtype=float)
    return rng.choice(years, size=n, p=weights / weights.sum())


def _zipf_choice(rng, k: int, exponent: float, n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, k + 1) ** exponent
    return rng.choice(k, size=n, p=weights / weights.sum())


def _strings(values: list[str], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``values[codes]`` as an Arrow string array (null where ``mask`` is False)."""
    array = pc.take(pa.array(values, pa.string()), pa.array(codes.astype(np.int64)))
    if mask is not None:
        array = pc.if_else(pa.array(mask), array, pa.scalar(None, pa.string()))
    return array


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _lists(slots: list[pa.Array], n: int) -> pa.Array:
    """Per-row lists made of the non-null values of each slot, in slot order (vectorized)."""
    slots = [s.combine_chunks() if isinstance(s, pa.ChunkedArray) else s for s in slots]
    valid = np.stack([pc.is_valid(s).to_numpy(zero_copy_only=False) for s in slots], axis=1)
    rows, columns = np.nonzero(valid)  # row-major: each row's tags in slot order
    values = pc.take(
        pa.concat_arrays([s.cast(pa.string()) for s in slots]), pa.array(columns * n + rows)
    )
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def heavy_tailed_downloads(rng, n: int, median: float = MEDIAN_DOWNLOADS) -> np.ndarray:
    """All-time downloads: log-normal body (median ``median``) + a power-law head.

    The top ``TOP_FRACTION`` of repos (at least one) hold ``TOP_SHARE`` of the total.
    """
    head = max(1, int(np.ceil(TOP_FRACTION * n)))
    body = np.exp(rng.normal(np.log(median), 2.0, size=n))
    weights = 1.0 / np.arange(1, head + 1) ** 0.5
    weights /= weights.sum()
    for _ in range(2):  # the head's size depends on the capped body, which depends on the head
        total_head = body.sum() * TOP_SHARE / (1 - TOP_SHARE)
        head_values = total_head * weights
        body = np.minimum(body, 0.5 * head_values.min())
    values = body
    values[rng.choice(n, size=head, replace=False)] = head_values
    return np.floor(values).astype(np.int64)


def _activity(rng, created_ms: np.ndarray, all_time: np.ndarray, end: date):
    """30-day downloads and likes: recent repos get a larger share of their total lately."""
    end_ms = np.datetime64(end, "ms").astype(np.int64)
    age_days = np.maximum((end_ms - created_ms) / 86_400_000, 1.0)
    recent = np.minimum(1.0, 30.0 / age_days) ** 0.6 * rng.uniform(0.2, 1.0, len(all_time))
    last_30 = np.minimum(all_time, np.floor(all_time * recent)).astype(np.int64)
    likes = np.floor(np.sqrt(all_time) * rng.uniform(0, 0.3, len(all_time))).astype(np.int64)
    return last_30, likes


def _authors(rng, n, org_share, pool, organizations=ORGANIZATIONS):
    is_org = rng.random(n) < org_share
    org = _strings(organizations, _zipf_choice(rng, len(organizations), 1.0, n))
    user_ids = _zipf_choice(rng, max(pool, 1), 1.1, n)
    users = _join(pa.array(np.full(n, "user")), pa.array(user_ids).cast(pa.string()))
    return pc.if_else(pa.array(is_org), org, users)


def simulate_datasets(rng, n: int, end: date) -> tuple[pa.Table, int]:
    """Datasets, robotics ones first; returns the table and how many robotics datasets lead it."""
    scale = n / FULL_DATASETS
    robotics_years = _scaled(ROBOTICS_DATASETS_PER_YEAR, scale)
    n_robotics = min(sum(robotics_years.values()), n)
    robotics_year = np.repeat(list(robotics_years), list(robotics_years.values()))[:n_robotics]
    # Robotics datasets are taken out of each year's total so the yearly shape is preserved.
    other_year = _years(rng, DATASET_YEARS, n - n_robotics)
    years = np.concatenate([robotics_year, other_year])
    is_robotics = np.zeros(n, dtype=bool)
    is_robotics[:n_robotics] = True
    created = _created_in_years(rng, years, end)

    categorized = ~is_robotics & (rng.random(n) < CATEGORIZED_FRACTION)
    category = _zipf_choice(rng, len(DATASET_CATEGORIES), CATEGORY_ZIPF, n)
    category_tag = _strings(
        [f"task_categories:{c}" for c in DATASET_CATEGORIES], category, categorized
    )
    robotics_tag = _strings(["task_categories:robotics"], np.zeros(n, int), is_robotics)
    lerobot_share = np.array([LEROBOT_SHARE_BY_YEAR.get(int(y), 0.0) for y in range(1970, 2100)])
    is_lerobot = is_robotics & (rng.random(n) < lerobot_share[years - 1970])
    lerobot_tag = _strings(["LeRobot"], np.zeros(n, int), is_lerobot)
    # AI for science: the taxonomy's real signals (growth.core.science.PROFILES), plus LLM
    # look-alikes (Q&A sets tagged with a field word) that the exclusion rules keep out.
    science = simulated_signals(
        rng, ~is_robotics & (rng.random(n) < np.where(years >= 2024, 0.05, 0.025)), "dataset"
    )
    modality = _strings(["modality:video", "modality:tabular", "modality:text", "modality:image"],
                        np.where(is_robotics, 0, rng.integers(1, 4, n)))  # fmt: skip

    author = _authors(rng, n, org_share=0.12, pool=max(n // 4, 1))
    robotics_org = is_robotics & (rng.random(n) < 0.08)
    author = pc.if_else(
        pa.array(robotics_org),
        _strings(ROBOTICS_ORGANIZATIONS, _zipf_choice(rng, len(ROBOTICS_ORGANIZATIONS), 1.0, n)),
        author,
    )
    author = pc.if_else(pc.is_valid(science.author), science.author, author)
    stem = _strings(["dataset", "corpus", "benchmark", "eval", "data"], rng.integers(0, 5, n))
    stem = pc.if_else(pa.array(is_robotics), _strings(["so100_pick_place", "koch_test", "aloha_sim",
                      "so101_record", "xarm_push"], rng.integers(0, 5, n)), stem)  # fmt: skip
    ids = _join(author, pa.array(np.full(n, "/")), stem, pa.array(np.full(n, "-")),
                pa.array(np.arange(n)).cast(pa.string()))  # fmt: skip
    all_time = heavy_tailed_downloads(rng, n, median=60)
    last_30, likes = _activity(rng, created, all_time, end)
    return pa.table(
        {
            "repo_type": pa.array(np.full(n, "dataset")),
            "id": ids,
            "author": author,
            "createdAt": pa.array(created, pa.timestamp("ms", tz="UTC")),
            "downloads": last_30,
            "downloadsAllTime": all_time,
            "likes": likes,
            "tags": _lists(
                [robotics_tag, lerobot_tag, category_tag, *science.tag_slots, modality], n
            ),
            "pipeline_tag": pa.nulls(n, pa.string()),
            "library_name": pa.nulls(n, pa.string()),
            "baseModels": pa.nulls(n, SNAPSHOT_SCHEMA.field("baseModels").type),
        }
    ), n_robotics


def _base_models(relation: pa.Array, parent: pa.Array) -> pa.Array:
    """The Hub's ``baseModels`` struct for each row (null where ``parent`` is null)."""
    n = len(parent)
    has = pc.is_valid(parent).to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(has)]).astype(np.int32)
    ids = pa.StructArray.from_arrays([pc.filter(parent, pa.array(has))], names=["id"])
    models = pa.ListArray.from_arrays(pa.array(offsets), ids)
    kind = SNAPSHOT_SCHEMA.field("baseModels").type
    if n == 0:
        return pa.nulls(0, kind)
    return pa.StructArray.from_arrays(
        [relation, models], names=["relation", "models"], mask=pa.array(~has)
    ).cast(kind)


def simulate_models(rng, n: int, end: date, robotics_dataset_ids: pa.Array) -> pa.Table:
    scale = n / FULL_MODELS
    robotics_years = _scaled(ROBOTICS_MODELS_PER_YEAR, scale)
    n_robotics = min(sum(robotics_years.values()), n)
    robotics_year = np.repeat(list(robotics_years), list(robotics_years.values()))[:n_robotics]
    years = np.concatenate([robotics_year, _years(rng, MODEL_YEARS, n - n_robotics)])
    is_robotics = np.zeros(n, dtype=bool)
    is_robotics[:n_robotics] = True
    created = _created_in_years(rng, years, end)

    has_pipeline = ~is_robotics & (rng.random(n) < 0.7)
    pipeline = _strings(PIPELINE_TAGS, _zipf_choice(rng, len(PIPELINE_TAGS), 1.0, n), has_pipeline)
    pipeline = pc.if_else(pa.array(is_robotics), pa.scalar("robotics"), pipeline)
    library_code = rng.choice(
        len(LIBRARIES), size=n, p=np.array(LIBRARY_WEIGHTS) / sum(LIBRARY_WEIGHTS)
    )
    library = _strings(LIBRARIES, library_code, rng.random(n) < 0.85)
    uses_lerobot = is_robotics & (rng.random(n) < np.where(years >= 2024, 0.75, 0.1))
    library = pc.if_else(pa.array(uses_lerobot), pa.scalar("lerobot"), library)
    science = simulated_signals(rng, ~is_robotics & (rng.random(n) < 0.025), "model")
    library = pc.if_else(pa.array(science.science), science.library, library)
    pipeline = pc.if_else(pa.array(science.science), science.pipeline, pipeline)
    pipeline = pc.if_else(pc.is_valid(science.pipeline), science.pipeline, pipeline)

    author = _authors(rng, n, org_share=0.08, pool=max(n // 6, 1))
    author = pc.if_else(pc.is_valid(science.author), science.author, author)
    stem = _strings(["model", "bert-ft", "llama-lora", "qwen-gguf", "sd-xl", "whisper-ft", "vit"],
                    rng.integers(0, 7, n))  # fmt: skip
    stem = pc.if_else(pa.array(is_robotics), _strings(["act_so100", "smolvla_pick", "pi0_aloha",
                      "diffusion_pusht"], rng.integers(0, 4, n)), stem)  # fmt: skip
    ids = _join(author, pa.array(np.full(n, "/")), stem, pa.array(np.full(n, "-")),
                pa.array(np.arange(n)).cast(pa.string()))  # fmt: skip

    # Derivatives: a third of models name a base model among the 1,000 most popular ones
    # (the first rows here, a stand-in for "older"), robotics policies name a LeRobot base.
    all_time = heavy_tailed_downloads(rng, n)
    popular = np.argsort(-all_time)[: min(1000, n)]
    is_derivative = (rng.random(n) < 0.35) | (is_robotics & (rng.random(n) < 0.6))
    parent_index = popular[rng.integers(0, len(popular), n)]
    is_derivative &= parent_index != np.arange(n)
    parent = pc.take(ids, pa.array(parent_index))
    parent = pc.if_else(
        pa.array(is_robotics),
        _strings(ROBOTICS_BASES, rng.integers(0, len(ROBOTICS_BASES), n)),
        parent,
    )
    parent = pc.if_else(pa.array(is_derivative), parent, pa.scalar(None, pa.string()))
    relation = _strings(RELATIONS, rng.choice(4, size=n, p=RELATION_WEIGHTS), is_derivative)
    relation = pc.if_else(pa.array(is_robotics & is_derivative), pa.scalar("finetune"), relation)
    base_tag = _join(
        pa.array(np.full(n, "base_model:")), relation, pa.array(np.full(n, ":")), parent
    )
    declares = is_robotics & (rng.random(n) < 0.6) & (len(robotics_dataset_ids) > 0)
    dataset_tag = pa.nulls(n, pa.string())
    if len(robotics_dataset_ids):
        picked = pc.take(
            robotics_dataset_ids, pa.array(rng.integers(0, len(robotics_dataset_ids), n))
        )
        dataset_tag = pc.if_else(pa.array(declares), _join(pa.array(np.full(n, "dataset:")), picked),
                                 pa.scalar(None, pa.string()))  # fmt: skip
    library_tag = library

    last_30, likes = _activity(rng, created, all_time, end)
    return pa.table(
        {
            "repo_type": pa.array(np.full(n, "model")),
            "id": ids,
            "author": author,
            "createdAt": pa.array(created, pa.timestamp("ms", tz="UTC")),
            "downloads": last_30,
            "downloadsAllTime": all_time,
            "likes": likes,
            "tags": _lists([library_tag, pipeline, base_tag, dataset_tag, *science.tag_slots], n),
            "pipeline_tag": pipeline,
            "library_name": library,
            "baseModels": _base_models(relation, parent),
        }
    )


def _as_of(rng, table: pa.Table, final: date, when: date) -> pa.Table:
    """The table as it looked on ``when``: fewer repos, all-time downloads rolled back."""
    when_ms = np.datetime64(when + timedelta(days=1), "ms").astype(np.int64)
    created = table["createdAt"].cast(pa.int64()).to_numpy()
    table = table.filter(pa.array(created < when_ms))
    days = (final - when).days
    all_time = table["downloadsAllTime"].to_numpy()
    last_30 = table["downloads"].to_numpy()
    rolled = np.maximum(all_time - np.floor(last_30 / 30.0 * days), 0).astype(np.int64)
    window = np.minimum(rolled, np.floor(last_30 * rng.uniform(0.8, 1.2, len(last_30)))).astype(
        np.int64
    )
    table = table.set_column(
        table.schema.get_field_index("downloadsAllTime"), "downloadsAllTime", pa.array(rolled)
    )
    return table.set_column(
        table.schema.get_field_index("downloads"), "downloads", pa.array(window)
    )


def _finish(table: pa.Table, when: date, rng) -> pa.Table:
    n = table.num_rows
    created = table["createdAt"].cast(pa.int64()).to_numpy()
    end_ms = np.datetime64(when + timedelta(days=1), "ms").astype(np.int64) - 1
    modified = created + (rng.random(n) * (end_ms - created)).astype(np.int64)
    table = table.append_column("lastModified", pa.array(modified, pa.timestamp("ms", tz="UTC")))
    table = table.append_column("snapshot_date", pa.array(np.full(n, np.datetime64(when, "D"))))
    return table.select(SNAPSHOT_SCHEMA.names).cast(SNAPSHOT_SCHEMA)


def simulate(
    out: str,
    models: int = 20_000,
    datasets: int = 5_000,
    seed: int = 0,
    snapshots: int = 8,
    interval_days: int = 7,
    end: date = date(2026, 11, 16),
) -> Simulation:
    """Write ``snapshots`` dated snapshots, ``interval_days`` apart, ending on ``end``."""
    if models < 0 or datasets < 0 or snapshots < 1 or interval_days < 1:
        raise ValueError("models and datasets must be >= 0, snapshots and interval_days >= 1")
    rng = np.random.default_rng(seed)
    dataset_table, n_robotics = simulate_datasets(rng, datasets, end)
    robotics_ids = dataset_table["id"].slice(0, n_robotics).combine_chunks()
    model_table = simulate_models(rng, models, end, robotics_ids)
    everything = pa.concat_tables([dataset_table, model_table.cast(dataset_table.schema)])

    dates = [end - timedelta(days=interval_days * i) for i in reversed(range(snapshots))]
    schema = SNAPSHOT_SCHEMA.with_metadata(SIMULATED_METADATA)
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for when in dates:
            day = everything if when == end else _as_of(rng, everything, end, when)
            day = _finish(day, when, rng)
            writer.write_table(
                day.replace_schema_metadata(SIMULATED_METADATA), row_group_size=500_000
            )
            rows += day.num_rows
    return Simulation(path=str(out), dates=dates, rows=rows, models=models, datasets=datasets)
