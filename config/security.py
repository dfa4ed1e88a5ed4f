"""Small security pieces shared by every app (see platform/RELIABILITY.md, issue 19).

- ``PrivatePagesNotStoredMiddleware``: ``Cache-Control: private, no-store`` on what a logged-in
  user is shown, so a shared browser or proxy never keeps another person's drafts.
- ``body_read_timeout``: bound each read of a request body (a stalled client ends its own request).
"""

import contextlib
import socket

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
