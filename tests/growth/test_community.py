"""Community projects: commit histories read from a local Hub stand-in, stored, and shown."""

import datetime as dt

import pyarrow as pa
import pytest
from django.core.management import CommandError, call_command

from growth import services
from growth.core.snapshot import SNAPSHOT_SCHEMA
from growth.models import KnownOrganization, RepoContributors
from growth.services.community import CommunityScanError, scan_contributors
from tests.hub_api_stub import HubStub

pytestmark = pytest.mark.django_db

REPOS = [  # (type, id, tags, all-time downloads)
    ("dataset", "polymathic-ai/the_well", ["physics", "pde"], 900),
    ("model", "polymathic-ai/aion-base", ["astronomy", "sky-survey"], 800),
    ("dataset", "polymathic-ai/gone", ["pde"], 10),  # deleted since: 404 on the Hub
    ("dataset", "MultimodalUniverse/gaia", ["astronomy", "sky-survey"], 500),
    ("model", "ecmwf/aifs-single-1.0", ["weather-forecasting"], 700),
    ("model", "Qwen/Qwen2.5-7B", ["text-generation"], 10**6),  # not science: never read
]
COMMITS = {
    ("datasets", "polymathic-ai/the_well"): [["ann"], ["bo"], ["ann", "cy"]],
    ("models", "polymathic-ai/aion-base"): [["cy"], ["di"]],
    ("datasets", "MultimodalUniverse/gaia"): [["cy"], ["eve"]],
    ("models", "ecmwf/aifs-single-1.0"): [["fay"]],
}


def real_snapshot(tmp_path):
    when = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    rows = [
        {"repo_type": t, "id": i, "author": i.split("/")[0], "createdAt": when,
         "lastModified": when, "downloads": d // 10, "downloadsAllTime": d, "likes": 0,
         "tags": tags, "pipeline_tag": None, "library_name": None, "baseModels": None,
         "snapshot_date": dt.date(2025, 7, 1)}
        for t, i, tags, d in REPOS
    ]  # fmt: skip
    path = tmp_path / "real.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA), path)
    for name in ("Qwen", "polymathic-ai", "MultimodalUniverse", "ecmwf"):
        KnownOrganization.objects.get_or_create(name=name)
    return services.import_snapshot_file(path, simulated=False)[-1]


def test_scan_reads_histories_of_the_domains_organizations_and_the_page_ranks_them(
    client, tmp_path
):
    snapshot = real_snapshot(tmp_path)
    with HubStub(commits=COMMITS) as hub:
        counts = scan_contributors(snapshot.pk, "science", endpoint=hub.url)
        again = scan_contributors(snapshot.pk, "science", endpoint=hub.url)
        read = [r["repo"] for r in hub.requests if r["kind"].endswith("-commits")]
    assert counts == {"scanned": 4, "skipped": 0, "failed": 1}
    assert again == {"scanned": 0, "skipped": 4, "failed": 1}  # resumable: only the failure again
    assert "Qwen/Qwen2.5-7B" not in read
    failure = RepoContributors.objects.get(repo_id="polymathic-ai/gone")
    assert "404" in failure.error or "NotFound" in failure.error
    page = client.get(f"/growth/community/?domain=science&snapshot={snapshot.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    rows = html.split('<table id="community">')[1]
    assert rows.index("polymathic-ai") < rows.index("MultimodalUniverse") < rows.index("ecmwf")
    assert "<td>4</td>" in rows  # polymathic-ai: ann, bo, cy, di
    assert "MultimodalUniverse (1)" in rows  # cy commits to both
    assert "https://huggingface.co/datasets/polymathic-ai/the_well/commits/main" in rows
    assert "polymathic-ai/gone" in html  # the failure is listed, not hidden


def test_simulated_snapshots_are_refused_and_the_page_says_why(client, tmp_path):
    from growth.core.simulate import simulate

    path = tmp_path / "sim.parquet"
    simulate(str(path), models=1000, datasets=500, seed=1, snapshots=1)
    snapshot = services.import_snapshot_file(path)[-1]
    with pytest.raises(CommunityScanError, match="simulated"):
        scan_contributors(snapshot.pk)
    with pytest.raises(CommandError, match="simulated"):
        call_command("scan_community", "--snapshot", str(snapshot.pk))
    html = client.get("/growth/community/").content.decode()
    assert "no commit history" in html and "Simulated data." in html
