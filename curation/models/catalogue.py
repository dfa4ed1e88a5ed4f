"""The catalogue index: one denormalised row per published dataset version.

Search and facet filters read only these rows, never the report JSON, so the catalogue stays fast
with 100,000 datasets. Full-text search (stemmed, ranked) is described in ``curation.search``:
on PostgreSQL ``search_vector`` is a stored, weighted, GIN-indexed tsvector; on SQLite an FTS5
table beside this one. Both are created by migrations, only on their own database.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class DatasetIndex(models.Model):
    submission = models.OneToOneField(
        "curation.Submission", on_delete=models.CASCADE, related_name="index_row"
    )
    dataset = models.ForeignKey(
        "curation.Dataset", on_delete=models.CASCADE, related_name="index_rows"
    )
    is_latest = models.BooleanField(default=True, db_index=True)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    lab_name = models.CharField(max_length=200)
    domain = models.CharField(max_length=60, blank=True, db_index=True)
    robot_type = models.CharField(max_length=100, blank=True, db_index=True)
    fps = models.FloatField(null=True, db_index=True)
    num_cameras = models.PositiveIntegerField(default=0, db_index=True)
    episodes = models.PositiveIntegerField(default=0, db_index=True)
    frames = models.BigIntegerField(default=0, db_index=True)
    codebase_version = models.CharField(max_length=20, blank=True, db_index=True)
    card_line = models.CharField(max_length=300, blank=True)
    search_text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True)
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        # Matches the catalogue's ORDER BY, so a page is an index range scan, not a sort of 100k rows.
        indexes = [
            models.Index(fields=["is_latest", "-published_at", "-id"], name="index_latest_recent"),
            # Facet counts over the latest versions read only this narrow index (index-only scans)
            # instead of the wide rows that carry the search text.
            models.Index(
                fields=[
                    "robot_type",
                    "fps",
                    "num_cameras",
                    "codebase_version",
                    "domain",
                    "episodes",
                    "frames",
                    "id",
                ],
                name="index_latest_facets",
                condition=models.Q(is_latest=True),
            ),
            # The catalogue's other sort orders (``?sort=episodes|frames|name``), each ending in
            # the id so that equal values keep a stable order from page to page.
            models.Index(
                fields=["-episodes", "-id"],
                name="index_latest_episodes",
                condition=models.Q(is_latest=True),
            ),
            models.Index(
                fields=["-frames", "-id"],
                name="index_latest_frames",
                condition=models.Q(is_latest=True),
            ),
            models.Index(
                fields=["title", "id"],
                name="index_latest_title",
                condition=models.Q(is_latest=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class IndexCamera(models.Model):
    """Camera names of an indexed version (multi-valued facet), e.g. ``wrist``, ``front``."""

    index = models.ForeignKey(DatasetIndex, on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(max_length=100)

    class Meta:
        # "which versions have a wrist camera" is answered from the index alone.
        indexes = [models.Index(fields=["name", "index"], name="indexcamera_name_index")]

    def __str__(self) -> str:
        return self.name


class IndexTask(models.Model):
    index = models.ForeignKey(DatasetIndex, on_delete=models.CASCADE, related_name="tasks")
    task = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["task", "index"], name="indextask_task_index")]

    def __str__(self) -> str:
        return self.task


class CatalogueGeneration(models.Model):
    """One row whose (random) number changes in the same transaction as any change to the index:
    cached catalogue counts are keyed by it, so every web process sees them go stale at the
    commit, whatever cache it uses (``curation.selectors``, ``curation.facet_table``)."""

    value = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"catalogue generation {self.value}"
