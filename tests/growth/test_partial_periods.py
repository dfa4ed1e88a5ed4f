"""The current, incomplete period is marked partial and its YoY compares the same elapsed span."""

from datetime import date

import pytest

from growth.models import HUB_KEY, MonthlyCreation, Snapshot
from growth.selectors import creation_series


@pytest.mark.django_db
def test_partial_year_compares_the_same_elapsed_span():
    # Snapshot of 2026-11-16: 15 of November's 30 days are before it (fraction 1/2).
    snapshot = Snapshot.objects.create(
        taken_on=date(2026, 11, 16), source=Snapshot.Source.IMPORT, status=Snapshot.Status.READY
    )
    # 2025: 10 repos a month (120 in the year); 2026: 12 a month up to mid-November.
    months = {date(2025, m, 1): 10 for m in range(1, 13)}
    months |= {date(2026, m, 1): 12 for m in range(1, 11)} | {date(2026, 11, 1): 6}
    for domain in ("robotics", HUB_KEY):
        MonthlyCreation.objects.bulk_create(
            MonthlyCreation(snapshot=snapshot, domain=domain, repo_type="dataset", month=m,
                            created=c)
            for m, c in months.items()
        )  # fmt: skip
    rows = {r["period"]: r for r in creation_series(snapshot, "robotics", "dataset", "year")}
    assert rows["2025"]["partial"] is False and rows["2025"]["until"] is None
    current = rows["2026"]
    assert current["partial"] is True and current["until"] == "2026-11-16"
    assert current["created"] == 126
    # Same span a year earlier: Jan-Oct 2025 (100) + half of Nov 2025 (5) = 105, not 120.
    assert current["yoy_created"] == pytest.approx(126 / 105 - 1)
    # Cumulative: 246 at 2026-11-16 against 105 at 2025-11-16.
    assert current["yoy_cumulative"] == pytest.approx(246 / 105 - 1)

    by_month = {r["period"]: r for r in creation_series(snapshot, "robotics", "dataset", "month")}
    assert by_month["2026-11"]["partial"] is True
    assert by_month["2026-10"]["partial"] is False
    # November 2026 so far (6) against the first half of November 2025 (5).
    assert by_month["2026-11"]["yoy_created"] == pytest.approx(6 / 5 - 1)
    assert by_month["2026-10"]["yoy_created"] == pytest.approx(12 / 10 - 1)


@pytest.mark.django_db
def test_hub_scope_has_a_page_exports_and_api(client):
    snapshot = Snapshot.objects.create(
        taken_on=date(2026, 11, 16), source=Snapshot.Source.IMPORT, status=Snapshot.Status.READY
    )
    MonthlyCreation.objects.bulk_create(
        MonthlyCreation(snapshot=snapshot, domain=d, repo_type="model", month=date(2025, m, 1),
                        created=c)
        for d, c in ((HUB_KEY, 10), ("robotics", 2)) for m in (1, 2)
    )  # fmt: skip
    page = client.get("/growth/d/hub/?repo_type=model&period=month")
    assert page.status_code == 200
    rows = client.get("/growth/export/creations.json?domain=hub&repo_type=model&period=year")
    year = next(r for r in rows.json()["results"] if r["period"] == "2025")
    assert year["created"] == 20 and year["share_created"] == 1.0
    api = client.get("/growth/api/charts/creations/?domain=hub&repo_type=model&period=year")
    assert api.status_code == 200
    assert "Hub overview" in client.get("/growth/").content.decode()
