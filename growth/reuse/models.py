"""Stored reuse metrics, so the pages render without recomputing (issue 6).

One ``ReuseMetrics`` row per snapshot (date and source: live crawl, imported file or
simulated, as ``growth.models.Snapshot`` is keyed) and domain holds that domain's metrics as JSON, exactly
what ``growth.core.reuse.compute`` returns minus the history series (those are rebuilt from the rows
of earlier dates). ``DatasetCitation`` keeps, per snapshot, which Hub models cite which datasets,
for the "models citing this dataset" list on dataset pages.

Written only by ``growth.reuse.services``; read through ``growth.reuse.selectors``.
"""

from django.db import models

__all__ = ["DatasetCitation", "ReuseMetrics"]


SOURCES = [("live", "live Hub crawl"), ("import", "imported snapshot file"),
           ("simulated", "simulated (synthetic data)")]  # fmt: skip
# When a date has several snapshots, pages show the first of these that exists.
SOURCE_PREFERENCE = ("live", "import", "simulated")


class ReuseMetrics(models.Model):
    snapshot_date = models.DateField()
    snapshot_source = models.CharField(
        max_length=20,
        choices=SOURCES,
        default="import",
        help_text="Which snapshot of the date: a simulated and a real one never share a row",
    )
    domain = models.CharField(
        max_length=200, help_text="Domain key, e.g. robotics or science/biology"
    )
    metrics = models.JSONField(help_text="The domain's metrics; definitions in growth/REUSE.md")
    source = models.CharField(max_length=500, blank=True, help_text="Snapshot file it came from")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "snapshot_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot_date", "snapshot_source", "domain"],
                name="reuse_metrics_one_per_snapshot_domain",
            )
        ]
        indexes = [
            models.Index(fields=["domain", "snapshot_date"], name="reuse_metrics_domain_date")
        ]
        verbose_name_plural = "reuse metrics"

    def __str__(self):
        return f"{self.domain} on {self.snapshot_date}"


class DatasetCitation(models.Model):
    """A Hub model that declares a dataset (``dataset:<id>`` tag) in one snapshot."""

    snapshot_date = models.DateField()
    snapshot_source = models.CharField(max_length=20, choices=SOURCES, default="import")
    dataset_id = models.CharField(max_length=300)
    dataset_author = models.CharField(max_length=200, blank=True)
    model_id = models.CharField(max_length=300)
    model_author = models.CharField(max_length=200, blank=True)
    downloads = models.BigIntegerField(default=0, help_text="Rolling 30-day downloads of the model")
    downloads_all_time = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    pipeline_tag = models.CharField(max_length=100, blank=True)
    library_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-downloads_all_time", "model_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot_date", "snapshot_source", "dataset_id", "model_id"],
                name="dataset_citation_once_per_snapshot_source",
            )
        ]
        indexes = [
            models.Index(fields=["dataset_id", "snapshot_date"], name="dataset_citation_dataset")
        ]

    def __str__(self):
        return f"{self.model_id} cites {self.dataset_id} ({self.snapshot_date})"

    @property
    def external(self) -> bool:
        return self.model_author != self.dataset_author
