"""Model size buckets for the Relative Adoption Metric.

The size of a model is, in this order: a parameter-count column of the snapshot when there is one
(``num_parameters``, ``parameters``, or ``safetensors.total`` as the Hub returns it), else a size
written in the repo name or a tag, the way nearly every LLM is named: ``Qwen2.5-7B-Instruct``,
``smollm-360M``, ``phi-1_5`` is not matched. The pattern is a number followed by ``B`` (billions),
``M`` (millions) or ``K`` (thousands) and delimited by ``-``, ``_``, ``.`` or the ends of the name
(a ``.`` right after a digit is a decimal point: ``Qwen1.5-MoE-A2.7B`` has no size, not 7B).
Mixture-of-experts names like ``8x7B`` count the total (56B). Models without a size get the bucket
``unknown`` and no RAM.

Buckets follow ATOM's (``1-9B, 10-30B, 31-100B, 100B+``), with one more below 1B for the small
models robotics and science publish. Bounds: under-1B ``< 1e9``; 1-9B ``[1e9, 1e10)``;
10-30B ``[1e10, 3.1e10)``; 31-100B ``[3.1e10, 1e11]``; 100B+ ``> 1e11``.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BUCKETS = ("under-1B", "1-9B", "10-30B", "31-100B", "100B+")
UNKNOWN = "unknown"
BUCKET_NAMES = (*BUCKETS, UNKNOWN)

# A "." opens a size only after a non-digit ("model.7B"): after a digit it is a decimal point, and
# "Qwen1.5-MoE-A2.7B" must not read as 7B. RE2 (Arrow's regex engine) has no lookbehind, so the
# character before the "." is matched (outside the named groups).
_SIZE_IN_NAME = (
    r"(?:^|[-_/]|\D\.)(?:(?P<experts>\d+)x)?(?P<number>\d+(?:\.\d+)?)(?P<unit>[bBmMkK])"
    r"(?:$|[-_.])"
)
_UNIT = {"b": 1e9, "m": 1e6, "k": 1e3}


def _parameters_from_text(text: pa.Array) -> np.ndarray:
    parts = pc.extract_regex(text, _SIZE_IN_NAME)
    number = pc.cast(pc.struct_field(parts, "number"), pa.float64(), safe=False)
    experts = pc.struct_field(parts, "experts")
    experts = pc.cast(pc.if_else(pc.equal(experts, ""), "1", experts), pa.float64())
    unit = pc.utf8_lower(pc.struct_field(parts, "unit"))
    scale = pc.case_when(
        pc.make_struct(pc.equal(unit, "b"), pc.equal(unit, "m"), pc.equal(unit, "k")),
        _UNIT["b"], _UNIT["m"], _UNIT["k"],
    )  # fmt: skip
    value = pc.multiply(pc.multiply(number, experts), scale)
    return pc.fill_null(value, np.nan).to_numpy(zero_copy_only=False).astype(np.float64)


def parameter_counts(table: pa.Table) -> np.ndarray:
    """Parameters of each row (float, NaN when unknown)."""
    n = table.num_rows
    for column in ("num_parameters", "parameters"):
        if column in table.column_names:
            values = pc.cast(table[column], pa.float64())
            return pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)
    if "safetensors" in table.column_names and pa.types.is_struct(table["safetensors"].type):
        total = pc.struct_field(table["safetensors"].combine_chunks(), "total")
        return pc.fill_null(pc.cast(total, pa.float64()), np.nan).to_numpy(zero_copy_only=False)

    name = pc.replace_substring_regex(table["id"].combine_chunks(), r"^[^/]*/", "")
    params = _parameters_from_text(name)
    missing = np.isnan(params)
    if missing.any() and "tags" in table.column_names:
        # Tags such as "7b" or "size:1.5B": the largest size found among a repo's tags.
        tags = table["tags"].combine_chunks()
        flat = pc.list_flatten(tags)
        rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
        tag_params = _parameters_from_text(pc.replace_substring(flat, "size:", ""))
        found = ~np.isnan(tag_params)
        from_tags = np.full(n, np.nan)
        np.fmax.at(from_tags, rows[found], tag_params[found])
        params = np.where(missing, from_tags, params)
    return params


def size_buckets(params: np.ndarray) -> np.ndarray:
    """Bucket code of each parameter count: index into BUCKET_NAMES (``unknown`` for NaN)."""
    code = np.full(params.size, BUCKET_NAMES.index(UNKNOWN), dtype=np.int8)
    known = ~np.isnan(params)
    p = params[known]
    code[known] = np.select(
        [p < 1e9, p < 1e10, p < 3.1e10, p <= 1e11], [0, 1, 2, 3], default=4
    ).astype(np.int8)
    return code
