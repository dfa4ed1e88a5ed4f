"""The model tree: edges from baseModels and tags, and cycle-safe vectorized walks."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from growth.core.reuse.graph import RELATION_NAMES, ModelTree, model_tree
from tests.growth.reuse_snapshots import repo, table


def tree_of(n, edges):
    child = np.array([c for c, _ in edges], dtype=np.int64)
    parent = np.array([p for _, p in edges], dtype=np.int64)
    return ModelTree(
        n_rows=n,
        child=child,
        parent=parent,
        relation=np.zeros(child.size, dtype=np.int8),
        from_base_models=np.ones(child.size, dtype=bool),
    )


def test_descendants_generations_and_merges():
    # 0 <- 1 <- 2 <- 3, and 4 merges 0 and 2 (two parents), 5 is unrelated
    tree = tree_of(6, [(1, 0), (2, 1), (3, 2), (4, 0), (4, 2)])
    level = tree.descendants(np.array([0]))
    assert level.tolist() == [-1, 1, 2, 3, 1, -1]  # shortest distance; 4 counted once
    assert sorted(tree.children_of(np.array([0, 2])).tolist()) == [1, 3, 4, 4]


def test_descendants_terminate_on_cycles():
    tree = tree_of(3, [(1, 0), (2, 1), (0, 2)])  # 0 -> 1 -> 2 -> 0
    level = tree.descendants(np.array([0]))
    assert level.tolist() == [3, 1, 2]  # the source is its own descendant through the cycle


def test_descendants_of_a_leaf_are_empty():
    tree = tree_of(3, [(1, 0), (2, 1)])
    assert (tree.descendants(np.array([2])) < 0).all()


def test_edges_from_base_models_and_tags():
    rows = [
        repo("org/base"),
        repo("a/ft", parents=["org/base"], relation="finetune"),
        repo("b/q", tags=["base_model:quantized:a/ft"]),  # only in tags
        repo("c/merge", parents=["org/base", "a/ft"], relation="merge"),
        repo("d/bare", tags=["base_model:org/base"]),  # bare form: relation unspecified
        repo(
            "e/both", parents=["org/base"], relation="adapter", tags=["base_model:adapter:org/base"]
        ),
        repo("f/missing-parent", parents=["gone/model"]),  # parent not in the snapshot
        repo("org/base", "dataset"),  # a dataset with a model's id is not a parent
        repo("g/self", parents=["g/self"]),  # a self-loop is dropped
        # baseModels without a relation: the tag naming the same parent lends its relation
        repo(
            "h/norel", parents=["org/base"], relation=None, tags=["base_model:quantized:org/base"]
        ),
        # a tag naming another parent than baseModels is a second edge
        repo("i/two", parents=["org/base"], relation="finetune", tags=["base_model:adapter:a/ft"]),
    ]
    t = table(rows)
    is_model = np.array([r["repo_type"] == "model" for r in rows])
    tree = model_tree(t, is_model)
    edges = {
        (rows[c]["id"], rows[p]["id"], RELATION_NAMES[r], bool(b))
        for c, p, r, b in zip(
            tree.child, tree.parent, tree.relation, tree.from_base_models, strict=True
        )
    }
    assert edges == {
        ("a/ft", "org/base", "finetune", True),
        ("b/q", "a/ft", "quantized", False),
        ("c/merge", "org/base", "merge", True),
        ("c/merge", "a/ft", "merge", True),
        ("d/bare", "org/base", "unspecified", False),
        ("e/both", "org/base", "adapter", True),  # declared twice, one edge
        ("h/norel", "org/base", "quantized", True),
        ("i/two", "org/base", "finetune", True),
        ("i/two", "a/ft", "adapter", False),
    }


def naive_reachable(n, edges, sources):
    children = {i: [] for i in range(n)}
    for c, p in edges:
        children[p].append(c)
    seen, stack = set(), list(sources)
    while stack:
        node = stack.pop()
        for c in children[node]:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


graphs = st.integers(min_value=1, max_value=25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=4),
    )
)


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(graphs)
def test_frontier_expansion_reaches_exactly_what_a_plain_walk_reaches(graph):
    n, edges, sources = graph
    edges = sorted({(c, p) for c, p in edges})
    level = tree_of(n, edges).descendants(np.array(sources))
    assert set(np.flatnonzero(level > 0).tolist()) == naive_reachable(n, edges, sources)


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(graphs)
def test_a_leaf_has_no_descendants(graph):
    n, edges, _ = graph
    parents = {p for _, p in edges}
    leaves = [i for i in range(n) if i not in parents]
    tree = tree_of(n, edges)
    for leaf in leaves:
        assert not (tree.descendants(np.array([leaf])) > 0).any()
