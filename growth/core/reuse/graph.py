"""The model tree of a snapshot as arrays, and vectorized walks over it.

Nodes are row numbers of the snapshot table. An edge ``child -> parent`` exists when the child's
``baseModels`` lists the parent, or when the child carries a tag ``base_model:<relation>:<parent>``
(or the bare ``base_model:<parent>``). Parents that are not models of the snapshot are dropped:
nothing can be reached through a repo we do not see.

Walks are frontier expansions over a CSR adjacency (children grouped by parent): each step
gathers the children of the whole frontier with one numpy gather, and a ``reached`` mask makes
them safe on cycles (bad metadata can declare A -> B -> A) and on merges (several parents).
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growth.core.snapshot import SnapshotError

RELATIONS = ("finetune", "adapter", "quantized", "merge")
UNKNOWN_RELATION = "unspecified"
RELATION_NAMES = (*RELATIONS, UNKNOWN_RELATION)
_RELATION_CODE = {name: code for code, name in enumerate(RELATION_NAMES)}


def relation_codes(relations: pa.Array) -> np.ndarray:
    """Code of each relation string in RELATION_NAMES; anything else (or null) is 'unspecified'."""
    index = pc.index_in(pc.utf8_lower(relations.cast(pa.string())), value_set=pa.array(RELATIONS))
    return pc.fill_null(index, len(RELATIONS)).to_numpy(zero_copy_only=False).astype(np.int8)


def rows_of_ids(queries: pa.Array, ids: pa.Array, rows: np.ndarray, what: str) -> np.ndarray:
    """Snapshot row of each queried id among ``ids`` (the ids of ``rows``), -1 when absent.

    One hash table serves both the lookups and the check that ``ids`` has no duplicate (a repo
    listed twice on one date would be counted twice): ``ids`` are looked up in themselves first.
    """
    query = pa.concat_arrays([ids.cast(pa.string()), queries.cast(pa.string())])
    position = pc.fill_null(pc.index_in(query, value_set=ids), -1)
    position = position.to_numpy(zero_copy_only=False)
    own = position[: len(ids)]
    duplicated = np.flatnonzero(own != np.arange(own.size))
    if duplicated.size:
        raise SnapshotError(
            f"{duplicated.size} {what} id(s) appear more than once on the same snapshot_date "
            f"(first: {ids[int(duplicated[0])].as_py()!r})"
        )
    position = position[len(ids) :]
    found_rows = np.full(position.size, -1, dtype=np.int64)
    found = position >= 0
    found_rows[found] = rows[position[found]]
    return found_rows


@dataclass
class ModelTree:
    """Edges child -> parent (row numbers), with their relation and where they were declared."""

    n_rows: int
    child: np.ndarray  # int64
    parent: np.ndarray  # int64
    relation: np.ndarray  # int8 code into RELATION_NAMES
    from_base_models: np.ndarray  # bool: declared in ``baseModels`` (else only in tags)

    def __post_init__(self):
        # CSR: the children of parent p are children_sorted[offsets[p]:offsets[p + 1]].
        order = np.argsort(self.parent, kind="stable")
        self.children_sorted = self.child[order]
        counts = np.bincount(self.parent, minlength=self.n_rows)
        self.offsets = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])

    @property
    def n_edges(self) -> int:
        return int(self.child.size)

    def children_of(self, frontier: np.ndarray) -> np.ndarray:
        """All children (with repeats) of the nodes in ``frontier``, in one gather."""
        starts = self.offsets[frontier]
        lengths = self.offsets[frontier + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        # Index of each output slot: start of its run + position inside the run.
        run_start = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return self.children_sorted[run_start + np.arange(total)]

    def descendants(self, sources: np.ndarray, max_depth: int | None = None) -> np.ndarray:
        """Generation of every node reachable from ``sources`` by one edge or more, else -1.

        The generation is the BFS level: the number of edges on the shortest path from the
        nearest source (1 = a direct child). A source that derives from another source is itself
        a descendant. Each node is expanded at most once, so cycles terminate.
        """
        level = np.full(self.n_rows, -1, dtype=np.int32)
        expanded = np.zeros(self.n_rows, dtype=bool)
        frontier = np.unique(np.asarray(sources, dtype=np.int64))
        expanded[frontier] = True
        depth = 0
        while frontier.size and (max_depth is None or depth < max_depth):
            depth += 1
            children = self.children_of(frontier)
            children = np.unique(children[level[children] < 0])
            level[children] = depth
            frontier = children[~expanded[children]]
            expanded[frontier] = True
        return level


def model_tree(table: pa.Table, is_model: np.ndarray) -> ModelTree:
    """Build the tree from ``baseModels`` and ``base_model:`` tags of a one-date snapshot table."""
    n = table.num_rows
    model_rows = np.flatnonzero(is_model).astype(np.int64)
    ids = table["id"].combine_chunks()
    model_ids = ids.take(pa.array(model_rows))

    children, parents, relations, declared = [], [], [], []

    # 1. baseModels: {"relation": ..., "models": [{"id": ...}, ...]}
    base = table["baseModels"].combine_chunks()
    models = pc.struct_field(base, "models")
    parent_ids = pc.struct_field(pc.list_flatten(models), "id")
    child_rows = pc.list_parent_indices(models).to_numpy(zero_copy_only=False).astype(np.int64)
    rel = relation_codes(pc.struct_field(base, "relation"))
    parents.append(parent_ids)
    children.append(child_rows)
    relations.append(rel[child_rows])
    declared.append(np.ones(child_rows.size, dtype=bool))

    # 2. tags: base_model:<relation>:<id> or base_model:<id>
    tags = table["tags"].combine_chunks()
    flat = pc.list_flatten(tags)
    tag_rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False).astype(np.int64)
    hit = pc.fill_null(pc.starts_with(flat, "base_model:"), False)
    flat = pc.utf8_slice_codeunits(flat.filter(hit), len("base_model:"))
    tag_rows = tag_rows[hit.to_numpy(zero_copy_only=False)]
    parts = pc.extract_regex(flat, rf"^(?:(?P<relation>{'|'.join(RELATIONS)}):)?(?P<id>.+)$")
    tag_parent = pc.struct_field(parts, "id")
    tag_relation = relation_codes(pc.struct_field(parts, "relation"))

    # Most tags repeat baseModels (the Hub derives both from the card's base_model): a tag naming
    # the child's first baseModels parent is that same edge. It is not looked up again; it only
    # lends its relation when baseModels gives none.
    flat_child = pc.list_parent_indices(models).to_numpy(zero_copy_only=False)
    starts = (
        np.flatnonzero(np.r_[True, flat_child[1:] != flat_child[:-1]]) if flat_child.size else []
    )
    first_parent = np.full(n, -1, dtype=np.int64)
    first_parent[flat_child[starts]] = starts
    position = first_parent[tag_rows]
    has_base = np.flatnonzero(position >= 0)
    same = pc.equal(
        parent_ids.take(pa.array(position[has_base])), tag_parent.take(pa.array(has_base))
    )
    repeated = has_base[pc.fill_null(same, False).to_numpy(zero_copy_only=False)]
    lend = repeated[tag_relation[repeated] != _RELATION_CODE[UNKNOWN_RELATION]]
    lend = lend[rel[tag_rows[lend]] == _RELATION_CODE[UNKNOWN_RELATION]]
    rel[tag_rows[lend]] = tag_relation[lend]
    relations[0] = rel[child_rows]
    kept = np.ones(tag_rows.size, dtype=bool)
    kept[repeated] = False

    parents.append(tag_parent.filter(pa.array(kept)))
    children.append(tag_rows[kept])
    relations.append(tag_relation[kept])
    declared.append(np.zeros(int(kept.sum()), dtype=bool))

    child = np.concatenate(children)
    # One hash table of the model ids for both kinds of declaration.
    parent = rows_of_ids(
        pa.concat_arrays([p.cast(pa.string()) for p in parents]), model_ids, model_rows, "model"
    )
    relation = np.concatenate(relations)
    from_base = np.concatenate(declared)
    keep = (parent >= 0) & is_model[child] & (child != parent)
    child, parent, relation, from_base = child[keep], parent[keep], relation[keep], from_base[keep]

    # One edge per (child, parent), keeping a declaration that names a relation, baseModels first.
    key = child * np.int64(n) + parent
    order = np.lexsort((~from_base, relation == _RELATION_CODE[UNKNOWN_RELATION], key))
    key_sorted = key[order]
    first_of_key = np.ones(order.size, dtype=bool)
    first_of_key[1:] = key_sorted[1:] != key_sorted[:-1]
    chosen = order[first_of_key]
    # An edge declared in baseModels and in a tag counts as "from baseModels" either way.
    group = np.cumsum(first_of_key) - 1
    in_base = np.bincount(group, weights=from_base[order], minlength=chosen.size) > 0
    return ModelTree(
        n_rows=n,
        child=child[chosen],
        parent=parent[chosen],
        relation=relation[chosen],
        from_base_models=in_base,
    )
