"""Growth data: domain rules, dated Hub snapshots, the repo rows in them, and stored aggregates.

The Hub keeps no history, so every trend comes from our own dated snapshots:

- ``Snapshot``          one day's view of the Hub (live crawl, imported file, or simulated)
- ``HubRepo``           one row per repo in a snapshot (bulk-loaded: COPY / executemany)
- ``IngestRun``         progress of a live crawl, so an interrupted run resumes where it stopped
- ``MonthlyCreation``   repos created per month, per snapshot x domain x repo type (the charts)
- ``DomainStat``        per snapshot x domain x repo type: totals, downloads between snapshots
- ``CategoryRank``      every task category's yearly count and rank (the "rank 44 -> 1" chart)
- ``TopAuthor``         top organizations and independent authors per domain
- ``ReleaseCell``       the release heatmap: models and datasets per organization and month
- ``RuleSetVersion``    every distinct set of active rules, numbered; a snapshot's aggregates
                        record the version they were computed with
"""

from django.db import models

from growth.core.developers import DEVELOPER_TYPES
from growth.core.domains import FIELDS

REPO_TYPES = (("dataset", "dataset"), ("model", "model"))
# The whole Hub, stored alongside the domains so shares are one division away.
HUB_KEY = "_hub"


class DomainRule(models.Model):
    """One row of ``growth.core.domains.Rule``, editable in the admin. Active rows replace the defaults."""

    domain = models.SlugField(max_length=64)
    subdomain = models.SlugField(max_length=64, blank=True, default="")
    field = models.CharField(max_length=20, choices=[(f, f) for f in FIELDS])
    value = models.CharField(max_length=200)
    description = models.CharField(
        "reason", max_length=300, blank=True, default="", help_text="why this rule: shown on pages"
    )
    exclude = models.BooleanField(
        default=False, help_text="an exclusion: matching repos are taken out of the (sub-)domain"
    )
    overrides_exclusions = models.BooleanField(
        default=False,
        help_text="a specific signal: keeps the repo in even when an exclusion matches",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["domain", "subdomain", "field", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "subdomain", "field", "value"], name="growth_rule_unique"
            )
        ]

    def __str__(self):
        key = f"{self.domain}/{self.subdomain}" if self.subdomain else self.domain
        verb = "excludes" if self.exclude else "="
        return f"{key}: {self.field} {verb} {self.value}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from growth.core.rules import Rule

        try:  # the engine's own checks, so the admin refuses what the engine would refuse
            Rule(self.domain, self.subdomain, self.field, self.value, self.description,
                 self.exclude, self.overrides_exclusions)  # fmt: skip
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class RuleSetVersion(models.Model):
    """One distinct set of active rules. Its number is what pages show ("rules v3")."""

    number = models.AutoField(primary_key=True)
    digest = models.CharField(max_length=12, unique=True)  # growth.core.domains.rules_digest
    rules = models.JSONField(default=list)  # the rules as they were, for the record
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"rules v{self.number} ({self.digest})"


class KnownOrganization(models.Model):
    """The organization directory: a Hub namespace, its developer type and country of origin.

    The Hub listing says neither whether an author is a company, a lab or a person, nor where it
    is based, so this admin-editable table says it, with its source. It is the first rule of
    the one developer classifier (``growth.core.developers``) that growth and reuse both use;
    namespaces not listed fall back to a recorded name heuristic, then to "independent".
    """

    name = models.CharField(max_length=200, unique=True, help_text="Hub namespace (any case)")
    kind = models.CharField(
        "developer type",
        max_length=40,
        choices=[(t, t) for t in DEVELOPER_TYPES],
        default="industry",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        help_text="Country of origin, ISO 3166-1 alpha-2 (e.g. CN, US); blank when unknown. "
        "Not the Hub's region: tags, which are storage regions.",
    )
    source = models.CharField(
        max_length=300, blank=True, default="", help_text="Where the type and country come from"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        self.country = self.country.strip().upper()
        try:
            self.as_organization()
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def as_organization(self):
        """This row as the core classifier's ``Organization`` (raises ValueError if invalid)."""
        from growth.core.developers import Organization

        return Organization(self.name, self.kind, self.country.upper(), self.source)


class Snapshot(models.Model):
    class Source(models.TextChoices):
        LIVE = "live", "live Hub crawl"
        IMPORT = "import", "imported snapshot file"
        SIMULATED = "simulated", "simulated (synthetic data)"

    class Status(models.TextChoices):
        LOADING = "loading"
        READY = "ready"
        FAILED = "failed"

    taken_on = models.DateField()
    source = models.CharField(max_length=20, choices=Source.choices)
    # Synthetic data is labelled wherever it is shown (pages, CSV, JSON, API).
    simulated = models.BooleanField(default=False)
    label = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LOADING)
    models_count = models.BigIntegerField(default=0)
    datasets_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    aggregated_at = models.DateTimeField(null=True, blank=True)
    # Repo rows deleted to save space (prune_hub_rows); the stored aggregates remain.
    rows_pruned = models.BooleanField(default=False)
    # The rules the stored aggregates were computed with (null: before rules were versioned).
    rules_version = models.ForeignKey(
        RuleSetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    missing_columns = models.JSONField(
        default=list,
        blank=True,
        help_text="Snapshot columns the listing lacked (stored empty; metrics needing them are "
        "'not available')",
    )

    class Meta:
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["taken_on", "source"], name="growth_snapshot_day")
        ]

    def __str__(self):
        return f"{self.taken_on} ({self.get_source_display()})"


class HubRepo(models.Model):
    """A repo as seen in one snapshot. Written in bulk only (COPY / executemany)."""

    # No separate index: the unique constraint below starts with snapshot and serves lookups,
    # and one index less makes bulk COPY faster.
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.CASCADE, related_name="repos", db_index=False
    )
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    repo_id = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(null=True)
    downloads = models.BigIntegerField(default=0)  # the Hub's rolling 30-day count
    downloads_all_time = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    tags = models.TextField(blank=True, default="")  # newline-separated, as listed by the Hub
    pipeline_tag = models.CharField(max_length=100, blank=True, default="")
    library_name = models.CharField(max_length=100, blank=True, default="")
    base_relation = models.CharField(max_length=20, blank=True, default="")
    base_models = models.TextField(blank=True, default="")  # newline-separated repo ids

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "repo_type", "repo_id"], name="growth_repo_once_per_snapshot"
            )
        ]

    def __str__(self):
        return f"{self.repo_type} {self.repo_id} @ snapshot {self.snapshot_id}"


class IngestRun(models.Model):
    """A live crawl of the Hub into one snapshot, checkpointed after every page it stores."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    snapshot = models.OneToOneField(Snapshot, on_delete=models.CASCADE, related_name="ingest_run")
    endpoint = models.URLField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Progress per repo type: {"dataset": {"next_url": ..., "rows": n, "done": bool}, ...}
    progress = models.JSONField(default=dict)
    malformed_count = models.IntegerField(default=0)
    # The first malformed rows, each {"repo_type", "position", "id", "error"}: what and where.
    malformed_sample = models.JSONField(default=list)
    error = models.TextField(blank=True, default="")
    attempts = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"ingest {self.snapshot} [{self.status}]"


class MonthlyCreation(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="monthly")
    domain = models.CharField(max_length=130)  # a domain key, or HUB_KEY for the whole Hub
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    month = models.DateField()  # first day of the month
    created = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "domain", "repo_type", "month"], name="growth_monthly_unique"
            )
        ]
        indexes = [models.Index(fields=["snapshot", "domain", "repo_type"])]

    def __str__(self):
        return f"{self.domain} {self.repo_type}s created {self.month:%Y-%m}: {self.created}"


class DomainStat(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="stats")
    domain = models.CharField(max_length=130)
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    repos = models.BigIntegerField()
    downloads_30d = models.BigIntegerField()
    downloads_all_time = models.BigIntegerField()
    likes = models.BigIntegerField()
    authors = models.BigIntegerField()
    # Downloads between the previous snapshot and this one: sum over repos of
    # clip(A_t - A_prev, 0, downloads_30d); null for the first snapshot.
    downloads_since_previous = models.BigIntegerField(null=True)
    days_since_previous = models.IntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "domain", "repo_type"], name="growth_stat_unique"
            )
        ]

    def __str__(self):
        return f"{self.domain} {self.repo_type}s @ snapshot {self.snapshot_id}: {self.repos}"


class CategoryRank(models.Model):
    """A task category's repos created in a year, its cumulative stock, and ranks by each."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="ranks")
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    category = models.CharField(max_length=200)
    year = models.IntegerField()
    created = models.BigIntegerField()
    cumulative = models.BigIntegerField()
    rank_created = models.IntegerField()
    rank_cumulative = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "repo_type", "category", "year"], name="growth_rank_unique"
            )
        ]

    def __str__(self):
        return f"{self.category} ({self.repo_type}s) {self.year}: #{self.rank_created}"


class TopAuthor(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="top_authors")
    domain = models.CharField(max_length=130)
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    author = models.CharField(max_length=200)
    is_organization = models.BooleanField()
    repos = models.BigIntegerField()
    downloads_30d = models.BigIntegerField()
    downloads_all_time = models.BigIntegerField()
    likes = models.BigIntegerField()
    rank = models.IntegerField()  # by repos, within (domain, repo type, kind)

    class Meta:
        ordering = ["rank"]
        indexes = [models.Index(fields=["snapshot", "domain", "repo_type", "is_organization"])]

    def __str__(self):
        return f"{self.domain} {self.repo_type}s: #{self.rank} {self.author}"


class ReleaseCell(models.Model):
    """The release heatmap: repos an organization created in a month, within a domain."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="releases")
    domain = models.CharField(max_length=130)
    author = models.CharField(max_length=200)
    month = models.DateField()  # first day of the month
    model_releases = models.BigIntegerField()
    dataset_releases = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["snapshot", "domain"])]

    def __str__(self):
        return f"{self.domain}: {self.author} {self.month:%Y-%m}"


class RepoContributors(models.Model):
    """Commit authors of one repo, from its commit history on the Hub: the evidence behind the
    community projects (``growth.core.community``). One row per repo scanned for a domain."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="contributors")
    domain = models.CharField(max_length=130)
    project = models.CharField(max_length=200)  # the organization namespace
    repo_type = models.CharField(max_length=8, choices=REPO_TYPES)
    repo_id = models.CharField(max_length=300)
    authors = models.JSONField(default=dict)  # commit author -> commits
    error = models.TextField(blank=True, default="")  # why the history could not be read
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "domain", "repo_type", "repo_id"],
                name="growth_contributors_once_per_repo",
            )
        ]

    def __str__(self):
        return f"{self.repo_type} {self.repo_id}: {len(self.authors)} contributors"


# The reuse metrics' models (issue 6) live in their own module.
from growth.reuse.models import *  # noqa: E402, F403
