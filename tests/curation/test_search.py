"""Catalogue search that finds: stemming, relevance ranking, sorting, exact facet counts under
filters and bounded pagination, on whichever database the lane runs (PostgreSQL's weighted
tsvector, or SQLite's FTS5 with the porter tokenizer)."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.urls import reverse

from curation import selectors
from curation.models import DatasetIndex
from curation.services import workflow
from tests.curation.conftest import add_file, to_ready

pytestmark = pytest.mark.django_db


def publish(user, lab, curator, title, *, description="", domain="", **report_kw):
    submission = workflow.submission_create(
        user=user, lab=lab, title=title, description=description, domain=domain
    )
    add_file(submission, user, content=title.encode())
    to_ready(submission, user, **report_kw)
    return workflow.submission_approve(submission_id=submission.pk, user=curator)


def search(client, **params):
    response = client.get(reverse("curation:api_catalogue"), params)
    assert response.status_code == 200, response.content
    return response.json()


def titles(data):
    return [r["title"] for r in data["results"]]


@pytest.fixture
def towels(lab_member, lab, curator):
    """The word "towel" in the title of one dataset, in a task of another, and only in the
    description of a third: relevance must put them in that order."""
    in_description = publish(
        lab_member,
        lab,
        curator,
        "Kitchen cleanup",
        description="A long session; sometimes a towel lies on the table.",
        tasks=("wipe the table",),
        episodes=300,
    )
    in_task = publish(
        lab_member,
        lab,
        curator,
        "Laundry corner",
        tasks=("fold the towel",),
        episodes=20,
        robot_type="aloha",
    )
    in_title = publish(
        lab_member,
        lab,
        curator,
        "Towel folding",
        tasks=("fold the cloth",),
        episodes=100,
        robot_type="aloha",
        cameras=("observation.images.wrist", "observation.images.front"),
    )
    return in_title, in_task, in_description


def test_words_are_stemmed(client, lab_member, lab, curator):
    publish(lab_member, lab, curator, "Cube pick", tasks=("pick the cube",))
    publish(lab_member, lab, curator, "Drawer", tasks=("open the drawer",))
    # Neither "cubes" nor "picking" occurs in the text: only their stems do.
    assert titles(search(client, q="cubes")) == ["Cube pick"]
    assert titles(search(client, q="picking")) == ["Cube pick"]
    assert titles(search(client, q="opened drawers")) == ["Drawer"]
    assert titles(search(client, q="picking drawers")) == []  # every word must match


def test_results_are_ranked_by_where_the_words_occur(client, towels):
    assert titles(search(client, q="towel")) == [
        "Towel folding",
        "Laundry corner",
        "Kitchen cleanup",
    ]
    assert search(client, q="towel")["sort"] == "relevance"


def test_robot_camera_and_feature_names_are_searchable(client, towels):
    assert titles(search(client, q="aloha towels")) == ["Towel folding", "Laundry corner"]
    assert titles(search(client, q="front towel")) == ["Towel folding"]  # a camera name
    # Feature names are found by their words (the report has an "action" feature).
    assert len(search(client, q="action")["results"]) == 3


def test_sorting(client, towels):
    in_task = towels[1]
    DatasetIndex.objects.filter(submission=in_task).update(frames=10**6)
    assert titles(search(client, sort="episodes")) == [
        "Kitchen cleanup",
        "Towel folding",
        "Laundry corner",
    ]
    assert titles(search(client, sort="frames"))[0] == "Laundry corner"
    assert titles(search(client, sort="name")) == [
        "Kitchen cleanup",
        "Laundry corner",
        "Towel folding",
    ]
    # Newest first is the default without a query; the last published comes first.
    assert titles(search(client)) == ["Towel folding", "Laundry corner", "Kitchen cleanup"]
    assert search(client)["sort"] == "newest"
    # A sort chosen with a query overrides relevance; an unknown one falls back to the default.
    assert titles(search(client, q="towel", sort="episodes")) == [
        "Kitchen cleanup",
        "Towel folding",
        "Laundry corner",
    ]
    assert search(client, q="towel", sort="nonsense")["sort"] == "relevance"


def test_the_page_offers_and_applies_the_sorts(client, towels):
    page = client.get(reverse("curation:catalogue"), {"sort": "name"}).content.decode()
    assert '<strong aria-current="true" data-sort="name">Name</strong>' in page
    assert 'data-sort="relevance"' not in page  # relevance needs a query
    assert (
        page.index("Kitchen cleanup") < page.index("Laundry corner") < page.index("Towel folding")
    )
    page = client.get(reverse("curation:catalogue"), {"q": "towel"}).content.decode()
    assert '<strong aria-current="true" data-sort="relevance">' in page
    assert page.index("Towel folding") < page.index("Laundry corner") < page.index("Kitchen")


def counts(data, facet):
    return {f["value"]: f["count"] for f in data["facets"][facet]}


def test_facet_counts_stay_exact_under_filters(client, towels):
    everything = search(client)
    assert counts(everything, "robot_type") == {"aloha": 2, "so101_follower": 1}
    assert counts(everything, "camera") == {"wrist": 3, "front": 1}
    assert counts(everything, "cameras") == {"1": 2, "2": 1}

    aloha = search(client, robot_type="aloha")
    assert len(aloha["results"]) == 2
    # Its own facet keeps the siblings (to switch robot); the others count within the selection.
    assert counts(aloha, "robot_type") == {"aloha": 2, "so101_follower": 1}
    assert counts(aloha, "camera") == {"wrist": 2, "front": 1}
    assert counts(aloha, "task") == {"fold the towel": 1, "fold the cloth": 1}

    combined = search(client, q="towel", camera="front", episodes_min="50")
    assert titles(combined) == ["Towel folding"]
    assert counts(combined, "robot_type") == {"aloha": 1}
    assert counts(combined, "camera") == {"wrist": 2, "front": 1}  # without its own filter
    assert counts(combined, "cameras") == {"2": 1}
    assert search(client, q="towel", robot_type="nobody")["facets"]["camera"] == []


def test_paging_is_bounded_with_a_clear_message(client, lab_member, lab, curator, monkeypatch):
    for i in range(5):
        publish(lab_member, lab, curator, f"Dataset {i}", episodes=i + 1)
    from curation.api import CataloguePagination

    monkeypatch.setattr(selectors, "MAX_BROWSABLE_RESULTS", 4)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    monkeypatch.setattr(CataloguePagination, "page_size", 2)
    response = client.get(reverse("curation:api_catalogue"), {"page": 3})
    assert response.status_code == 400 and "refine your search" in response.json()["page"]
    page = client.get(reverse("curation:catalogue"), {"page": 3}).content.decode()
    assert "refine your search" in page and "5 datasets" in page
    # Pages are stable: equal sort values are ordered by id, so no row shows up twice.
    seen = []
    url = reverse("curation:api_catalogue")
    for number in (1, 2):
        data = client.get(url, {"sort": "name", "page": number}).json()
        seen += titles(data)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


@pytest.mark.parametrize("q", ['"unclosed', "(a OR", "-", "title:x", "*", "NEAR(a b)", "'; --"])
def test_any_query_text_is_safe(client, towels, q):
    data = search(client, q=q)
    # Punctuation alone is no query (everything); words that match nothing find nothing.
    expected = 0 if any(c.isalpha() for c in q) else 3
    assert data["count"] == len(data["results"]) == expected
    assert client.get(reverse("curation:catalogue"), {"q": q}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement path")
@pytest.mark.parametrize(
    "params",
    [
        {"q": "towel"},
        {"q": "towel", "robot_type": "aloha"},
        {"q": "fold", "camera": "front", "episodes_min": "10"},
        {"q": "folding towels", "task": "fold the cloth", "cameras": "2"},
        {"q": "towel", "fps": "abc"},
    ],
)
def test_one_statement_counts_equal_the_per_facet_queries(towels, params):
    from django.http import QueryDict

    filters = selectors.CatalogueFilters.from_query(QueryDict(urlencode(params)))
    summary = selectors._summary_postgres(filters)
    assert summary["facets"] == selectors._facets(filters)
    assert summary["count"] == selectors._apply(DatasetIndex.objects.all(), filters).count()


def test_search_index_follows_republishing(client, lab_member, lab, curator, towels):
    in_title = towels[0]
    v2 = workflow.submission_create(user=lab_member, lab=lab, title="", dataset=in_title.dataset)
    add_file(v2, lab_member, content=b"v2")
    to_ready(v2, lab_member, tasks=("stack the blocks",))
    workflow.submission_approve(submission_id=v2.pk, user=curator)
    assert [r["version"] for r in search(client, q="blocks")["results"]] == [2]
    assert titles(search(client, q="cloth")) == []  # only the old version's task
    assert len(search(client, q="cloth", all_versions="1")["results"]) == 1


def test_deleted_rows_leave_the_search_index(towels):
    DatasetIndex.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM curation_datasetindex_fts")
            assert cursor.fetchone()[0] == 0


def test_cached_counts_change_with_the_index_in_every_process(client, lab_member, lab, curator):
    """Counts are cached, but keyed by a generation number that changes in the transaction that
    changes the index, so no process can keep serving counts from before it."""
    from django.core.cache import cache

    first = publish(lab_member, lab, curator, "First")
    assert search(client)["count"] == 1
    publish(lab_member, lab, curator, "Second")
    assert search(client)["count"] == 2
    # Another web process's local cache is not cleared by this one: only the number tells it.
    cache.clear()
    assert search(client)["count"] == 2
    first.delete()  # the index row goes with its submission
    assert search(client)["count"] == 1
    assert titles(search(client)) == ["Second"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"robot_type": "aloha"},
        {"camera": "front"},
        {"camera": "wrist", "task": "fold the towel"},
        {"robot_type": "aloha", "cameras": "2", "episodes_min": "50"},
        {"fps": "10", "frames_max": "1000", "domain": ""},
        {"fps": "abc"},
        {"cameras": "x", "robot_type": "aloha"},
        {"task": "no such task"},
        {"q": "towel"},
        {"q": "towels", "camera": "front", "robot_type": "aloha"},
        {"q": "fold", "episodes_min": "50", "task": "fold the cloth"},
        {"q": "nowhere"},
    ],
)
def test_columnar_counts_equal_the_database_counts(towels, params):
    """The counts come from the process's columnar copy of the index (and the full-text index's
    ids): they must be the database's, filter for filter."""
    from django.http import QueryDict

    from curation import facet_table

    filters = selectors.CatalogueFilters.from_query(QueryDict(urlencode(params)))
    table = facet_table.table_for(facet_table.current_generation())
    summary = selectors._summary_from_table(table, filters)
    assert summary["facets"] == selectors._facets(filters)
    assert summary["count"] == selectors._apply(DatasetIndex.objects.all(), filters).count()
    if not params:
        assert summary["count"] == 3
