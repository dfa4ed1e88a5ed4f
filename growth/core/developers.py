"""Who published a repo: the one classifier of developer type and country, for growth and reuse.

The author of a repo is its ``author`` column, or the namespace of its id (``org`` in ``org/name``)
when the column is empty, which is how the Hub itself names repos.

The Hub does not say in a listing whether a namespace is a company, a lab or a person, nor where
it is based (``region:`` tags are *storage* regions, not origins). Every author gets one of
``DEVELOPER_TYPES`` (industry, academic, non-profit, government, independent) and a country
(ISO 3166-1 alpha-2, or ``unknown``), decided in this order, and the basis of each decision is
recorded (``BASES``) so pages can say how much rests on a guess:

1. ``table``: the organization directory: the admin-editable ``KnownOrganization`` table on the
   platform, ``SEED_ORGANIZATIONS`` below on the command line (the migration seeds the table
   with the same rows, so both agree until an admin edits it). It gives type, country and source;
2. ``author_type``: the snapshot's own ``author_type`` column, when ingestion provides one
   (``user`` = independent; ``organization``/``org``/``company``/``enterprise`` = an
   organization, typed by the name heuristic below, industry when it says nothing);
3. ``heuristic``: the namespace reads like an organization (whole words of the name split on
   ``-``, ``_``, ``.``): ``university``, ``institute``, ``lab``, ``college`` ... = academic;
   ``gov``, ``nasa``, ``national`` ... = government; ``foundation``, ``collective``,
   ``community`` ... = non-profit; ``ai``, ``labs``, ``inc``, ``corp``, ``tech``, ``research`` ...
   = industry. No country is guessed;
4. ``default``: everyone else is **independent**, country ``unknown``.

The heuristic misses labs with opaque names, so the independent share is an upper bound. Only
the table attributes countries: the unattributed (``unknown``) share is always reported.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growth.core.domains import author_namespace

DEVELOPER_TYPES = ("industry", "academic", "non-profit", "government", "independent")
INDEPENDENT = DEVELOPER_TYPES.index("independent")
BASES = ("table", "author_type", "heuristic", "default")
UNKNOWN_COUNTRY = "unknown"
ORGANIZATION_TYPES = ("organization", "org", "company", "enterprise")


@dataclass(frozen=True)
class Organization:
    """One row of the organization directory (``growth.models.KnownOrganization``)."""

    name: str
    developer_type: str
    country: str = ""  # ISO 3166-1 alpha-2, "" when not attributed
    source: str = ""

    def __post_init__(self):
        if self.developer_type not in DEVELOPER_TYPES:
            raise ValueError(
                f"organization {self.name!r}: developer type {self.developer_type!r} is not "
                f"one of {DEVELOPER_TYPES}"
            )
        if self.country and (len(self.country) != 2 or not self.country.isalpha()):
            raise ValueError(
                f"organization {self.name!r}: country {self.country!r} is not a two-letter "
                "ISO 3166-1 code"
            )


_SEED_SOURCE = "seed list: headquarters of the organization (public company/institution pages)"
# The namespaces that carry most Hub downloads, plus the robotics and science ones the pages
# feature. (namespace, type, country). A snapshot in time, not a judgement; editable in the admin.
_SEED = """
Qwen industry CN; Alibaba-NLP industry CN; deepseek-ai industry CN; baidu industry CN;
ByteDance industry CN; ByteDance-Seed industry CN; tencent industry CN; THUDM academic CN;
zai-org industry CN; moonshotai industry CN; MiniMaxAI industry CN; 01-ai industry CN;
internlm academic CN; BAAI non-profit CN; openbmb academic CN; OpenGVLab academic CN;
google industry US; google-bert industry US; google-t5 industry US; facebook industry US;
FacebookAI industry US; meta-llama industry US; microsoft industry US; openai industry US;
openai-community industry US; nvidia industry US; apple industry US; amazon industry US;
ibm-granite industry US; ibm-research industry US; intel industry US; databricks industry US;
Salesforce industry US; unsloth industry US; huggingface industry US; HuggingFaceTB industry US;
HuggingFaceM4 industry US; lerobot industry US; sentence-transformers industry US;
allenai non-profit US; EleutherAI non-profit US; bigscience non-profit FR; bigcode non-profit US;
stanford-crfm academic US; physical-intelligence industry US; toyota-research industry US;
openvla academic US; berkeley-humanoid academic US; arcinstitute non-profit US;
NASA-IMPACT government US; ibm-nasa-geospatial industry US; ncbi government US;
google-deepmind industry GB; stabilityai industry GB; InstaDeepAI industry GB;
EMBL-EBI academic GB; mistralai industry FR; pollen-robotics industry FR;
black-forest-labs industry DE; CohereLabs industry CA; CohereForAI industry CA;
tiiuae government AE; upstage industry KR; LGAI-EXAONE industry KR; unitreerobotics industry CN;
sarvamai industry IN; IPEC-COMMUNITY academic DE; polymathic-ai non-profit US;
hugging-science non-profit US; mit-han-lab academic US; cmu-lti academic US
"""
SEED_ORGANIZATIONS: tuple[Organization, ...] = tuple(
    Organization(name, kind, country, _SEED_SOURCE)
    for name, kind, country in (entry.split() for entry in _SEED.replace("\n", " ").split(";"))
)

# Whole words of a namespace (split on - _ .) that say what kind of organization it is.
_WORDS = {
    "academic": r"university|univ|uni|institute|college|school|lab|academy|laboratory|edu",
    "government": r"gov|government|nasa|national|ministry|agency",
    "non-profit": r"foundation|collective|consortium|community|nonprofit|ngo|opensource",
    "industry": r"ai|labs|research|inc|corp|ltd|gmbh|tech|technologies|hq|official|"
    r"robotics|team|group|company|co",
}
HEURISTIC_PATTERNS = {
    kind: rf"(^|[-_.])({words})($|[-_.])" + ("|university|institute|laborator" if kind == "academic" else "")
    for kind, words in _WORDS.items()
}  # fmt: skip


def directory_of(organizations: Iterable[Organization]) -> dict[str, Organization]:
    """Organizations by lower-cased namespace (names are compared case-insensitively)."""
    return {org.name.lower(): org for org in organizations}


SEED_DIRECTORY = directory_of(SEED_ORGANIZATIONS)


@dataclass
class Developers:
    """Per row of a snapshot table: developer type, country and the basis of the decision."""

    author: np.ndarray  # author code per row (index into ``names``)
    names: pa.Array  # distinct author names
    type_code: np.ndarray  # int8 index into DEVELOPER_TYPES, per row
    country_code: np.ndarray  # int32 index into country_names, per row (0 = "unknown")
    country_names: list[str]
    basis: np.ndarray  # int8 index into BASES, per row

    @property
    def is_organization(self) -> np.ndarray:
        return self.type_code != INDEPENDENT

    @property
    def country(self) -> np.ndarray:
        """Country of each row as strings ("unknown" when unattributed)."""
        return np.array(self.country_names, dtype=object)[self.country_code]


def _heuristic_types(lowered: pa.Array) -> np.ndarray:
    """Type code per name from the name words; INDEPENDENT where nothing matches. The first
    matching kind in ``HEURISTIC_PATTERNS`` order wins (academic before industry: a
    'university-ai-lab' is academic)."""
    codes = np.full(len(lowered), INDEPENDENT, dtype=np.int8)
    for kind, pattern in reversed(list(HEURISTIC_PATTERNS.items())):
        hit = pc.fill_null(pc.match_substring_regex(lowered, pattern), False)
        codes[hit.to_numpy(zero_copy_only=False)] = DEVELOPER_TYPES.index(kind)
    return codes


def classify_developers(
    table: pa.Table, directory: Mapping[str, Organization] | None = None
) -> Developers:
    """Classify every row's author (see the module docstring for the order of the rules).

    ``directory`` maps lower-cased namespaces to ``Organization`` rows; the seed list when None.
    Work is per distinct author (a dictionary encoding), then gathered to rows.
    """
    directory = SEED_DIRECTORY if directory is None else directory
    encoded = pc.dictionary_encode(author_namespace(table))
    codes = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    names = encoded.dictionary
    if len(names) == 0:
        names = pa.array([""], pa.string())
    lowered = pc.utf8_lower(names)
    # One hash lookup of every distinct author in the directory (no Python loop over authors).
    orgs = list(directory.values())
    country_names = [UNKNOWN_COUNTRY, *sorted({o.country.upper() for o in orgs if o.country})]
    org_type = np.array([DEVELOPER_TYPES.index(o.developer_type) for o in orgs], dtype=np.int8)
    org_country = np.array(
        [country_names.index(o.country.upper()) if o.country else 0 for o in orgs], dtype=np.int32
    )
    position = pc.index_in(lowered, value_set=pa.array(list(directory), pa.string()))
    position = pc.fill_null(position, -1).to_numpy(zero_copy_only=False)
    in_table = position >= 0
    name_type = np.full(len(names), INDEPENDENT, dtype=np.int8)
    name_country = np.zeros(len(names), dtype=np.int32)
    name_type[in_table] = org_type[position[in_table]]
    name_country[in_table] = org_country[position[in_table]]
    guessed = _heuristic_types(lowered)
    heuristic = ~in_table & (guessed != INDEPENDENT)
    name_type[heuristic] = guessed[heuristic]
    name_basis = np.where(
        in_table, BASES.index("table"), np.where(heuristic, BASES.index("heuristic"), 3)
    ).astype(np.int8)

    type_code = name_type[codes]
    basis = name_basis[codes]
    if "author_type" in table.column_names:
        declared = pc.utf8_lower(table["author_type"].cast(pa.string()))
        is_declared = pc.is_valid(declared).to_numpy(zero_copy_only=False)
        says_org = pc.fill_null(pc.is_in(declared, pa.array(ORGANIZATION_TYPES)), False)
        says_org = says_org.to_numpy(zero_copy_only=False)
        # The table still wins; the column overrides only the heuristic and the default.
        override = is_declared & ~in_table[codes]
        org_type = np.where(guessed[codes] != INDEPENDENT, guessed[codes], 0).astype(np.int8)
        type_code = np.where(override, np.where(says_org, org_type, INDEPENDENT), type_code)
        basis = np.where(override, BASES.index("author_type"), basis).astype(np.int8)
    return Developers(
        author=codes,
        names=names,
        type_code=type_code.astype(np.int8),
        country_code=name_country[codes],
        country_names=country_names,
        basis=basis,
    )


def code_shares(
    codes: np.ndarray, weights: np.ndarray, names: list[str], keep: Iterable[int] = ()
) -> dict | None:
    """Share of ``weights`` per code (``names[code]``), for the codes present plus ``keep``;
    None when the total is 0. One ``bincount``: fast on millions of rows."""
    total = float(np.sum(weights, dtype=np.float64))
    if total <= 0:
        return None
    sums = np.bincount(codes, weights=weights.astype(np.float64), minlength=len(names))
    present = set(np.unique(codes).tolist()) | set(keep)
    return {names[c]: float(sums[c]) / total for c in sorted(present, key=lambda c: names[c])}


def shares(groups: np.ndarray, weights: np.ndarray, names: Iterable[str]) -> dict | None:
    """Share of ``weights`` per group name (every name present, summing to 1), None when the
    total is 0. ``groups`` holds a name (or a code into ``names``) per row."""
    names = list(names)
    total = float(np.sum(weights, dtype=np.float64))
    if total <= 0:
        return None
    result = {}
    for position, name in enumerate(names):
        selected = groups == (name if groups.dtype == object else position)
        result[name] = float(np.sum(weights[selected], dtype=np.float64)) / total
    return result
