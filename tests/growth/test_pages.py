"""What researchers see: pages, exports and the read-only API, simulated data labelled everywhere."""

import csv
import io
import json

import pytest

from growth import services
from growth.core.simulate import simulate
from growth.demo import load_demo_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulated(tmp_path):
    path = tmp_path / "hub.parquet"
    simulate(str(path), models=2000, datasets=1000, seed=5, snapshots=2)
    return services.import_snapshot_file(path)


def test_empty_state_explains_how_to_load_data(client):
    response = client.get("/growth/")
    assert response.status_code == 200
    assert "No Hub snapshot has been loaded yet" in response.content.decode()
    assert client.get("/growth/api/charts/creations/?domain=robotics").status_code == 404


def test_index_lists_domains_with_a_simulated_banner(client, simulated):
    page = client.get("/growth/").content.decode()
    assert "Simulated data." in page
    assert 'href="/growth/d/robotics/"' in page
    assert 'href="/growth/d/robotics/lerobot/"' in page
    assert "Largest dataset task categories" in page
    assert "Hub growth" in client.get("/").content.decode()  # the nav link


@pytest.mark.parametrize("query", ["", "?repo_type=model&period=month", "?period=quarter"])
def test_domain_page_draws_every_chart_from_local_files(client, simulated, query):
    response = client.get(f"/growth/d/robotics/{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Simulated data." in page
    for canvas in ("creations", "yoy", "share", "ranks", "subdomains", "downloads"):
        assert f'id="chart-{canvas}"' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page
    assert '<script src="http' not in page  # no CDN: scripts come from our static files
    assert "LeRobot-format share" in page
    data = json.loads(
        page.split('id="growth-charts" type="application/json">')[1].split("</script>")[0]
    )
    assert data["creations"][-1]["cumulative"] > 0


def test_subdomain_page_and_unknown_domain(client, simulated):
    assert client.get("/growth/d/science/biology/").status_code == 200
    assert client.get("/growth/d/no-such-domain/").status_code == 404
    response = client.get("/growth/d/robotics/?period=fortnight")
    assert response.status_code == 400
    assert "period must be one of month, quarter, year" in response.content.decode()


@pytest.mark.parametrize("chart", ["creations", "ranks", "subdomains", "downloads", "authors"])
def test_every_chart_exports_csv_and_json_marked_simulated(client, simulated, chart):
    query = "?domain=robotics&repo_type=dataset&period=year"
    response = client.get(f"/growth/export/{chart}.csv{query}")
    assert response.status_code == 200
    assert "SIMULATED" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows, chart
    assert all(r["simulated"] == "True" and r["domain"] == "robotics" for r in rows)
    payload = client.get(f"/growth/export/{chart}.json{query}").json()
    assert payload["simulated"] is True
    assert payload["definition"]
    assert len(payload["results"]) == len(rows)
    api = client.get(f"/growth/api/charts/{chart}/{query}").json()
    assert api == payload


def test_api_is_read_only_for_everyone(client, simulated, django_user_model):
    assert client.get("/growth/api/domains/").json()["simulated"] is True
    assert client.post("/growth/api/domains/", {}).status_code in (403, 405)
    assert client.delete("/growth/api/snapshots/").status_code in (403, 405)
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    assert client.post("/growth/api/charts/creations/?domain=robotics", {}).status_code == 405


def test_long_lists_are_paginated(client, simulated):
    page = client.get("/growth/api/categories/?repo_type=dataset&year=2025").json()
    assert page["count"] > 0
    assert all(r["simulated"] for r in page["results"])
    assert client.get("/growth/api/snapshots/").json()["count"] == 2
    bad = client.get("/growth/api/categories/?repo_type=space")
    assert bad.status_code == 400


def test_bad_parameters_get_clear_errors(client, simulated):
    response = client.get("/growth/api/charts/creations/?domain=robotics&snapshot=abc")
    assert response.status_code == 400
    assert "snapshot must be a snapshot id" in response.json()["errors"][0]
    assert client.get("/growth/api/charts/nope/?domain=robotics").status_code == 404
    assert client.get("/growth/export/creations.xml?domain=robotics").status_code == 404


def test_demo_loader_is_repeatable(tmp_path, settings):
    settings.STORAGE_ROOT = tmp_path
    first = load_demo_snapshot(models=1500, datasets=600, snapshots=2)
    again = load_demo_snapshot(models=1500, datasets=600, snapshots=2)
    assert len(first) == len(again) == 2
    assert [s.pk for s in first] == [s.pk for s in again]
    assert all(s.simulated for s in again)


def test_admin_lists_rules_organizations_snapshots_and_crawls(client, simulated, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    rules = client.get("/admin/growth/domainrule/?domain=robotics").content.decode()
    assert "lerobot" in rules
    assert client.get("/admin/growth/knownorganization/").status_code == 200
    snapshots = client.get("/admin/growth/snapshot/").content.decode()
    assert "simulated" in snapshots
    assert client.get("/admin/growth/ingestrun/").status_code == 200
    assert client.get("/admin/growth/snapshot/add/").status_code == 403
