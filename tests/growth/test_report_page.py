"""The "Report vs platform" page: every headline figure beside ours, from the stored snapshot."""

import pytest
from django.urls import reverse

from growth.models import DomainRule
from growth.reuse.services import reuse_metrics_store_file
from tests.growth.reuse_snapshots import repo, robot_dataset, write


def rows():
    return [
        repo("Qwen/Qwen2.5-7B", downloads_all=1000, downloads=500),
        repo("alice/qwen-ft", downloads_all=200, downloads=100, parents=["Qwen/Qwen2.5-7B"]),
        repo("bob/qwen-ft-q", downloads_all=100, downloads=100, parents=["alice/qwen-ft"],
             relation="quantized"),
        repo("google/gemma-2b", downloads_all=700, downloads=300),
        robot_dataset("lerobot/aloha", downloads_all=5, downloads=5),
    ]  # fmt: skip


@pytest.mark.django_db
def test_report_page_puts_each_headline_beside_the_snapshot_figure(client, tmp_path):
    DomainRule.objects.create(domain="qwen", field="lineage", value="Qwen")
    reuse_metrics_store_file(write(tmp_path / "day.parquet", rows()))

    payload = client.get(reverse("reuse:report") + "?format=json").json()
    assert payload["simulated"] is False and payload["source"] == "import"
    by_key = {row["key"]: row for row in payload["rows"]}
    assert len(by_key) == 8
    # 4 models: ceil(0.01% of 4) = 1, Qwen's 1000 of 2000 model downloads.
    assert by_key["top_0_01pct"]["platform"] == "50.0%"
    assert by_key["top_0_01pct"]["report"] == "49.6%"
    # 30-day of 1005: Qwen 500 (CN) = 49.75%; google 300 + lerobot 5 (US) = 30.35%.
    assert by_key["china_share"]["platform"].startswith("CN 49.8%, US 30.3%")
    # Lineage rule Qwen: alice/qwen-ft and bob/qwen-ft-q descend from Qwen/Qwen2.5-7B.
    assert by_key["qwen_derivatives"]["platform"] == "2"
    assert "single" not in by_key["interest_weeks"]["platform"]
    page = client.get(reverse("reuse:report")).content.decode()
    assert "The top 0.01% of models hold 49.6% of downloads" in page
    assert 'data-simulated="false"' in page


@pytest.mark.django_db
def test_report_page_without_data_and_without_lineage_rule(client, tmp_path):
    assert "No reuse metrics are stored yet" in client.get(reverse("reuse:report")).content.decode()
    reuse_metrics_store_file(write(tmp_path / "day.parquet", rows()))
    payload = client.get(reverse("reuse:report") + "?format=json").json()
    by_key = {row["key"]: row for row in payload["rows"]}
    assert by_key["qwen_derivatives"]["platform"] == "no lineage rule for Qwen yet"


@pytest.mark.django_db
def test_reuse_pages_draw_real_charts_without_inline_scripts_and_export(client, tmp_path):
    import datetime as dt
    import json
    import re

    from tests.growth.reuse_snapshots import DAY

    later = DAY + dt.timedelta(days=7)
    day_rows = rows() + [
        {**r, "snapshot_date": later, "downloadsAllTime": r["downloadsAllTime"] * 2} for r in rows()
    ]
    reuse_metrics_store_file(write(tmp_path / "two.parquet", day_rows), all_dates=True)

    page = client.get(reverse("reuse:domain", args=["hub"])).content.decode()
    assert "Share of 30-day downloads by country" in page
    assert re.search(r"<td>unknown</td><td class=\"num\">[0-9.]+%</td>", page)
    assert '<canvas id="reuse-concentration"' in page and '<canvas id="reuse-daily"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "growth/reuse_charts.js" in page
    # CSP: every script is a file or inert JSON data.
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    charts = json.loads(re.search(r'id="reuse-charts"[^>]*>(.*?)</script>', page, re.S)[1])
    assert [p["date"] for p in charts["concentration"]] == [DAY.isoformat(), later.isoformat()]
    assert charts["daily"][-1]["date"] == later.isoformat()

    csv_text = client.get(reverse("reuse:export", args=["concentration", "csv"]) + "?domain=hub")
    lines = csv_text.content.decode().splitlines()
    assert lines[0].startswith("snapshot_date,source,simulated,date,repos,top0_01pct_share")
    assert len(lines) == 3
    exported = client.get(reverse("reuse:export", args=["metrics", "json"])).json()
    hub_models = next(
        r for r in exported["results"] if r["domain"] == "hub" and r["repo_type"] == "models"
    )
    assert hub_models["repos"] == 4 and hub_models["top0_01pct_share_downloads"] == 0.5
    assert exported["simulated"] is False
    response = client.get(reverse("reuse:export", args=["daily", "csv"]) + "?domain=robotics")
    assert 'filename="reuse-daily-robotics-' in response["Content-Disposition"]
    assert client.get(reverse("reuse:export", args=["nope", "csv"])).status_code == 404
