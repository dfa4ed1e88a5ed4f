"""Facet counts from a columnar copy of the index held in each web process.

Counting facets in the database means reading every matching row for every facet (100,000 rows,
seven facets: see bench/catalogue.py). The filters are equalities and ranges over the latest
versions, so each process keeps the facet columns of the latest versions as numpy arrays, one
integer code per value, and counts with vectorised masks and ``bincount`` in about a
millisecond. A text query is answered by the database's full-text index as a list of ids, which
becomes one more mask.

The copy belongs to one catalogue generation (``CatalogueGeneration``, changed in the same
transaction as the index): a request that sees a newer generation builds a new copy (one thread
builds, the others count in the database meanwhile), so the counts are never older than the
database's. The counts are the same as ``curation.selectors._facets`` (tests compare them), with one
difference: ties at the 15th place of a facet may pick a different value.
"""

import threading
from dataclasses import dataclass

import numpy as np

from curation.models import CatalogueGeneration, DatasetIndex, IndexCamera, IndexTask

SINGLE = {
    "robot_type": "robot_type",
    "fps": "fps",
    "cameras": "num_cameras",
    "codebase_version": "codebase_version",
    "domain": "domain",
}
MULTI = {"camera": (IndexCamera, "name"), "task": (IndexTask, "task")}


@dataclass
class Column:
    codes: np.ndarray  # one code per row (single-valued) or per (row, value) pair (multi-valued)
    values: list  # code -> value
    rows: np.ndarray | None = None  # multi-valued: the row of each pair

    def code_of(self, value) -> int:
        try:
            return self.values.index(value)
        except ValueError:
            return -1


def _encode(raw: list) -> tuple[np.ndarray, list]:
    values = sorted({v for v in raw if v not in (None, "")}, key=_order)
    index = {v: i for i, v in enumerate(values)}
    return np.array([index.get(v, -1) for v in raw], dtype=np.int32), values


def _order(value):
    return (0, value, "") if isinstance(value, int | float) else (1, 0, str(value))


class FacetTable:
    def __init__(self, generation: int):
        self.generation = generation
        rows = list(
            DatasetIndex.objects.filter(is_latest=True)
            .order_by("id")
            .values_list("id", "episodes", "frames", *SINGLE.values())
        )
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.episodes = np.array([r[1] for r in rows], dtype=np.int64)
        self.frames = np.array([r[2] for r in rows], dtype=np.int64)
        self.columns: dict[str, Column] = {}
        for position, name in enumerate(SINGLE, start=3):
            codes, values = _encode([r[position] for r in rows])
            self.columns[name] = Column(codes, values)
        for name, (model, field) in MULTI.items():
            pairs = list(model.objects.filter(index__is_latest=True).values_list("index_id", field))
            index_ids = np.array([p[0] for p in pairs], dtype=np.int64)
            positions = np.searchsorted(self.ids, index_ids).clip(0, max(len(self.ids) - 1, 0))
            # A row indexed between the two reads has no position: leave its pairs out (this
            # table is then thrown away, see table_for).
            known = (self.ids[positions] == index_ids) if len(self.ids) else positions < 0
            codes, values = _encode([p[1] for p, keep in zip(pairs, known, strict=True) if keep])
            self.columns[name] = Column(codes, values, positions[known].astype(np.int64))

    def _condition(self, name: str, value) -> np.ndarray:
        column = self.columns[name]
        code = column.code_of(value)
        if column.rows is None:
            return column.codes == code
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[column.rows[column.codes == code]] = True
        return mask

    def summary(self, chosen: dict, ranges: dict, limit: int, among=None) -> dict:
        """``chosen``: facet name -> value (already typed: float fps, int cameras); ``ranges``:
        field -> (low, high); ``among``: the ids that match the text query, if there is one.
        Returns the count and the facets as selectors does."""
        if among is None:
            base = np.ones(len(self.ids), dtype=bool)
        else:
            base = np.zeros(len(self.ids), dtype=bool)
            wanted = np.fromiter(among, dtype=np.int64)
            if len(wanted) and len(self.ids):
                positions = np.searchsorted(self.ids, wanted).clip(0, len(self.ids) - 1)
                base[positions[self.ids[positions] == wanted]] = True
        for field, (low, high) in ranges.items():
            array = getattr(self, field)
            if low is not None:
                base &= array >= low
            if high is not None:
                base &= array <= high
        conditions = {name: self._condition(name, value) for name, value in chosen.items()}

        def rows_without(skip: str | None) -> np.ndarray:
            mask = base.copy()
            for name, condition in conditions.items():
                if name != skip:
                    mask &= condition
            return mask

        facets = {}
        for name, column in self.columns.items():
            mask = rows_without(name)
            if column.rows is not None:
                mask = mask[column.rows]
            codes = column.codes[mask]
            counts = np.bincount(codes[codes >= 0], minlength=len(column.values))
            present = np.nonzero(counts)[0]
            # Most first, then by value (the codes are in value order).
            top = present[np.lexsort((present, -counts[present]))][:limit]
            facets[name] = [(column.values[c], int(counts[c])) for c in top]
        return {"count": int(rows_without(None).sum()), "facets": facets}


def current_generation() -> int:
    value = CatalogueGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


_current: FacetTable | None = None
_building = threading.Lock()


def table_for(generation: int) -> FacetTable | None:
    """This process's table for ``generation``, built now by the first thread that asks; the
    other threads get ``None`` (count in the database) until it is ready."""
    global _current
    table = _current
    if table is not None and table.generation == generation:
        return table
    if not _building.acquire(blocking=False):
        return None
    try:
        table = _current
        if table is None or table.generation != generation:
            table = FacetTable(generation)
            if current_generation() != generation:
                return None  # the index changed while we read it: count in the database
            _current = table
        return table
    finally:
        _building.release()


def forget() -> None:
    global _current
    _current = None
