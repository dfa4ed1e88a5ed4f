"""Security findings about the server itself, tested over real HTTP against a live server
(issue 19): a stalled upload chunk, the chunk's content type, the admin login's rate limit,
private pages' caching. Every socket has a timeout, so each test stops by itself."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from curation.models import Submission
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough for a healthy server; far shorter than SQLite's 20 s lock wait, so a write that
# queues behind a stalled client's lock fails the test instead of passing late.
REQUEST_TIMEOUT_S = 8
REPO = Path(__file__).resolve().parents[2]


def _token(user) -> dict:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def _api_upload(base: str, auth: dict, pk: int, data: bytes, path="meta/info.json"):
    start = requests.post(
        f"{base}{reverse('curation:api_upload_create', args=[pk])}",
        json={"kind": "file", "path": path, "size": len(data)},
        headers=auth,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert start.status_code == 201, start.text
    return requests.patch(
        f"{base}{start.json()['url']}",
        data=data,
        headers={
            **auth,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=REQUEST_TIMEOUT_S,
    )


def _create(base: str, auth: dict, lab, title: str) -> int:
    response = requests.post(
        f"{base}{reverse('curation:api_submissions')}",
        json={"lab": lab.slug, "title": title},
        headers=auth,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _log_in(base: str, username: str) -> requests.Response:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=REQUEST_TIMEOUT_S)
    return session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=REQUEST_TIMEOUT_S,
        allow_redirects=False,
    )


def _read_response(sock: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return (head + b"\r\n\r\n" + body).decode("latin-1")


def test_a_stalled_chunk_blocks_no_one_else_and_ends_by_itself(
    live_server, settings, lab, other_lab, lab_member, other_lab_member
):
    """H2: a client declares 1,000 bytes, sends 10 and waits. Meanwhile other users log in,
    create drafts and upload; then the stalled request ends on its own with what arrived, and
    the client resumes from there."""
    settings.UPLOAD_READ_TIMEOUT_SECONDS = 3
    base = live_server.url
    attacker = _token(lab_member)
    pk = _create(base, attacker, lab, "Stalled")
    start = requests.post(
        f"{base}{reverse('curation:api_upload_create', args=[pk])}",
        json={"kind": "file", "path": "meta/info.json", "size": 1000},
        headers=attacker,
        timeout=REQUEST_TIMEOUT_S,
    )
    chunk_url = start.json()["url"]

    host, port = urlsplit(base).hostname, urlsplit(base).port
    stalled = socket.create_connection((host, port), timeout=REQUEST_TIMEOUT_S + 10)
    try:
        stalled.sendall(
            (
                f"PATCH {chunk_url} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: {attacker['Authorization']}\r\n"
                "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                "Content-Length: 1000\r\n\r\n"
            ).encode()
            + b"x" * 10
        )
        time.sleep(0.5)  # the server is now reading the body, waiting for 990 more bytes

        # Everyone else carries on: a login, a new draft, a whole upload.
        assert _log_in(base, other_lab_member.username).status_code == 302
        other = _token(other_lab_member)
        other_pk = _create(base, other, other_lab, "Unaffected")
        assert _api_upload(base, other, other_pk, b'{"fps": 10}').status_code == 200

        # The stalled request ends by itself (read timeout) and says where to continue: at most
        # the 10 bytes that came are kept (a partly read buffer is dropped, never half-written).
        answer = _read_response(stalled)
        assert answer.startswith("HTTP/1.1 200"), answer[:300]
        offset = int(re.search(r"(?i)upload-offset: (\d+)\r\n", answer).group(1))
        assert offset in (0, 10), answer[:500]
    finally:
        stalled.close()

    resumed = requests.patch(
        f"{base}{chunk_url}",
        data=(b"x" * 10 + b"y" * 990)[offset:],
        headers={
            **attacker,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=REQUEST_TIMEOUT_S,
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.headers["Upload-Offset"] == "1000"
    assert resumed.json()["completed_at"]
    assert Submission.objects.get(pk=pk).files.get(path="meta/info.json").blob.size == 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_half_sent_requests_do_not_starve_gunicorn(tmp_path):
    """M3: 24 connections that send half a request and stop, against the shipped gunicorn setup
    (platform/gunicorn.conf.py, here 2 processes x 2 threads); ordinary requests still get
    answers. Before the fix every request timed out."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        "WEB_READ_TIMEOUT_SECONDS": "2",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            str(REPO / "platform/gunicorn.conf.py"),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/accounts/login/"
    half_open = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()[-2000:]
                time.sleep(0.5)
        for _ in range(24):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            half_open.append(sock)
        time.sleep(0.5)
        # Each half-sent request holds a thread for at most the read timeout (2 s), so the first
        # answer may wait for 24 / 4 threads x 2 s; before the fix none ever came.
        codes = [requests.get(url, timeout=30).status_code for _ in range(5)]
        assert codes == [200] * 5
    finally:
        for sock in half_open:
            sock.close()
        server.terminate()
        try:
            server.wait(timeout=45)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_chunks_need_their_content_type_and_long_archive_names_are_refused_at_start(
    live_server, lab, lab_member
):
    """Info: the chunk PATCH accepted any Content-Type. Low: an archive name of 220+ characters
    made the last chunk fail with a 500, forever; it is now refused when the upload starts."""
    base = live_server.url
    auth = _token(lab_member)
    pk = _create(base, auth, lab, "Content types")
    start = requests.post(
        f"{base}{reverse('curation:api_upload_create', args=[pk])}",
        json={"kind": "file", "path": "README.md", "size": 5},
        headers=auth,
        timeout=REQUEST_TIMEOUT_S,
    )
    chunk_url = f"{base}{start.json()['url']}"
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        refused = requests.patch(
            chunk_url,
            data=b"hello",
            headers={**auth, "Upload-Offset": "0", "Content-Type": content_type},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert refused.status_code == 415, (content_type, refused.text)
        assert "application/offset+octet-stream" in refused.json()["detail"]
    accepted = requests.patch(
        chunk_url,
        data=b"hello",
        headers={**auth, "Upload-Offset": "0", "Content-Type": "application/octet-stream"},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert accepted.status_code == 200 and accepted.json()["completed_at"]

    long_name = "x" * 230 + ".zip"
    refused = requests.post(
        f"{base}{reverse('curation:api_upload_create', args=[pk])}",
        json={"kind": "archive", "path": long_name, "size": 100},
        headers=auth,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert refused.status_code == 400, refused.text
    assert "archive names are limited to 200 bytes" in refused.text
