"""Small security pieces shared by every app (see platform/RELIABILITY.md, issue 19).

- ``PrivatePagesNotStoredMiddleware``: ``Cache-Control: private, no-store`` on what a logged-in
  user is shown, so a shared browser or proxy never keeps another person's drafts.
- ``body_read_timeout``: bound each read of a request body (a stalled client ends its own request).
- ``header_text``: text made safe for an email header (no line breaks: no header injection).
- ``strip_server_paths``: server folders out of reports shown to users (paths relative to the
  dataset instead).
- ``login_throttled``: the site's and the admin's login, limited per address and backed off per
  (address, account) in the shared ``limits`` cache.
"""

import contextlib
import functools
import hashlib
import math
import os
import socket
import time
import unicodedata

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.cache import patch_cache_control


class PrivatePagesNotStoredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A view that chose its own caching (static files, public downloads) keeps its choice.
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


# --- bounded reads of a request body ------------------------------------------------------------

# Attributes through which the WSGI servers we run reach the client's socket: gunicorn's
# Body -> LengthReader/ChunkedReader -> SocketUnreader.sock; Django's dev and test server
# LimitedStream (keeps only the bound ``_read``) -> BufferedReader -> SocketIO._sock.
_STREAM_LINKS = ("_stream", "stream", "reader", "unreader", "sock", "_sock", "rfile", "raw", "file")
_METHOD_LINKS = ("_read", "read")


def client_socket(stream, depth: int = 8) -> socket.socket | None:
    """The socket a request body is read from, when the server lets us reach it; else None."""
    seen = set()
    todo = [(stream, 0)]
    while todo:
        obj, level = todo.pop()
        if obj is None or id(obj) in seen or level > depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, socket.socket):
            return obj
        if isinstance(obj, HttpRequest):
            todo.append((obj.META.get("wsgi.input"), level + 1))
        for name in _STREAM_LINKS:
            with contextlib.suppress(Exception):
                todo.append((getattr(obj, name, None), level + 1))
        for name in _METHOD_LINKS:
            with contextlib.suppress(Exception):
                todo.append((getattr(getattr(obj, name, None), "__self__", None), level + 1))
    return None


@contextlib.contextmanager
def body_read_timeout(stream, seconds: float):
    """Within the block, a read of ``stream`` that waits more than ``seconds`` for bytes raises
    ``TimeoutError`` instead of blocking the thread for as long as the client likes.

    Works on the servers we ship (gunicorn, Django's runserver/test server); on another server the
    block does nothing, and the buffering proxy of platform/DEPLOY.md is what bounds slow bodies.
    """
    sock = client_socket(stream)
    if sock is None or seconds <= 0:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(previous)


# --- login throttling: back-off per (address, account) ---------------------------------------------


def _login_key(request) -> str:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    from django_ratelimit.core import _get_ip  # the address the per-address limits count

    try:
        address = _get_ip(request)
    except Exception:  # a proxy misconfiguration must not break logins: fall back to the socket
        address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{address}\0{username}".encode()).hexdigest()
    return f"login-backoff:{digest}"


def login_backoff_remaining(request) -> int:
    """Seconds this address must wait before trying this account again (0: go ahead)."""
    state = caches[settings.RATELIMIT_USE_CACHE].get(_login_key(request))
    if not state:
        return 0
    return max(0, math.ceil(state["until"] - time.time()))


def login_failed(request) -> None:
    """One more failure for (address, account): from the LOGIN_FREE_FAILURES-th on, wait
    LOGIN_BACKOFF_BASE_SECONDS (1 s), then twice as long after each further failure, up to
    LOGIN_MAX_BACKOFF_SECONDS. Only this address waits, so no one can
    lock an account out from elsewhere."""
    cache = caches[settings.RATELIMIT_USE_CACHE]
    key = _login_key(request)
    state = cache.get(key) or {"failures": 0, "until": 0.0}
    state["failures"] += 1
    over = state["failures"] - settings.LOGIN_FREE_FAILURES
    if over >= 0:
        wait = settings.LOGIN_BACKOFF_BASE_SECONDS * 2**over
        state["until"] = time.time() + min(wait, settings.LOGIN_MAX_BACKOFF_SECONDS)
    cache.set(key, state, timeout=24 * 3600)


def login_succeeded(request) -> None:
    caches[settings.RATELIMIT_USE_CACHE].delete(_login_key(request))


def login_throttled(view):
    """Wrap a login view (the site's and the admin's): per-address rate limit
    (LOGIN_RATE_LIMIT, django-ratelimit in the shared cache), and back-off per (address, account).
    A login view answers a failed POST with the form again (200) and a success with a redirect."""
    from django_ratelimit.decorators import ratelimit

    @functools.wraps(view)
    @ratelimit(key="ip", rate=lambda g, r: settings.LOGIN_RATE_LIMIT, method="POST", block=True)
    def throttled(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        wait = login_backoff_remaining(request)
        if wait:
            from config.views import rate_limited

            response = rate_limited(request, None)
            response["Retry-After"] = str(wait)
            return response
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            login_succeeded(request)
        elif response.status_code == 200:
            login_failed(request)
        return response

    return throttled


# --- email headers -----------------------------------------------------------------------------


def header_text(value, limit: int = 200) -> str:
    """``value`` made safe for an email header (subject, display name): line breaks and other
    control or separator characters become spaces, runs of spaces one, and the result is cut to
    ``limit`` characters. Django refuses a header with a newline (``BadHeaderError``), which
    turned a dataset title with a newline into a 500 after the decision had committed."""
    text = "".join(" " if unicodedata.category(c)[0] in ("C", "Z") else c for c in str(value or ""))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- server paths out of what users read ------------------------------------------------------------


def _server_prefixes(dataset_root=None) -> list[tuple[str, str]]:
    """(server path, what users see instead), longest first so the most specific one wins."""
    import sys
    from pathlib import Path

    prefixes = []
    if dataset_root:
        for root in {str(dataset_root), str(Path(dataset_root).resolve())}:
            prefixes += [(root.rstrip("/") + "/", ""), (root.rstrip("/"), ".")]
    for path, label in (
        (getattr(settings, "STORAGE_ROOT", None), "<storage>"),
        (getattr(settings, "BASE_DIR", None), "<app>"),
        (sys.prefix, "<python>"),
        (sys.base_prefix, "<python>"),
        (os.path.expanduser("~"), "~"),
    ):
        if path and str(path) not in ("/", "."):
            prefixes.append((str(path).rstrip("/"), label))
    return sorted(prefixes, key=lambda p: len(p[0]), reverse=True)


def strip_server_paths(value, dataset_root=None):
    """``value`` (a report: dicts, lists, strings) with server paths taken out: paths inside the
    dataset become relative to it, and the storage, application, Python and home folders become
    ``<storage>``, ``<app>``, ``<python>``, ``~``. Validation findings and inference reports are
    shown to labs, who need the file inside their dataset, not the server's layout (issue 19)."""
    prefixes = _server_prefixes(dataset_root)

    def clean(item):
        if isinstance(item, str):
            for path, label in prefixes:
                if path in item:
                    item = item.replace(path, label)
            return item
        if isinstance(item, dict):
            return {clean(k) if isinstance(k, str) else k: clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return clean(value)
