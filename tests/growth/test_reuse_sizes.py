"""Model sizes from real Hub repo names, tags and parameter columns, with each expected count
written out by hand (growth/core/reuse/sizes.py)."""

import math

import numpy as np
import pyarrow as pa
import pytest

from growth.core.reuse.sizes import BUCKET_NAMES, parameter_counts, size_buckets

NAN = math.nan


@pytest.mark.parametrize(
    ("repo_id", "expected"),
    [
        ("meta-llama/Llama-3.2-3B", 3e9),
        ("Qwen/Qwen2.5-7B-Instruct", 7e9),
        ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1.1e9),
        ("google/gemma-2b", 2e9),  # lower-case unit
        ("EleutherAI/gpt-neox-20b", 20e9),
        ("meta-llama/Llama-3.1-405B-Instruct", 405e9),
        ("HuggingFaceTB/SmolLM-360M", 360e6),
        ("facebook/opt-125m", 125e6),
        ("someone/tiny-model-500K", 500e3),
        ("mistralai/Mixtral-8x7B-v0.1", 56e9),  # mixture of experts: the total
        ("mistralai/Mixtral-8x22B-Instruct-v0.1", 176e9),
        ("nvidia/GR00T-N1.5-3B", 3e9),  # "N1.5" is a version, "3B" the size
        ("TheBloke/Llama-2-13B-chat.gguf", 13e9),
        ("bartowski/model.7B", 7e9),  # "." after a letter opens a size
        ("Qwen/Qwen1.5-MoE-A2.7B", NAN),  # "A2.7B" (active parameters) is not 7B
        ("microsoft/phi-1_5", NAN),
        ("openai/whisper-large-v3", NAN),
        ("sentence-transformers/all-MiniLM-L6-v2", NAN),
        ("microsoft/resnet-50", NAN),
        ("lerobot/smolvla_base", NAN),
        ("deepseek-ai/DeepSeek-V3", NAN),
        ("user/my-robot-policy", NAN),
        ("user/3Bees", NAN),  # a size must end at a delimiter
    ],
)
def test_size_written_in_the_repo_name(repo_id, expected):
    [count] = parameter_counts(pa.table({"id": [repo_id]}))
    if math.isnan(expected):
        assert math.isnan(count), f"{repo_id} read as {count:g}"
    else:
        assert count == pytest.approx(expected), repo_id


def test_size_from_tags_when_the_name_has_none():
    table = pa.table(
        {
            "id": ["a/policy", "b/encoder", "c/chat-7B", "d/plain", "e/none"],
            "tags": [["robotics", "size:1.5B"], ["7b", "13b"], ["70b"], [], None],
        }
    )
    counts = parameter_counts(table)
    # the tag's size; the largest of several tags; the name wins over a tag; nothing; no tags.
    np.testing.assert_array_equal(counts, [1.5e9, 13e9, 7e9, NAN, NAN])


def test_a_parameter_column_wins_over_the_name():
    """Per row: the count where the column has one, else the repo's own name."""
    table = pa.table({"id": ["a/model-7B", "b/model-3B"], "num_parameters": [6_738_415_616, None]})
    np.testing.assert_array_equal(parameter_counts(table), [6_738_415_616.0, 3e9])


def test_safetensors_total_as_the_hub_returns_it():
    safetensors = pa.array(
        [
            {"parameters": {"BF16": 494_032_768}, "total": 494_032_768},
            None,  # a repo without safetensors weights
        ],
        type=pa.struct([("parameters", pa.map_(pa.string(), pa.int64())), ("total", pa.int64())]),
    )
    table = pa.table({"id": ["Qwen/Qwen2.5-0.5B", "x/model-7B"], "safetensors": safetensors})
    # The metadata where the repo has safetensors weights, else (per row) the repo's own name.
    np.testing.assert_array_equal(parameter_counts(table), [494_032_768.0, 7e9])


@pytest.mark.parametrize(
    ("params", "bucket"),
    [
        (999_999_999, "under-1B"),
        (1e9, "1-9B"),
        (9.99e9, "1-9B"),
        (1e10, "10-30B"),
        (3.09e10, "10-30B"),
        (3.1e10, "31-100B"),
        (1e11, "31-100B"),  # 100B itself is the top of 31-100B
        (1.0001e11, "100B+"),
        (NAN, "unknown"),
    ],
)
def test_bucket_bounds(params, bucket):
    [code] = size_buckets(np.array([params], dtype=np.float64))
    assert BUCKET_NAMES[code] == bucket
