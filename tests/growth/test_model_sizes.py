"""Model sizes come from each repo's own metadata; adapters never take their base's size."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from growth.core.reuse.compute import compute_reuse_metrics
from growth.core.reuse.sizes import parameter_counts, weighted_median
from tests.growth.reuse_snapshots import repo, table

SAFETENSORS = pa.struct([("total", pa.int64())])


def with_metadata(rows, safetensors, gguf):
    t = table(rows)
    t = t.append_column(
        "safetensors",
        pa.array([None if v is None else {"total": v} for v in safetensors], SAFETENSORS),
    )
    return t.append_column("gguf", pa.array(
        [None if v is None else {"total": v} for v in gguf], SAFETENSORS))  # fmt: skip


def test_own_metadata_first_and_adapters_never_take_the_base_size():
    rows = [
        repo("meta-llama/Llama-3-70B"),  # safetensors: 70.6e9
        repo("alice/llama-70b-lora", parents=["meta-llama/Llama-3-70B"], relation="adapter"),
        repo("bob/llama-70b-lora-st", parents=["meta-llama/Llama-3-70B"], relation="adapter"),
        repo("carol/Llama-3-70B-GGUF", parents=["meta-llama/Llama-3-70B"], relation="quantized"),
        repo("dave/tiny", tags=["base_model:finetune:meta-llama/Llama-3-70B", "size:1.5B"]),
        repo("erin/mystery", tags=["base_model:meta-llama/Llama-3-70B"]),
        repo("frank/Qwen2.5-7B-Instruct"),
    ]
    t = with_metadata(
        rows,
        safetensors=[70_600_000_000, None, 160_000_000, None, None, None, None],
        gguf=[None, None, None, 70_550_000_000, None, None, None],
    )
    params = parameter_counts(t)
    assert params[0] == 70.6e9  # safetensors.total
    assert np.isnan(params[1])  # an adapter with no metadata: unknown, not 70B from its name
    assert params[2] == 160e6  # an adapter's own weights
    assert params[3] == 70.55e9  # the quantization's own GGUF metadata
    assert params[4] == 1.5e9  # its own size tag; the base_model: tag names another repo
    assert np.isnan(params[5])  # only another repo's id in its tags
    assert params[6] == 7e9  # its own name


def test_mean_median_and_download_weighted_sizes_per_created_year():
    def created(year):
        return dt.datetime(year, 5, 1, tzinfo=dt.UTC)

    rows = [
        repo("a/m-1B", downloads_all=90, created=created(2023)),
        repo("b/m-3B", downloads_all=10, created=created(2023)),
        repo("c/m-100M", downloads_all=0, created=created(2023)),
        repo("d/m-70B", downloads_all=1, created=created(2025)),
        repo("e/m-8B", downloads_all=3, created=created(2025)),
        repo("f/no-size", downloads_all=1000, created=created(2025)),
    ]
    sizes = compute_reuse_metrics(table(rows))["domains"]["hub"]["model_sizes_by_created_year"]
    y2023 = sizes["2023"]
    assert y2023["models_with_size"] == 3
    assert y2023["mean"] == pytest.approx((1e9 + 3e9 + 1e8) / 3)
    assert y2023["median"] == pytest.approx(1e9)
    assert y2023["downloads_weighted_mean"] == pytest.approx((90 * 1e9 + 10 * 3e9) / 100)
    assert y2023["downloads_weighted_median"] == pytest.approx(1e9)
    y2025 = sizes["2025"]
    assert y2025["models_with_size"] == 2  # f/no-size has no known size
    assert y2025["mean"] == pytest.approx(39e9) and y2025["median"] == pytest.approx(39e9)
    assert y2025["downloads_weighted_mean"] == pytest.approx((70e9 + 3 * 8e9) / 4)
    assert y2025["downloads_weighted_median"] == pytest.approx(8e9)


def test_weighted_median_by_hand():
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0])) == 3.0
    assert weighted_median(np.array([1.0, 2.0]), np.array([0.0, 0.0])) is None
