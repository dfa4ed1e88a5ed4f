"""Model -> dataset citations of a snapshot: the ``dataset:<id>`` tags of model repos.

On the Hub, the ``datasets:`` field of a model card becomes one ``dataset:<id>`` tag per dataset
(and ``list_models(trained_dataset=X)`` is a filter on that tag), so the tags are the one place a
snapshot records which datasets a model declares. Matching is exact on the repo id.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .graph import rows_of_ids

PREFIX = "dataset:"


@dataclass
class Citations:
    model: np.ndarray  # row of the citing model
    dataset: np.ndarray  # row of the cited dataset (only datasets present in the snapshot)
    declares: np.ndarray  # bool per row: a model with at least one dataset: tag (present or not)


def dataset_citations(table: pa.Table, is_model: np.ndarray, is_dataset: np.ndarray) -> Citations:
    n = table.num_rows
    tags = table["tags"].combine_chunks()
    flat = pc.list_flatten(tags)
    rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False).astype(np.int64)
    hit = pc.fill_null(pc.starts_with(flat, PREFIX), False).to_numpy(zero_copy_only=False)
    hit &= is_model[rows]
    rows = rows[hit]
    cited_ids = pc.utf8_slice_codeunits(flat.filter(pa.array(hit)), len(PREFIX))

    declares = np.zeros(n, dtype=bool)
    declares[rows] = True

    dataset_rows = np.flatnonzero(is_dataset).astype(np.int64)
    dataset_ids = table["id"].combine_chunks().take(pa.array(dataset_rows))
    cited_rows = rows_of_ids(cited_ids, dataset_ids, dataset_rows, "dataset")
    found = cited_rows >= 0
    model, dataset = rows[found], cited_rows[found]
    # A model that lists the same dataset twice cites it once.
    key = np.unique(model * np.int64(n) + dataset)
    return Citations(model=key // n, dataset=key % n, declares=declares)
