"""Reads: every list a page or endpoint shows comes from a function here, already filtered by
what the user may see (object permissions for single objects are in ``curation.policies``)."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from config.params import is_whole_number
from curation import conf, roles
from curation.models import (
    DatasetIndex,
    IndexCamera,
    IndexTask,
    Submission,
    SubmissionState,
)
from curation.workflow import AWAITING_REVIEW


def submissions_visible_to(user) -> QuerySet[Submission]:
    base = Submission.objects.select_related("dataset__lab", "submitted_by", "reviewer")
    if not user.is_authenticated:
        return base.filter(state=SubmissionState.APPROVED)
    if roles.is_curator(user):
        return base
    return base.filter(Q(dataset__lab__members=user) | Q(state=SubmissionState.APPROVED)).distinct()


def my_lab_submissions(user) -> QuerySet[Submission]:
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.select_related("dataset__lab", "reviewer")
        .filter(dataset__lab__members=user)
        .order_by("-created_at")
    )


AGE_FILTERS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def review_queue(
    *,
    state: str = "",
    lab: str = "",
    age: str = "",
    outcome: str = "",
    mine: bool = False,
    user=None,
) -> QuerySet[Submission]:
    """Curators' queue. Default: everything awaiting a decision, oldest first."""
    qs = Submission.objects.select_related("dataset__lab", "submitted_by", "reviewer")
    qs = qs.filter(state=state) if state else qs.filter(state__in=AWAITING_REVIEW)
    if lab:
        qs = qs.filter(dataset__lab__slug=lab)
    if outcome:
        qs = qs.filter(validation_outcome=outcome)
    if age in AGE_FILTERS:
        # "older than": the submissions that have waited longest are the ones to find.
        qs = qs.filter(state_changed_at__lte=timezone.now() - AGE_FILTERS[age])
    if mine and user is not None:
        qs = qs.filter(reviewer=user)
    return qs.order_by("state_changed_at", "id")


# --- catalogue ----------------------------------------------------------------------------------


@dataclass
class CatalogueFilters:
    q: str = ""
    robot_type: str = ""
    fps: str = ""
    cameras: str = ""  # number of cameras
    camera: str = ""  # a camera name, e.g. wrist
    task: str = ""
    codebase_version: str = ""
    domain: str = ""
    episodes_min: int | None = None
    episodes_max: int | None = None
    frames_min: int | None = None
    frames_max: int | None = None
    all_versions: bool = False

    FACETS = ("robot_type", "fps", "cameras", "camera", "task", "codebase_version", "domain")

    @classmethod
    def from_query(cls, params) -> "CatalogueFilters":
        def number(name):
            raw = (params.get(name) or "").strip()
            try:
                return max(0, int(raw)) if raw else None
            except ValueError:
                return None

        return cls(
            q=(params.get("q") or "").strip()[:200],
            **{name: (params.get(name) or "").strip()[:300] for name in cls.FACETS},
            episodes_min=number("episodes_min"),
            episodes_max=number("episodes_max"),
            frames_min=number("frames_min"),
            frames_max=number("frames_max"),
            all_versions=params.get("all_versions") in ("1", "true", "on"),
        )

    def active(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


def _apply(qs, f: CatalogueFilters, skip: str = ""):
    if not f.all_versions:
        qs = qs.filter(is_latest=True)
    if f.robot_type and skip != "robot_type":
        qs = qs.filter(robot_type=f.robot_type)
    if f.fps and skip != "fps":
        try:
            qs = qs.filter(fps=float(f.fps))
        except ValueError:
            qs = qs.none()
    if f.cameras and skip != "cameras":
        qs = qs.filter(num_cameras=int(f.cameras)) if is_whole_number(f.cameras) else qs.none()
    if f.camera and skip != "camera":
        qs = qs.filter(pk__in=IndexCamera.objects.filter(name=f.camera).values("index_id"))
    if f.task and skip != "task":
        qs = qs.filter(pk__in=IndexTask.objects.filter(task=f.task).values("index_id"))
    if f.codebase_version and skip != "codebase_version":
        qs = qs.filter(codebase_version=f.codebase_version)
    if f.domain and skip != "domain":
        qs = qs.filter(domain=f.domain)
    for field, low, high in (
        ("episodes", f.episodes_min, f.episodes_max),
        ("frames", f.frames_min, f.frames_max),
    ):
        if low is not None:
            qs = qs.filter(**{f"{field}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{field}__lte": high})
    if f.q:
        if connection.vendor == "postgresql":
            query = SearchQuery(f.q, config="simple", search_type="websearch")
            qs = qs.filter(search_vector=query)
        else:
            for term in f.q.split():
                qs = qs.filter(search_text__icontains=term)
    return qs


def catalogue_search(f: CatalogueFilters) -> QuerySet[DatasetIndex]:
    # The search columns are large and never shown: leave them out of the result rows.
    qs = _apply(DatasetIndex.objects.defer("search_text", "search_vector"), f)
    if f.q and connection.vendor == "postgresql":
        query = SearchQuery(f.q, config="simple", search_type="websearch")
        return qs.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", "-published_at", "-id"
        )
    return qs.order_by("-published_at", "-id")


FACET_LIMIT = 15
GENERATION_KEY = "curation:catalogue:generation"


def catalogue_generation_bump() -> None:
    """Called when a version is published: every cached count becomes stale at once."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def _cached(kind: str, f: CatalogueFilters, compute):
    """Counts over 100,000 rows are the costly part of a catalogue page and change only when
    something is published: cache them per filter set (``CATALOGUE_CACHE_SECONDS``, 0 = off)."""
    ttl = conf.catalogue_cache_seconds()
    if ttl <= 0:
        return compute()
    generation = cache.get_or_set(GENERATION_KEY, 1, None)
    digest = hashlib.sha1(repr(sorted(f.active().items())).encode(), usedforsecurity=False)
    key = f"curation:catalogue:{generation}:{kind}:{digest.hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def catalogue_count(f: CatalogueFilters) -> int:
    return _cached("count", f, lambda: _apply(DatasetIndex.objects.all(), f).count())


def catalogue_facets(f: CatalogueFilters) -> dict[str, list[tuple[str, int]]]:
    return _cached("facets", f, lambda: _facets(f))


def _facets(f: CatalogueFilters) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value, each computed with the other filters applied (not its own), so a
    chosen value still shows its siblings."""
    base = DatasetIndex.objects.all()
    facets = {}
    for name, column in (
        ("robot_type", "robot_type"),
        ("fps", "fps"),
        ("cameras", "num_cameras"),
        ("codebase_version", "codebase_version"),
        ("domain", "domain"),
    ):
        rows = (
            _apply(base, f, skip=name)
            .exclude(**{f"{column}__isnull": True})
            .values(column)
            .annotate(n=Count("id"))
            .order_by("-n", column)[:FACET_LIMIT]
        )
        facets[name] = [(_fmt(r[column]), r["n"]) for r in rows if r[column] not in ("", None)]
    for name, model, column in (("camera", IndexCamera, "name"), ("task", IndexTask, "task")):
        rows = (
            model.objects.filter(index__in=_apply(base, f, skip=name))
            .values(column)
            .annotate(n=Count("id"))
            .order_by("-n", column)[:FACET_LIMIT]
        )
        facets[name] = [(r[column], r["n"]) for r in rows]
    return facets


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def dataset_versions(dataset, user) -> QuerySet[Submission]:
    return submissions_visible_to(user).filter(dataset=dataset).order_by("-version")
