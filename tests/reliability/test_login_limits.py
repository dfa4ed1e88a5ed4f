"""Login limits (issue 19): the admin's login shares the site's limiter (M2); counts live in a
cache every web process shares; back-off per (address, account) instead of a lock-out anyone
could trigger (Low)."""

import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, worker_environment

pytestmark = pytest.mark.django_db


def _post(url, username, password, address):
    return (
        Client()
        .post(url, {"username": username, "password": password}, REMOTE_ADDR=address)
        .status_code
    )


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_repeated_failures_back_off_for_that_address_and_account(url, lab_member, settings):
    settings.LOGIN_RATE_LIMIT = "1000/m"  # the per-address limit is not what this test is about
    settings.LOGIN_FREE_FAILURES = 3
    settings.LOGIN_BACKOFF_BASE_SECONDS = 600  # the first wait outlasts the test
    codes = [_post(url, lab_member.username, "wrong", "10.0.0.66") for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429], codes
    # Even the right password waits out the back-off from the attacker's address ...
    assert _post(url, lab_member.username, PASSWORD, "10.0.0.66") == 429
    # ... but the account is not locked: its owner, elsewhere, logs in at once.
    assert _post(reverse("login"), lab_member.username, PASSWORD, "10.0.0.7") == 302


def test_the_admin_login_is_rate_limited_per_address(db, settings):
    settings.LOGIN_RATE_LIMIT = "3/d"  # a day-long window: no window boundary mid-test
    codes = [_post("/admin/login/", f"user{i}", "wrong", "10.0.0.99") for i in range(5)]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:], codes


def test_failures_counted_by_another_process_count_here(lab_member, settings):
    """Web processes share the counts: failures recorded by a separate Python process (another
    gunicorn worker, in production) put this one into back-off."""
    settings.LOGIN_FREE_FAILURES = 2
    settings.LOGIN_BACKOFF_BASE_SECONDS = 600
    script = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from config.security import login_failed\n"
        "request = RequestFactory().post('/accounts/login/', {'username': 'member'},"
        " REMOTE_ADDR='10.0.0.5')\n"
        "for _ in range(3): login_failed(request)\n"
    )
    env = worker_environment(
        DJANGO_SETTINGS_MODULE="tests.settings",
        LOGIN_FREE_FAILURES="2",
        LOGIN_BACKOFF_BASE_SECONDS="600",
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert _post(reverse("login"), "member", PASSWORD, "10.0.0.5") == 429
