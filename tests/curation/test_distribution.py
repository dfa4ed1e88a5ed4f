"""The published dataset page's distribution parts: file browser, downloads, dataset card
(README rendered safely, licence, BibTeX, CFF, JSON-LD), and the zip/range building blocks."""

import io
import json
import re
import zipfile

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from curation.distribution import selectors as dist
from curation.distribution.streams import RangeNotSatisfiable, parse_range, zip_stream
from tests.curation.conftest import add_file, to_ready

pytestmark = pytest.mark.django_db

README = b"""---
license: cc-by-4.0
---
# Pick & place

Recorded on an **SO-101**. <script>alert("x")</script> [bad](javascript:alert(1))
"""


@pytest.fixture
def published(draft, lab_member, curator):
    from curation.services import workflow

    add_file(draft, lab_member, path="README.md", content=README)
    add_file(draft, lab_member, path="data/chunk-000/file-000.parquet", content=b"PAR1" * 100)
    to_ready(draft, lab_member)
    return workflow.submission_approve(submission_id=draft.pk, user=curator)


def page_of(submission, client=None):
    dataset = submission.dataset
    response = (client or Client()).get(
        reverse("curation:dataset", args=[dataset.lab.slug, dataset.slug])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_dataset_page_lists_files_and_links_downloads(published):
    html = page_of(published)
    lab, slug = published.dataset.lab.slug, published.dataset.slug
    assert f'href="/datasets/{lab}/{slug}/archive/version-1.zip"' in html
    assert f'href="/datasets/{lab}/{slug}/resolve/version-1/README.md"' in html
    assert f'href="/datasets/{lab}/{slug}/tree/version-1/data"' in html  # a folder row
    assert "3 files" in html


def test_readme_is_rendered_without_raw_html_and_licence_shown(published):
    html = page_of(published)
    readme = re.search(r'<article id="readme" class="readme">(.*?)</article>', html, re.S).group(1)
    assert "<h1>Pick &amp; place</h1>" in readme and "<strong>SO-101</strong>" in readme
    assert "<script>" not in readme and "&lt;script&gt;" in readme
    assert "javascript:" not in readme.replace("[bad](javascript:alert(1))", "")
    assert 'href="javascript' not in readme
    assert re.search(r'id="licence">.*cc-by-4\.0', html)


def test_citations_are_well_formed(published):
    html = page_of(published)
    assert "@misc{manipulation_lab_pick_and_place_v1," in html
    lab, slug = published.dataset.lab.slug, published.dataset.slug
    cff = Client().get(reverse("curation:dataset_citation", args=[lab, slug, "version-1", "cff"]))
    assert cff.status_code == 200 and "CITATION.cff" in cff["Content-Disposition"]
    document = yaml.safe_load(cff.content)
    assert document["cff-version"] == "1.2.0" and document["type"] == "dataset"
    assert document["title"] == "Pick and place" and document["license"] == "cc-by-4.0"
    assert document["authors"] == [{"name": "Manipulation Lab"}]
    bib = Client().get(reverse("curation:dataset_citation", args=[lab, slug, "version-1", "bib"]))
    assert bib.content.decode().startswith("@misc{") and "year = {" in bib.content.decode()


def test_json_ld_in_the_head_is_schema_org_croissant(published):
    html = page_of(published)
    head = html.split("</head>")[0]
    raw = re.search(
        r'<script type="application/ld\+json" id="dataset-jsonld">(.*?)</script>', head, re.S
    )
    data = json.loads(raw.group(1))
    assert data["@type"] == "sc:Dataset"
    assert data["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert data["name"] == "Pick and place" and data["license"] == "cc-by-4.0"
    assert data["distribution"][0]["contentUrl"].endswith("/archive/version-1.zip")


def test_json_ld_cannot_close_its_script_block(lab_member, lab, curator):
    from curation.services import workflow

    submission = workflow.submission_create(
        user=lab_member, lab=lab, title="</script><script>alert(1)</script>"
    )
    add_file(submission, lab_member)
    to_ready(submission, lab_member)
    workflow.submission_approve(submission_id=submission.pk, user=curator)
    html = page_of(submission)
    head = html.split("</head>")[0]
    assert "<script>alert(1)" not in head
    assert "\\u003C/script\\u003E" in head


def test_file_browser_walks_folders(published):
    lab, slug = published.dataset.lab.slug, published.dataset.slug
    top = Client().get(reverse("curation:dataset_tree", args=[lab, slug, "main"]))
    assert top.status_code == 200
    inner = Client().get(reverse("curation:dataset_tree_path", args=[lab, slug, "main", "data"]))
    body = inner.content.decode()
    assert "data/chunk-000/" in body and "file-000.parquet" not in body.split("data/chunk-000/")[0]
    missing = Client().get(reverse("curation:dataset_tree_path", args=[lab, slug, "main", "nope"]))
    assert missing.status_code == 404


def test_unpublished_dataset_has_no_public_files(draft, lab_member, other_lab_member):
    lab, slug = draft.dataset.lab.slug, draft.dataset.slug
    for client in (Client(), _logged(other_lab_member)):
        for name, args in (
            ("curation:dataset_tree", [lab, slug, "main"]),
            ("curation:dataset_zip", [lab, slug, "main"]),
            ("curation:hub_resolve", [lab, slug, "main", "meta/info.json"]),
            ("curation:hub_dataset", [lab, slug]),
        ):
            assert client.get(reverse(name, args=args)).status_code == 404, name
    mine = _logged(lab_member).get(
        reverse("curation:hub_resolve", args=[lab, slug, "main", "meta/info.json"])
    )
    assert mine.status_code == 200


def _logged(user):
    client = Client()
    client.force_login(user)
    return client


# --- building blocks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file is a valid answer
        ("items=0-1", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=50-10", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_zip_stream_is_a_valid_zip_produced_in_pieces(published):
    revision = dist.revision_for(published.submitted_by, dist.repo_id_of(published.dataset), "main")
    pieces = list(zip_stream(revision.files, folder="x-v1", date_time=(2026, 1, 2, 3, 4, 5)))
    assert len(pieces) > len(revision.files)  # sent while being written, not built whole
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(f"x-v1/{f.path}" for f in revision.files)
        assert archive.read("x-v1/README.md") == README
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())


def test_commit_changes_with_draft_content_but_not_once_published(draft, lab_member):
    before = dist.commit_of(draft)
    add_file(draft, lab_member, path="meta/stats.json", content=b"{}")
    assert dist.commit_of(draft) != before
    assert re.fullmatch(r"[0-9a-f]{40}", before)
