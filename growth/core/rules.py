"""A domain rule: "a repo whose <field> matches <value> belongs to (or is excluded from) a key".

Fields are described in ``growth.core.domains``.

Plain Python; ``growth.core.domains`` runs rules over a snapshot, ``growth.core.science`` defines science's.
"""

from dataclasses import dataclass

FIELDS = (
    "task_category",
    "tag",
    "pipeline_tag",
    "library_name",
    "architecture",
    "author",
    "lineage",
)

RESERVED_DOMAIN = "hub"  # every repo of a snapshot; pages and metrics add it beside the domains


@dataclass(frozen=True)
class Rule:
    domain: str
    subdomain: str  # "" for a rule that places a repo in the domain itself
    field: str
    value: str
    description: str = ""  # the reason for the rule, shown next to it on every page
    exclude: bool = False  # an exclusion: matching repos are taken out of the key
    overrides_exclusions: bool = False  # a specific signal: the key's exclusions do not apply

    def __post_init__(self):
        if self.field not in FIELDS:
            raise ValueError(f"rule field {self.field!r} is not one of {FIELDS}")
        if self.exclude and self.overrides_exclusions:
            raise ValueError("an exclusion rule cannot also override exclusions")
        if not str(self.value).strip():
            raise ValueError("a rule needs a value to match")
        if not self.domain or "/" in self.domain or "/" in self.subdomain:
            raise ValueError("domain and subdomain are non-empty names without '/'")
        if self.domain.lower() == RESERVED_DOMAIN:
            raise ValueError(f"{RESERVED_DOMAIN!r} is the scope of every repo, not a rule domain")

    @property
    def key(self) -> str:
        return f"{self.domain}/{self.subdomain}" if self.subdomain else self.domain
