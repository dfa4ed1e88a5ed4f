"""Which Hub repos belong to which domain: rules, and a vectorized classifier over a snapshot.

A rule says "a repo whose <field> matches <value> belongs to <domain>[/<subdomain>]". Fields:

- ``task_category``: the dataset card's ``task_categories`` (on the Hub the tag ``task_categories:<value>``)
- ``tag``:           any tag, compared case-insensitively (the Hub has both ``LeRobot`` and ``lerobot``)
- ``pipeline_tag``:  a model's pipeline tag, e.g. ``robotics``
- ``library_name``:  a model's library, e.g. ``lerobot``
- ``architecture``:  a model's architecture, the ``model_type`` of its ``config.json``, which the Hub
                     also lists as a tag (``esm``, ``t5``); read from a ``model_type`` column when
                     the snapshot has one, else from the tags
- ``author``:        the author namespace (``org`` in ``org/name``), case-insensitive

A rule either includes (the default) or excludes. A repo belongs to a key (domain or sub-domain)
when one of the key's include rules matches, unless an exclude rule of the key or of its domain
matches too; an include rule marked ``overrides_exclusions`` (a specific signal, such as a science
library or architecture) keeps the repo in despite the exclusion. A repo belongs to a domain when it
belongs to the domain's own rules or to one of its sub-domains, so a repo can belong to several
domains (a chemistry robot dataset is in both). The rules below are the
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

from growth.core.rules import FIELDS, Rule  # noqa: F401 (FIELDS: re-exported)
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


def _author_values(table: pa.Table) -> pa.Array | None:
    """Each row's author namespace: the ``author`` column, else the namespace of the ``id``."""
    author = table["author"] if "author" in table.column_names else None
    if "id" in table.column_names:
        namespace = pc.list_element(
            pc.split_pattern(table["id"].cast(pa.string()), "/", max_splits=1), 0
        )
        if author is None:
            return namespace
        empty = pc.equal(pc.utf8_length(pc.fill_null(author.cast(pa.string()), "")), 0)
        return pc.if_else(empty, namespace, author.cast(pa.string()))
    return author


def _matches(table, rules, flat_tags, authors, n) -> np.ndarray:
    """Rows that match any of ``rules`` (all fields, case-insensitive)."""
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
    wanted_authors = {r.value.lower() for r in rules if r.field == "author"}
    if wanted_authors and authors is not None:
        hits = pc.is_in(pc.utf8_lower(authors), value_set=pa.array(sorted(wanted_authors)))
        mask |= pc.fill_null(hits, False).to_numpy(zero_copy_only=False)
    return mask


def classify(table: pa.Table, rules: Iterable[Rule] = DEFAULT_RULES) -> dict[str, np.ndarray]:
    """Boolean row masks, one per domain and sub-domain key, for a snapshot table.

    ``table`` needs the snapshot columns ``tags`` (list of strings), ``pipeline_tag``,
    ``library_name`` and ``author`` (or ``id``); missing columns simply match nothing. Work is
    vectorized: tags are flattened and lower-cased once for all rules.
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
    authors = _author_values(table) if any(r.field == "author" for r in rules) else None

    def match(selected):
        return (
            _matches(table, selected, flat_tags, authors, n)
            if selected
            else np.zeros(n, dtype=bool)
        )

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
