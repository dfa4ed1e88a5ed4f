"""The science pages, the release heatmap page, its exports and API, and rule versions."""

import csv
import io

import pytest

from growth import selectors, services
from growth.core.simulate import simulate
from growth.models import DomainRule, ReleaseCell, RuleSetVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulated(tmp_path):
    path = tmp_path / "hub.parquet"
    simulate(str(path), models=6000, datasets=3000, seed=7, snapshots=1)
    return services.import_snapshot_file(path)[-1]


def test_heatmap_page_is_a_grid_of_organizations_by_months(client, simulated):
    response = client.get("/growth/heatmap/?domain=science&months=0")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Simulated data." in page
    assert 'id="heatmap"' in page
    cells = ReleaseCell.objects.filter(snapshot=simulated, domain="science")
    top = max(
        {c.author for c in cells},
        key=lambda a: sum(c.model_releases + c.dataset_releases for c in cells if c.author == a),
    )
    assert f'<th scope="row" class="org">{top}</th>' in page
    assert "<script" not in page.split("</nav>")[-1]  # no inline script: a CSP is coming
    assert "style=" not in page


def test_heatmap_filters_by_subdomain(client, simulated):
    whole = selectors.heatmap_rows(simulated, "science")
    climate = selectors.heatmap_rows(simulated, "science/climate")
    assert climate and len(climate) < len(whole)
    page = client.get("/growth/heatmap/?domain=science/climate&months=0").content.decode()
    organizations = {r["organization"] for r in climate}
    for organization in organizations:
        assert f'class="org">{organization}</th>' in page
    assert sum(r["releases"] for r in climate) <= sum(r["releases"] for r in whole)


def test_heatmap_export_csv_has_organization_month_releases(client, simulated):
    response = client.get("/growth/export/heatmap.csv?domain=science")
    assert response.status_code == 200
    assert "SIMULATED" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert table
    assert {"organization", "month", "releases", "models", "datasets", "simulated",
            "rules_version"} <= set(table[0])  # fmt: skip
    for row in table:
        assert int(row["releases"]) == int(row["models"]) + int(row["datasets"]) > 0
    stored = sum(
        c.model_releases + c.dataset_releases
        for c in ReleaseCell.objects.filter(snapshot=simulated, domain="science")
    )
    assert sum(int(r["releases"]) for r in table) == stored


def test_heatmap_json_export_and_api_agree(client, simulated):
    exported = client.get("/growth/export/heatmap.json?domain=science/biology").json()
    api = client.get("/growth/api/charts/heatmap/?domain=science/biology").json()
    assert exported["results"] == api["results"] and api["results"]
    assert api["chart"] == "heatmap" and api["repo_type"] == "all" and api["simulated"] is True
    assert api["rules_version"] == simulated.rules_version.number and api["rules_current"]


@pytest.mark.parametrize(
    ("query", "message"),
    [("?domain=alchemy", "unknown domain"), ("?domain=science&months=7", "months must be one of")],
)
def test_heatmap_bad_input_says_what_is_wrong(client, simulated, query, message):
    response = client.get(f"/growth/heatmap/{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_heatmap_empty_window_explains_itself(client, simulated):
    DomainRule.objects.create(
        domain="science", subdomain="oceanography", field="tag", value="ocean"
    )
    services.reaggregate_all()
    page = client.get("/growth/heatmap/?domain=science/oceanography").content.decode()
    assert "No organization in" in page


def test_science_page_shows_taxonomy_rules_with_reasons_and_version(client, simulated):
    page = client.get("/growth/d/science/").content.decode()
    for label in ("Protein structure", "Molecular dynamics", "Drug discovery",
                  "Scientific data analysis"):  # fmt: skip
        assert label in page
    assert "excludes question-answering" in page  # the exclusions are listed with their reason
    assert "text generation rather than science" in page
    assert f"rules v{simulated.rules_version.number}" in page
    assert "/growth/heatmap/?domain=science" in page
    sub = client.get("/growth/d/science/drug-discovery/").content.decode()
    assert "excludes text-generation" in sub  # the domain's exclusions apply to sub-domains


def test_editing_a_rule_recomputes_and_pages_name_the_new_version(
    client, simulated, django_capture_on_commit_callbacks
):
    before = simulated.rules_version
    climate_before = selectors.heatmap_rows(simulated, "science/climate")
    with django_capture_on_commit_callbacks() as callbacks:
        DomainRule.objects.filter(domain="science", subdomain="climate").update(active=False)
        rule = DomainRule.objects.filter(domain="science", subdomain="climate").first()
        rule.save()  # update() sends no signal; one save queues the recomputation
    assert len(callbacks) == 1
    page = client.get("/growth/d/science/").content.decode()
    assert "being recomputed" in page  # until the worker has run
    services.reaggregate_all()  # what the queued task does
    simulated.refresh_from_db()
    assert simulated.rules_version != before
    assert RuleSetVersion.objects.count() == 2
    assert climate_before and selectors.heatmap_rows(simulated, "science/climate") == []
    page = client.get("/growth/d/science/").content.decode()
    assert f"rules v{simulated.rules_version.number}" in page
    assert "being recomputed" not in page


def test_admin_refuses_a_rule_that_both_excludes_and_overrides(admin_client):
    response = admin_client.post(
        "/admin/growth/domainrule/add/",
        {"domain": "science", "subdomain": "biology", "field": "tag", "value": "x",
         "description": "", "exclude": "on", "overrides_exclusions": "on", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "cannot also override exclusions" in response.content.decode()
    assert not DomainRule.objects.filter(value="x").exists()


def test_precision_command_reports_active_rules_and_fails_when_they_are_loose():
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("science_precision", stdout=out)
    assert "science/protein-structure" in out.getvalue() and "precision" in out.getvalue()
    DomainRule.objects.filter(domain="science", exclude=True).update(active=False)
    with pytest.raises(CommandError, match=r"precision below 0\.9"):
        call_command("science_precision", stdout=io.StringIO())
