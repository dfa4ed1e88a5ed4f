"""Model size buckets for the Relative Adoption Metric.

The size of a model is, per row and in this order: a parameter-count column of the snapshot
(``num_parameters``, ``parameters``), the Hub's ``safetensors.total`` or ``gguf.total`` metadata
(the repo's *own* files, so an adapter counts its own parameters), else, except for adapters, a
size written in the repo's own name or plain tags, the way nearly every LLM is named: ``Qwen2.5-7B-Instruct``,
``smollm-360M``, ``phi-1_5`` is not matched. The pattern is a number followed by ``B`` (billions),
``M`` (millions) or ``K`` (thousands) and delimited by ``-``, ``_``, ``.`` or the ends of the name.
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


def _struct_total(table: pa.Table, column: str) -> np.ndarray | None:
    """``<column>.total`` as floats (NaN where null), or None when the column is absent."""
    if column not in table.column_names or not pa.types.is_struct(table[column].type):
        return None
    struct = table[column].combine_chunks()
    if struct.type.get_field_index("total") < 0:
        return None
    total = pc.struct_field(struct, "total")
    return pc.fill_null(pc.cast(total, pa.float64()), np.nan).to_numpy(zero_copy_only=False)


def is_adapter(table: pa.Table) -> np.ndarray:
    """Rows that are adapters (``baseModels.relation`` adapter, a ``base_model:adapter:`` tag, or
    the peft library): their names carry the *base* model's size (``llama-70b-lora``)."""
    n = table.num_rows
    adapter = np.zeros(n, dtype=bool)
    if "baseModels" in table.column_names:
        relation = pc.struct_field(table["baseModels"].combine_chunks(), "relation")
        adapter |= pc.fill_null(pc.equal(pc.utf8_lower(relation), "adapter"), False).to_numpy(
            zero_copy_only=False
        )
    if "library_name" in table.column_names:
        library = pc.utf8_lower(table["library_name"].cast(pa.string()))
        adapter |= pc.fill_null(pc.equal(library, "peft"), False).to_numpy(zero_copy_only=False)
    if "tags" in table.column_names:
        tags = table["tags"].combine_chunks()
        hit = pc.fill_null(pc.starts_with(pc.list_flatten(tags), "base_model:adapter:"), False)
        rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
        adapter[rows[hit.to_numpy(zero_copy_only=False)]] = True
    return adapter


def parameter_counts(table: pa.Table) -> np.ndarray:
    """Parameters of each row (float, NaN when unknown), first known source per row:

    1. a ``num_parameters`` / ``parameters`` column;
    2. the Hub's ``safetensors.total`` (the repo's own weight files: an adapter's own
       parameters, never its base model's);
    3. the Hub's ``gguf.total`` (a GGUF quantization's own file metadata);
    4. a size in the repo's own name or in its plain tags (``7b``, ``size:1.5B``), never for
       an adapter (its name carries the base's size) and never from tags naming other repos
       (``base_model:...``, ``dataset:...``).
    """
    n = table.num_rows
    params = np.full(n, np.nan)

    def fill(values):
        nonlocal params
        if values is not None:
            params = np.where(np.isnan(params), values, params)

    for column in ("num_parameters", "parameters"):
        if column in table.column_names:
            values = pc.cast(table[column], pa.float64())
            fill(pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False))
    fill(_struct_total(table, "safetensors"))
    fill(_struct_total(table, "gguf"))
    guessable = np.isnan(params) & ~is_adapter(table)
    if not guessable.any():
        return params

    name = pc.replace_substring_regex(table["id"].combine_chunks(), r"^[^/]*/", "")
    from_name = _parameters_from_text(name)
    params = np.where(guessable, from_name, params)
    missing = guessable & np.isnan(params)
    if missing.any() and "tags" in table.column_names:
        # Plain tags such as "7b" or "size:1.5B": the largest size among a repo's own tags.
        tags = table["tags"].combine_chunks()
        flat = pc.list_flatten(tags)
        rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
        own = pc.invert(
            pc.fill_null(pc.match_substring(pc.replace_substring(flat, "size:", ""), ":"), True)
        )
        own = own.to_numpy(zero_copy_only=False)
        tag_params = _parameters_from_text(pc.replace_substring(flat, "size:", ""))
        found = ~np.isnan(tag_params) & own
        from_tags = np.full(n, np.nan)
        np.fmax.at(from_tags, rows[found], tag_params[found])
        params = np.where(missing, from_tags, params)
    return params


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float | None:
    """The value at which the cumulative weight reaches half the total (lower median)."""
    if values.size == 0 or weights.sum() <= 0:
        return None
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def sizes_by_year(params: np.ndarray, years: np.ndarray, downloads: np.ndarray) -> dict:
    """Per created year, over the models with a known size: how many, mean and median
    parameters, and the same weighted by all-time downloads (the report's "mean downloaded
    model size went from 827M to 20.8B while the median went from 326M to 406M")."""
    known = ~np.isnan(params) & (years >= 0)
    result = {}
    for year in np.unique(years[known]):
        selected = known & (years == year)
        values = params[selected]
        weights = downloads[selected].astype(np.float64)
        total = weights.sum()
        result[str(int(year))] = {
            "models_with_size": int(values.size),
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "downloads_weighted_mean": float((values * weights).sum() / total) if total else None,
            "downloads_weighted_median": weighted_median(values, weights),
        }
    return result


def size_buckets(params: np.ndarray) -> np.ndarray:
    """Bucket code of each parameter count: index into BUCKET_NAMES (``unknown`` for NaN)."""
    code = np.full(params.size, BUCKET_NAMES.index(UNKNOWN), dtype=np.int8)
    known = ~np.isnan(params)
    p = params[known]
    code[known] = np.select(
        [p < 1e9, p < 1e10, p < 3.1e10, p <= 1e11], [0, 1, 2, 3], default=4
    ).astype(np.int8)
    return code
