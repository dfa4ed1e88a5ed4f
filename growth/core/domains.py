"""Which Hub repos belong to which domain: rules, and a vectorized classifier over a snapshot.

A rule says "a repo whose <field> matches <value> belongs to <domain>[/<subdomain>]". Fields:

- ``task_category``: the dataset card's ``task_categories`` (on the Hub the tag ``task_categories:<value>``)
- ``tag``:           any tag, compared case-insensitively (the Hub has both ``LeRobot`` and ``lerobot``)
- ``pipeline_tag``:  a model's pipeline tag, e.g. ``robotics``
- ``library_name``:  a model's library, e.g. ``lerobot``
- ``architecture``:  a model's architecture, the ``model_type`` of its ``config.json``, which the Hub
                     also lists as a tag (``esm``, ``t5``); read from a ``model_type`` column when
                     the snapshot has one, else from the tags
- ``author``:        the author namespace (the ``author`` column, else the id's namespace),
                     case-insensitive, e.g. ``arcinstitute``: "everything this organization
                     publishes" (the AI-for-science "author organizations" rules use it)
- ``lineage``:       the model tree (``baseModels`` and ``base_model:`` tags): a repo matches
                     when it *is* or *descends from* a root. The value names the roots: a repo
                     id (``Qwen/Qwen2.5-7B``) or a whole namespace (``Qwen``: every model whose
                     base-model tree reaches a model published by Qwen). Descendants are found
                     transitively (fine-tunes of quantizations of ...), per snapshot date.

A rule either includes (the default) or excludes. A repo belongs to a key (domain or sub-domain)
when one of the key's include rules matches, unless an exclude rule of the key or of its domain
matches too; an include rule marked ``overrides_exclusions`` (a specific signal, such as a science
library or architecture) keeps the repo in despite the exclusions. A repo belongs to a domain when
it belongs to the domain's own rules or to one of its sub-domains, so a repo can belong to several
domains (a chemistry robot dataset is in both). ``Rule`` itself lives in ``growth.core.rules`` (so
``growth.core.science`` can define rules that this module runs); it is re-exported here. The rules below are the
defaults; ``growth.models.DomainRule`` rows (editable in the admin) replace them when present.
Counts derived from the masks are documented where they are shown (per period, or cumulative).

This module is plain Python + pyarrow + numpy so the command-line metrics can run without a
database.
"""

import hashlib
import json
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growth.core.rules import FIELDS, RESERVED_DOMAIN, Rule  # noqa: F401 (re-exported)
from growth.core.science import SCIENCE_RULES

DEFAULT_RULES: tuple[Rule, ...] = (
    # Robotics: what LeRobot writes on every dataset and policy card, plus the Hub's own category.
    Rule("robotics", "", "task_category", "robotics", "dataset card task_categories: robotics"),
    Rule("robotics", "", "pipeline_tag", "robotics", "model pipeline_tag: robotics"),
    Rule("robotics", "", "tag", "robotics", "tag 'robotics'"),
    Rule("robotics", "lerobot", "tag", "lerobot", "tag 'LeRobot' (any case), set by lerobot's dataset card"),
    Rule("robotics", "lerobot", "library_name", "lerobot", "model library_name: lerobot"),
    # AI for science: growth/core/science.py (taxonomy, rules with their reasons, exclusions).
    *SCIENCE_RULES,
)  # fmt: skip


def domain_keys(rules: Iterable[Rule]) -> list[str]:
    """Every domain and sub-domain key the rules define, parents first (``robotics``, ``robotics/lerobot``)."""
    keys: dict[str, None] = {}
    for rule in rules:
        keys.setdefault(rule.domain)
        if rule.subdomain:
            keys.setdefault(rule.key)
    return sorted(keys, key=lambda key: (key.split("/")[0], "/" in key, key))


class _FlatTags:
    """A snapshot's lower-cased tags flattened and dictionary-encoded once, for every rule.

    Matching a set of tags is then a lookup in the (small) dictionary of distinct tags and a
    numpy gather, instead of a pass over every tag of every repo per domain.
    """

    def __init__(self, tags: pa.ListArray):
        flat = pc.list_flatten(tags)
        self.parents = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
        encoded = pc.dictionary_encode(flat)
        self.distinct = encoded.dictionary
        self.codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)

    def rows_with_any(self, wanted: set[str], n_rows: int) -> np.ndarray:
        """Rows whose list of (already lower-cased) tags contains any of ``wanted``."""
        mask = np.zeros(n_rows, dtype=bool)
        if not wanted or len(self.codes) == 0:
            return mask
        known = pc.fill_null(pc.is_in(self.distinct, value_set=pa.array(sorted(wanted))), False)
        known = np.append(known.to_numpy(zero_copy_only=False), False)  # code -1: a null tag
        mask[self.parents[known[self.codes]]] = True
        return mask


def _column_in(table: pa.Table, column: str, wanted: set[str]) -> np.ndarray:
    if column not in table.column_names or not wanted:
        return np.zeros(table.num_rows, dtype=bool)
    values = pc.utf8_lower(table[column].cast(pa.string()))
    hits = pc.is_in(values, value_set=pa.array(sorted(wanted)))
    return pc.fill_null(hits, False).to_numpy(zero_copy_only=False)


def _matches(table, rules, flat_tags, namespaces, n) -> np.ndarray:
    """Rows that match any of ``rules`` (every field, case-insensitive)."""
    wanted_tags = {r.value.lower() for r in rules if r.field == "tag"}
    wanted_tags |= {
        f"task_categories:{r.value.lower()}" for r in rules if r.field == "task_category"
    }
    architectures = {r.value.lower() for r in rules if r.field == "architecture"}
    if "model_type" not in table.column_names:
        wanted_tags |= architectures  # the Hub lists config.json's model_type among the tags
    mask = (
        flat_tags.rows_with_any(wanted_tags, n)
        if flat_tags is not None
        else np.zeros(n, dtype=bool)
    )
    mask |= _column_in(table, "model_type", architectures)
    mask |= _column_in(
        table, "pipeline_tag", {r.value.lower() for r in rules if r.field == "pipeline_tag"}
    )
    mask |= _column_in(
        table, "library_name", {r.value.lower() for r in rules if r.field == "library_name"}
    )
    authors = {r.value.lower() for r in rules if r.field == "author"}
    if authors:
        hits = pc.is_in(namespaces(), pa.array(sorted(authors)))
        mask |= pc.fill_null(hits, False).to_numpy(zero_copy_only=False)
    roots = {r.value.lower() for r in rules if r.field == "lineage"}
    if roots:
        mask |= lineage_mask(table, roots)
    return mask


def classify(table: pa.Table, rules: Iterable[Rule] = DEFAULT_RULES) -> dict[str, np.ndarray]:
    """Boolean row masks, one per domain and sub-domain key, for a snapshot table.

    ``table`` needs the snapshot columns ``tags`` (list of strings), ``pipeline_tag`` and
    ``library_name`` (and ``id``/``author`` for author rules, ``repo_type``/``baseModels`` for
    lineage rules); missing columns simply match nothing. Work is vectorized: tags are
    flattened and lower-cased once for all rules. ``table`` may hold several snapshot dates:
    lineage is then resolved date by date (a tree is one day's view). Exclusions: see the
    module docstring.
    """
    rules = list(rules)
    n = table.num_rows
    lowered = None
    if "tags" in table.column_names:
        tags = table["tags"].combine_chunks().cast(pa.list_(pa.string()))
        lowered = pa.ListArray.from_arrays(
            tags.offsets, pc.utf8_lower(tags.values), mask=tags.is_null()
        )
    flat_tags = _FlatTags(lowered) if lowered is not None else None
    cached_namespaces = []

    def namespaces():
        if not cached_namespaces:
            cached_namespaces.append(pc.utf8_lower(author_namespace(table)))
        return cached_namespaces[0]

    def match(selected):
        if not selected:
            return np.zeros(n, dtype=bool)
        return _matches(table, selected, flat_tags, namespaces, n)

    domain_exclusions = {
        domain: match([r for r in rules if r.domain == domain and not r.subdomain and r.exclude])
        for domain in {r.domain for r in rules}
    }
    by_rule_key: dict[str, np.ndarray] = {}
    for key in {rule.key for rule in rules}:
        own = [rule for rule in rules if rule.key == key]
        included = match([r for r in own if not r.exclude])
        excluded = domain_exclusions[own[0].domain].copy()
        if "/" in key:
            excluded |= match([r for r in own if r.exclude])
        kept_anyway = match([r for r in own if r.overrides_exclusions])
        by_rule_key[key] = included & (~excluded | kept_anyway)

    masks: dict[str, np.ndarray] = {}
    for key in domain_keys(rules):
        if "/" in key:
            masks[key] = by_rule_key[key]
        else:  # a domain holds its own rules' repos and every sub-domain's
            mask = np.zeros(n, dtype=bool)
            for rule_key, rule_mask in by_rule_key.items():
                if rule_key == key or rule_key.startswith(key + "/"):
                    mask |= rule_mask
            masks[key] = mask
    return masks


def rules_digest(rules: Iterable[Rule]) -> str:
    """A short fingerprint of a rule set: equal rule sets (in any order) have equal digests.

    Stored with every snapshot's aggregates, so a page can say which rules its figures come
    from and whether they are current.
    """
    canonical = sorted(
        (r.domain, r.subdomain, r.field, r.value.lower(), r.exclude, r.overrides_exclusions)
        for r in rules
    )
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:12]


def author_namespace(table: pa.Table) -> pa.Array:
    """Each row's author: the ``author`` column, or the namespace of the id when it is empty
    (how the Hub itself names repos: ``org`` in ``org/name``)."""
    ids = pc.fill_null(table["id"].cast(pa.string()), "") if "id" in table.column_names else None
    if ids is None:
        return pa.array([""] * table.num_rows, pa.string())
    namespace = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    if "author" not in table.column_names:
        return namespace.combine_chunks() if hasattr(namespace, "combine_chunks") else namespace
    author = pc.fill_null(table["author"].cast(pa.string()), "")
    chosen = pc.if_else(pc.equal(pc.utf8_length(author), 0), namespace, author)
    return chosen.combine_chunks() if hasattr(chosen, "combine_chunks") else chosen


def lineage_mask(table: pa.Table, roots: set[str]) -> np.ndarray:
    """Rows that are, or descend from, a root: a model whose lower-cased id or namespace is in
    ``roots``. Date by date when ``table`` holds several snapshot dates."""
    n = table.num_rows
    mask = np.zeros(n, dtype=bool)
    needed = {"id", "repo_type", "baseModels", "tags"}
    if n == 0 or not roots or not needed <= set(table.column_names):
        return mask
    # Imported here: the tree lives with the reuse computation, which imports this module.
    from growth.core.reuse.graph import model_tree

    if (
        "snapshot_date" in table.column_names
        and pc.count_distinct(table["snapshot_date"]).as_py() > 1
    ):
        days = table["snapshot_date"].cast(pa.int32()).to_numpy(zero_copy_only=False)
        for day in np.unique(days):
            rows = np.flatnonzero(days == day)
            mask[rows] = lineage_mask(table.take(pa.array(rows)), roots)
        return mask
    is_model = pc.fill_null(pc.equal(table["repo_type"], "model"), False).to_numpy(
        zero_copy_only=False
    )
    wanted = pa.array(sorted(roots), pa.string())
    ids = pc.utf8_lower(pc.fill_null(table["id"].cast(pa.string()), ""))
    by_id = pc.fill_null(pc.is_in(ids, wanted), False).to_numpy(zero_copy_only=False)
    by_namespace = pc.fill_null(
        pc.is_in(pc.utf8_lower(author_namespace(table)), wanted), False
    ).to_numpy(zero_copy_only=False)
    sources = np.flatnonzero(is_model & (by_id | by_namespace))
    mask[sources] = True
    if sources.size:
        tree = model_tree(table, is_model)
        mask |= tree.descendants(sources) > 0
    return mask
