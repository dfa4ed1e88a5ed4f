"""The platform's base: settings, roles, login, health with a real worker."""

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from config.health import platform_health
from curation import roles
from curation.services import user_create
from tests.conftest import PASSWORD, REPO, database_url_of


def test_check_deploy_is_clean_with_debug_off(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 64 + "-long-and-random-enough-for-the-deploy-check",
        "ALLOWED_HOSTS": "curation.example.org",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "STORAGE_ROOT": str(tmp_path),
    }
    env.pop("HTTPS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_a_shared_cache(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "y" * 80,
        "STORAGE_ROOT": str(tmp_path),
    }
    env.pop("CACHE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "config.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0"}
    env.pop("SECRET_KEY", None)
    env["STORAGE_ROOT"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_role_groups_exist(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


def test_roles_of_user(lab_member, curator, researcher, db):
    assert roles.roles_of(lab_member) == {roles.LAB_MEMBER}
    assert roles.is_curator(curator) and not roles.is_curator(lab_member)
    assert roles.has_role(researcher, roles.RESEARCHER)
    staff = user_create(username="staff", password=PASSWORD, is_staff=True)
    assert roles.is_curator(staff)


def test_unknown_role_is_refused(db):
    with pytest.raises(ValueError, match="unknown role"):
        user_create(username="x", password=PASSWORD, roles=["janitor"])


def test_login_and_logout(client, lab_member):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert b"member" in home.content and b"lab member" in home.content
    client.post(reverse("logout"))
    assert b"Log in" in client.get(reverse("home")).content


def test_wrong_password_says_so(client, lab_member):
    response = client.post(reverse("login"), {"username": "member", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_logout_requires_post_with_csrf(lab_member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lab_member)
    assert strict.post(reverse("logout")).status_code == 403


def test_admin_is_reachable_for_staff(admin_client):
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_openapi_schema_is_served(client, db):
    response = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "openapi" in json.loads(response.content)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_health_ok_when_worker_answers(client, celery_worker):
    report = platform_health()
    assert report.status == "ok", report.as_dict()
    names = {check.name for check in report.checks}
    assert {"database", "broker", "worker:validation", "worker:inference", "worker:hub"} <= names

    response = client.get(reverse("health"), {"format": "json"})
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    html = client.get(reverse("health"))
    assert html.status_code == 200 and b'id="health-status">ok' in html.content


@pytest.mark.django_db(transaction=True)
def test_health_degraded_when_no_worker(tmp_path, settings):
    """A broker nobody listens to: the page answers 503 'degraded' within the timeout."""
    from django.db import connection

    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis://"):
        broker = broker.rsplit("/", 1)[0] + "/15"  # a Redis database no worker consumes
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/', {'format': 'json'}, HTTP_HOST='127.0.0.1');"
        "h = Client().get('/health/', HTTP_HOST='127.0.0.1');"
        "print(json.dumps({'code': r.status_code, 'body': r.json(), 'html': h.status_code,"
        " 'degraded_in_html': b'degraded' in h.content}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "STORAGE_ROOT": str(tmp_path),
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "CELERY_BROKER_URL": broker,
        "HEALTH_PING_TIMEOUT": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 503 and outcome["html"] == 503 and outcome["degraded_in_html"]
    body = outcome["body"]
    assert body["status"] == "degraded"
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["database"]["ok"] and checks["broker"]["ok"]
    assert not checks["worker:validation"]["ok"]
    assert "no worker answered" in checks["worker:validation"]["detail"]


def test_login_is_rate_limited_per_address(client, lab_member, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for attempt in range(3):
        response = client.post(reverse("login"), {"username": f"guess{attempt}", "password": "x"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"Too many requests" in response.content


def test_failed_logins_back_off_per_address_and_never_lock_the_owner_out(lab_member, settings):
    """Guesses at one account from one address back off; the owner, elsewhere, still logs in
    (a per-account limit let anyone lock a user out: issue 19)."""
    from django.test import Client

    settings.LOGIN_FREE_FAILURES = 2
    settings.LOGIN_BACKOFF_BASE_SECONDS = 600
    attacker = Client(REMOTE_ADDR="10.0.0.1")
    codes = [
        attacker.post(reverse("login"), {"username": "member", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    owner = Client(REMOTE_ADDR="10.0.0.2")
    assert (
        owner.post(reverse("login"), {"username": "member", "password": PASSWORD}).status_code
        == 302
    )


def test_user_gets_role_even_if_its_group_was_deleted(db):
    from django.contrib.auth.models import Group

    Group.objects.filter(name=roles.CURATOR).delete()
    user = user_create(username="late-curator", password=PASSWORD, roles=[roles.CURATOR])
    assert roles.is_curator(user)
