"""Reads: every list a page or endpoint shows comes from a function here, already filtered by
what the user may see (object permissions for single objects are in ``curation.policies``)."""

import contextlib
import hashlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from config.params import is_whole_number
from curation import conf, facet_table, roles, search
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

# ?sort= values: label, and the ORDER BY after the relevance rank (each ends in the id, so rows with
# equal values keep one order from page to page). Relevance needs a query; without one it is newest.
SORTS = {
    "relevance": ("Relevance", ("-published_at", "-id")),
    "newest": ("Newest", ("-published_at", "-id")),
    "episodes": ("Most episodes", ("-episodes", "-id")),
    "frames": ("Most frames", ("-frames", "-id")),
    "name": ("Name", ("title", "id")),
}


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
    sort: str = ""  # one of SORTS; "" is the default (relevance with a query, else newest)
    _summary: dict | None = dataclass_field(default=None, repr=False, compare=False)

    FACETS = ("robot_type", "fps", "cameras", "camera", "task", "codebase_version", "domain")

    @classmethod
    def from_query(cls, params) -> "CatalogueFilters":
        def number(name):
            raw = (params.get(name) or "").strip()
            try:
                return max(0, int(raw)) if raw else None
            except ValueError:
                return None

        sort = (params.get("sort") or "").strip()
        q = (params.get("q") or "").strip()[:200]
        return cls(
            q=q if search.searchable(q) else "",  # only punctuation: no text filter at all
            **{name: (params.get(name) or "").strip()[:300] for name in cls.FACETS},
            episodes_min=number("episodes_min"),
            episodes_max=number("episodes_max"),
            frames_min=number("frames_min"),
            frames_max=number("frames_max"),
            all_versions=params.get("all_versions") in ("1", "true", "on"),
            sort=sort if sort in SORTS else "",
        )

    @property
    def effective_sort(self) -> str:
        if self.sort and (self.sort != "relevance" or self.q):
            return self.sort
        return "relevance" if self.q else "newest"

    def active(self) -> dict:
        return {
            k: v
            for k, v in self.__dict__.items()
            if not k.startswith("_") and v not in ("", None, False)
        }

    def selection(self) -> dict:
        """What decides which rows match (not their order): the key of cached counts."""
        return {k: v for k, v in self.active().items() if k != "sort"}


def _facet_filters(f: CatalogueFilters) -> dict[str, Q]:
    """The chosen facet values as conditions, by facet name (only the facets chosen)."""
    nothing = Q(pk__lt=0)  # a value that cannot match (fps=abc): no rows, not an error
    conditions = {}
    if f.robot_type:
        conditions["robot_type"] = Q(robot_type=f.robot_type)
    if f.fps:
        try:
            conditions["fps"] = Q(fps=float(f.fps))
        except ValueError:
            conditions["fps"] = nothing
    if f.cameras:
        conditions["cameras"] = (
            Q(num_cameras=int(f.cameras)) if is_whole_number(f.cameras) else nothing
        )
    if f.camera:
        conditions["camera"] = Q(
            pk__in=IndexCamera.objects.filter(name=f.camera).values("index_id")
        )
    if f.task:
        conditions["task"] = Q(pk__in=IndexTask.objects.filter(task=f.task).values("index_id"))
    if f.codebase_version:
        conditions["codebase_version"] = Q(codebase_version=f.codebase_version)
    if f.domain:
        conditions["domain"] = Q(domain=f.domain)
    return conditions


def _base(qs, f: CatalogueFilters):
    """The filters that are not facets: latest versions, ranges, full text."""
    if not f.all_versions:
        qs = qs.filter(is_latest=True)
    for field, low, high in (
        ("episodes", f.episodes_min, f.episodes_max),
        ("frames", f.frames_min, f.frames_max),
    ):
        if low is not None:
            qs = qs.filter(**{f"{field}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{field}__lte": high})
    if f.q:
        qs = search.matching(qs, f.q)
    return qs


def _apply(qs, f: CatalogueFilters, skip: str = ""):
    qs = _base(qs, f)
    for name, condition in _facet_filters(f).items():
        if name != skip:
            qs = qs.filter(condition)
    return qs


def catalogue_search(f: CatalogueFilters) -> QuerySet[DatasetIndex]:
    """The matching rows in the chosen order (``SORTS``)."""
    # The search columns are large and never shown: leave them out of the result rows.
    qs = _apply(DatasetIndex.objects.defer("search_text", "search_vector"), f)
    sort = f.effective_sort
    order = SORTS[sort][1]
    if sort == "relevance":
        return qs.annotate(rank=search.rank(f.q)).order_by("-rank", *order)
    return qs.order_by(*order)


# Offset pagination stays fast and stable only so deep: past this many results the catalogue asks
# people to refine their search (or sort differently) instead of scanning ever further.
MAX_BROWSABLE_RESULTS = 1000
PAGE_SIZE = 20  # the web page's; the API's is ``curation.api.CataloguePagination.page_size``


class PageTooDeep(ValueError):
    pass


class CataloguePaginator(Paginator):
    """Pages of the catalogue: told the (cached) total, so no COUNT(*) per page, and bounded to
    ``MAX_BROWSABLE_RESULTS``."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count

    @property
    def num_pages(self) -> int:
        pages = super().num_pages
        return min(pages, max(1, MAX_BROWSABLE_RESULTS // self.per_page))

    @property
    def truncated(self) -> bool:
        return self.count > self.num_pages * self.per_page

    def validate_number(self, number):
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = None
        if wanted is not None and wanted > self.num_pages and self.truncated:
            raise PageTooDeep(
                f"only the first {self.num_pages * self.per_page} results can be browsed; "
                "refine your search or change the sort"
            )
        return super().validate_number(number)


FACET_LIMIT = 15


def _cached(kind: str, f: CatalogueFilters, compute):
    """Counts over 100,000 rows are the costly part of a catalogue page and change only when
    the index changes: cache them per filter set and generation (``CATALOGUE_CACHE_SECONDS``,
    0 = off)."""
    ttl = conf.catalogue_cache_seconds()
    if ttl <= 0:
        return compute()
    # One primary-key read: the number changes in the transaction that changes the index, so a
    # count cached by any process under an older number is never read again.
    generation = facet_table.current_generation()
    digest = hashlib.sha1(repr(sorted(f.selection().items())).encode(), usedforsecurity=False)
    key = f"curation:catalogue:{generation}:{kind}:{digest.hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def catalogue_count(f: CatalogueFilters) -> int:
    return _summary(f)["count"]


def catalogue_facets(f: CatalogueFilters) -> dict[str, list[tuple[str, int]]]:
    return _summary(f)["facets"]


def _summary(f: CatalogueFilters) -> dict:
    """The number of matching rows and the facet counts, computed together and cached together
    (and kept on the filters object, so one request computes them once even without a cache)."""
    if f._summary is None:
        f._summary = _cached("summary", f, lambda: _compute_summary(f))
    return f._summary


def _compute_summary(f: CatalogueFilters) -> dict:
    # Fallbacks, while a process builds its copy (or with all versions): with a text query the
    # matching rows are few (GIN index) and one statement counts every facet from them; without
    # one, each facet's own query reads a narrow covering index, which measured faster than
    # materialising all 100,000 rows (bench/catalogue.py).
    if not f.all_versions and conf.catalogue_facet_table():
        # This process's columnar copy of the latest versions; the full-text index says which
        # of them match the words.
        table = facet_table.table_for(facet_table.current_generation())
        if table is not None:
            return _summary_from_table(table, f)
    if f.q and search.is_postgres():
        return _summary_postgres(f)
    return {"count": _apply(DatasetIndex.objects.all(), f).count(), "facets": _facets(f)}


def _summary_from_table(table, f: CatalogueFilters) -> dict:
    chosen = {}
    for name in CatalogueFilters.FACETS:
        value = getattr(f, name)
        if not value:
            continue
        if name == "fps":
            # A value that is no number stays text: it matches nothing, as in the database.
            with contextlib.suppress(ValueError):
                value = float(value)
        elif name == "cameras" and is_whole_number(value):
            value = int(value)
        chosen[name] = value
    ranges = {
        "episodes": (f.episodes_min, f.episodes_max),
        "frames": (f.frames_min, f.frames_max),
    }
    among = None
    if f.q:
        latest = DatasetIndex.objects.filter(is_latest=True).order_by()
        among = list(search.matching(latest, f.q).values_list("id", flat=True))
    summary = table.summary(chosen, ranges, FACET_LIMIT, among=among)
    return {
        "count": summary["count"],
        "facets": {
            name: [(_fmt(value), n) for value, n in values]
            for name, values in summary["facets"].items()
        },
    }


# Facets over one column of the index row, and over a table of several values per row.
SINGLE_VALUED = (
    ("robot_type", "robot_type"),
    ("fps", "fps"),
    ("cameras", "num_cameras"),
    ("codebase_version", "codebase_version"),
    ("domain", "domain"),
)
MULTI_VALUED = (("camera", IndexCamera, "name"), ("task", IndexTask, "task"))
NUMERIC = ("fps", "num_cameras")


def _facets(f: CatalogueFilters) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value, each computed with the other filters applied (not its own), so a
    chosen value still shows its siblings. One query per facet (the portable way)."""
    base = DatasetIndex.objects.all()
    facets = {}
    for name, column in SINGLE_VALUED:
        rows = _apply(base, f, skip=name).exclude(**{f"{column}__isnull": True})
        if column not in NUMERIC:
            rows = rows.exclude(**{column: ""})
        rows = rows.values(column).annotate(n=Count("id")).order_by("-n", column)[:FACET_LIMIT]
        facets[name] = [(_fmt(r[column]), r["n"]) for r in rows]
    for name, model, column in MULTI_VALUED:
        rows = (
            model.objects.filter(index__in=_apply(base, f, skip=name))
            .values(column)
            .annotate(n=Count("id"))
            .order_by("-n", column)[:FACET_LIMIT]
        )
        facets[name] = [(r[column], r["n"]) for r in rows]
    return facets


def _summary_postgres(f: CatalogueFilters) -> dict:
    """The same counts as ``_facets`` (and the total) in one statement: the rows that pass the
    non-facet filters are read once into a CTE, each carrying one flag per chosen facet value;
    every facet then counts the CTE's rows whose other flags hold. With 100,000 rows this is one
    scan instead of eight (see bench/catalogue.py)."""
    conditions = _facet_filters(f)
    flags = {
        f"m_{name}": ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in conditions.items()
    }
    base = (
        _base(DatasetIndex.objects.all(), f)
        .annotate(**flags)
        .order_by()
        .values("id", *(column for _, column in SINGLE_VALUED), *flags)
    )
    try:
        base_sql, params = base.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing
        return {"count": 0, "facets": {name: [] for name in CatalogueFilters.FACETS}}

    def others(skip: str | None) -> str:
        return " AND ".join(f"m_{name}" for name in conditions if name != skip) or "TRUE"

    branches = []
    for name, column in SINGLE_VALUED:
        number = f"{column}::float8" if column in NUMERIC else "NULL::float8"
        branches.append(
            f"SELECT '{name}' AS facet, {column}::text AS value, {number} AS num, count(*) AS n "  # noqa: S608
            f"FROM base WHERE {others(name)} AND {column} IS NOT NULL AND {column}::text <> '' "
            f"GROUP BY {column}"
        )
    for name, model, column in MULTI_VALUED:
        branches.append(
            f"SELECT '{name}', x.{column}::text, NULL::float8, count(*) FROM base "  # noqa: S608
            f"JOIN {model._meta.db_table} x ON x.index_id = base.id WHERE {others(name)} "
            f"GROUP BY x.{column}"
        )
    branches.append(f"SELECT '', '', NULL::float8, count(*) FROM base WHERE {others(None)}")  # noqa: S608
    sql = (
        f"WITH base AS MATERIALIZED ({base_sql}) "  # noqa: S608 - identifiers are constants
        "SELECT facet, value, n FROM (SELECT u.*, row_number() OVER "
        "(PARTITION BY facet ORDER BY n DESC, num, value) AS position "
        f"FROM ({' UNION ALL '.join(branches)}) u) ranked WHERE position <= {FACET_LIMIT} "
        "ORDER BY facet, position"
    )
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in CatalogueFilters.FACETS}
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, value, n in cursor.fetchall():
            if facet == "":
                count = n
            elif facet == "fps":
                facets[facet].append((_fmt(float(value)), n))
            else:
                facets[facet].append((value, n))
    return {"count": count, "facets": facets}


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def dataset_versions(dataset, user) -> QuerySet[Submission]:
    return submissions_visible_to(user).filter(dataset=dataset).order_by("-version")
