"""Who published a repo, and whether that author is an organization or an independent developer.

The author of a repo is its ``author`` column, or the namespace of its id (``org`` in ``org/name``)
when the column is empty, which is how the Hub itself names repos.

The Hub does not say in a listing whether a namespace is a company, a lab or a person. The
classification is therefore, in this order:

1. an ``author_type`` column in the snapshot, when ingestion provides one (``organization`` /
   ``org`` / ``company`` count as organizations, ``user`` as independent);
2. a curated list of organizations (``KNOWN_ORGANIZATIONS``): AI labs, big tech, universities
   and research institutes that publish on the Hub;
3. a name heuristic (``ORGANIZATION_PATTERN``): namespaces that read like an organization
   (``-ai``, ``labs``, ``research``, ``university``, ``institute``, ``team``, ``inc``, ...).

Everything else is independent. The heuristic errs towards "independent" (a lab with an opaque
name is missed), so the independent share is an upper bound; pass ``organizations=`` to extend
the list.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_KNOWN = """
    01-ai ai21labs alibaba-nlp allenai amazon anthropic apple baai baidu bigcode bigscience
    black-forest-labs bytedance bytedance-seed cerebras cohereforai coherelabs databricks
    deepmind deepseek-ai eleutherai facebook google google-bert google-t5 ibm ibm-granite
    ibm-research intel internlm jinaai lerobot llava-hf meta-llama microsoft minimaxai
    mistralai moonshotai mosaicml nousresearch nvidia openai openbmb openai-community
    physical-intelligence qwen salesforce sentence-transformers snowflake stabilityai
    stanford-crfm teknium tencent thudm tiiuae togethercomputer unsloth upstage xai-org zai-org
    huggingface huggingfacetb huggingfacem4 hf-internal-testing facebookresearch
    instadeepai arcinstitute chandar-lab ncbi nasa-impact ibm-nasa-geospatial microsoft-research
    toyota-research-institute nvidia-cosmos berkeley-nest stanford-oval mit-han-lab cmu-lti
"""
KNOWN_ORGANIZATIONS = frozenset(name.lower() for name in _KNOWN.split())

# A whole word of the namespace (words split on - _ .), or one of a few unambiguous stems.
ORGANIZATION_PATTERN = (
    r"(^|[-_.])(ai|lab|labs|research|university|univ|institute|team|inc|corp|org|foundation|"
    r"group|tech|technologies|robotics|collective|consortium|hq|official)($|[-_.])"
    r"|university|institute|laborator"
)

ORGANIZATION_TYPES = ("organization", "org", "company", "enterprise")


def author_column(table: pa.Table) -> pa.ChunkedArray | pa.Array:
    """The ``author`` column with empty values replaced by the namespace of the id."""
    ids = table["id"]
    namespace = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    author = table["author"] if "author" in table.column_names else pa.nulls(len(ids), pa.string())
    author = pc.if_else(pc.equal(pc.utf8_length(pc.fill_null(author, "")), 0), namespace, author)
    return author


def encode_authors(table: pa.Table) -> tuple[np.ndarray, pa.Array]:
    """Integer code of each row's author, and the distinct author names (index = code)."""
    encoded = pc.dictionary_encode(author_column(table)).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def organization_mask(
    names: pa.Array, organizations: frozenset[str] = KNOWN_ORGANIZATIONS
) -> np.ndarray:
    """True for each author name classified as an organization (list, then name pattern)."""
    lowered = pc.utf8_lower(names)
    listed = pc.is_in(lowered, value_set=pa.array(sorted(organizations), pa.string()))
    patterned = pc.match_substring_regex(lowered, ORGANIZATION_PATTERN)
    return pc.fill_null(pc.or_(listed, patterned), False).to_numpy(zero_copy_only=False)


def organization_rows(
    table: pa.Table,
    author_codes: np.ndarray,
    author_names: pa.Array,
    organizations: frozenset[str] = KNOWN_ORGANIZATIONS,
) -> np.ndarray:
    """True for rows published by an organization (see the module docstring for the rule)."""
    by_name = organization_mask(author_names, organizations)[author_codes]
    if "author_type" not in table.column_names:
        return by_name
    kind = pc.utf8_lower(table["author_type"].cast(pa.string()))
    declared_org = pc.is_in(kind, value_set=pa.array(ORGANIZATION_TYPES))
    declared_org = pc.fill_null(declared_org, False).to_numpy(zero_copy_only=False)
    declared = pc.is_valid(kind).to_numpy(zero_copy_only=False)
    return np.where(declared, declared_org, by_name)
