"""Writing the catalogue index: one ``DatasetIndex`` row per published dataset version."""

import secrets

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from curation import search
from curation.models import CatalogueGeneration, DatasetIndex, IndexCamera, IndexTask, Submission


def camera_name(key: str) -> str:
    """``observation.images.wrist`` → ``wrist``: the part people search for."""
    return key.rsplit(".", 1)[-1]


def card_line(summary: dict) -> str:
    parts = []
    if summary.get("episodes") is not None:
        parts.append(f"{summary['episodes']} episodes")
    if summary.get("fps"):
        parts.append(f"{summary['fps']:g} fps")
    cameras = summary.get("cameras") or []
    if cameras:
        first = cameras[0]
        sizes = {(c.get("width"), c.get("height")) for c in cameras}
        size = (
            f" {first.get('width')}×{first.get('height')}"  # noqa: RUF001
            if len(sizes) == 1 and first.get("width")
            else ""
        )
        codecs = {c.get("codec") for c in cameras if c.get("codec")}
        codec = f" {next(iter(codecs))}" if len(codecs) == 1 else ""
        parts.append(f"{len(cameras)} camera{'s' if len(cameras) != 1 else ''}{size}{codec}")
    if summary.get("robot_type"):
        parts.append(str(summary["robot_type"]))
    return " · ".join(parts)


def index_row_for(submission: Submission, summary: dict, *, published_at=None) -> DatasetIndex:
    dataset = submission.dataset
    cameras = [camera_name(c.get("key", "")) for c in summary.get("cameras") or []]
    features = [str(name) for name in summary.get("features") or {}]
    # The lowest-weighted search text (``curation.search``): the title, tasks and robot type are
    # indexed from their own columns with higher weights. Feature names are searched by their
    # words too ("observation.state" is found by "state").
    text = " ".join(
        [
            dataset.description,
            dataset.lab.name,
            dataset.domain,
            *cameras,
            *features,
            *(name.replace(".", " ").replace("_", " ") for name in features),
        ]
    )
    return DatasetIndex(
        submission=submission,
        dataset=dataset,
        is_latest=True,
        version=submission.version,
        title=dataset.title,
        lab_name=dataset.lab.name,
        domain=dataset.domain,
        robot_type=str(summary.get("robot_type") or ""),
        fps=summary.get("fps"),
        num_cameras=len(cameras),
        episodes=summary.get("episodes") or 0,
        frames=summary.get("frames") or 0,
        codebase_version=str(summary.get("codebase_version") or ""),
        card_line=card_line(summary)[:300],
        search_text=text,
        published_at=published_at or timezone.now(),
    )


def index_publish(submission: Submission) -> DatasetIndex:
    """Index an approved version; earlier versions stay indexed but are no longer the latest."""
    summary = (submission.report or {}).get("summary") or {}
    DatasetIndex.objects.filter(dataset=submission.dataset).update(is_latest=False)
    DatasetIndex.objects.filter(submission=submission).delete()
    row = index_row_for(submission, summary)
    row.save()
    IndexCamera.objects.bulk_create(
        IndexCamera(index=row, name=camera_name(c.get("key", "")))
        for c in summary.get("cameras") or []
    )
    IndexTask.objects.bulk_create(
        IndexTask(index=row, task=str(t)[:300]) for t in summary.get("tasks") or []
    )
    search.index_text([row.pk])
    catalogue_changed()
    return row


def catalogue_changed() -> None:
    """Every cached catalogue count becomes stale when this transaction commits (and not
    before: until then other requests still see, and cache, the old index)."""
    # A new random number rather than +1: a number seen once is never seen again for other
    # contents, even after a database is restored from a backup (or a test rolled back).
    value = secrets.randbits(62)
    with transaction.atomic():
        if not CatalogueGeneration.objects.filter(pk=1).update(value=value):
            CatalogueGeneration.objects.create(pk=1, value=value)


@receiver(post_delete, sender=DatasetIndex)
def _index_row_deleted(sender, instance, **kwargs) -> None:
    # A deleted submission takes its index row with it (cascade): the counts change too.
    catalogue_changed()
