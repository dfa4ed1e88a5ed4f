"""A local stand-in for the Hub's listing API (``/api/models``, ``/api/datasets``), for tests.

It answers like the Hub as far as our crawler and huggingface_hub's ``HfApi.list_*`` can tell:
JSON lists of repos, pages linked by a GitHub-style ``Link: <...>; rel="next"`` header carrying
an opaque ``cursor``, ``limit`` as the page size (capped at ``max_page_size``), and HTTP 429 with
``Retry-After`` / ``RateLimit`` headers when told to. Every request is logged so tests can check
what was (not) fetched again after a resume.

    stub = HubStub(models=[...], datasets=[...], max_page_size=3)
    with stub:                      # a threaded http.server on 127.0.0.1, random port
        HfApi(endpoint=stub.url).list_models(expand=["downloads"])
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"$offset": offset}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))["$offset"]


class HubStub:
    def __init__(self, models=(), datasets=(), max_page_size: int = 1000, commits=None):
        self.repos = {"models": list(models), "datasets": list(datasets)}
        # ("models"|"datasets", repo id) -> commit authors, one list per commit; served at
        # /api/{kind}/{id}/commits/{revision} like the Hub (HfApi.list_repo_commits)
        self.commits = commits or {}
        self.max_page_size = max_page_size
        # (kind, page offset) -> list of responses to give before the real page, each
        # {"status": 429, "headers": {...}}; consumed one per request.
        self.faults: dict[tuple[str, int], list[dict]] = {}
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # --- test helpers ------------------------------------------------------------------------

    def fail(self, kind: str, offset: int, times: int, status: int = 429, headers=None):
        """Answer the page at ``offset`` of ``kind`` ('models'/'datasets') with ``status`` N times."""
        self.faults.setdefault((kind, offset), []).extend(
            [{"status": status, "headers": headers or {}}] * times
        )

    def offsets_requested(self, kind: str) -> list[int]:
        return [r["offset"] for r in self.requests if r["kind"] == kind]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                stub._answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- the API ------------------------------------------------------------------------------

    def _answer(self, handler):
        parts = urlsplit(handler.path)
        if "/commits/" in parts.path:
            return self._answer_commits(handler, parts.path)
        kind = parts.path.removeprefix("/api/").strip("/")
        if kind not in self.repos:
            return self._send(handler, 404, {"error": f"Sorry, we can't find {parts.path}"})
        query = parse_qs(parts.query)
        try:
            offset = decode_cursor(query["cursor"][0]) if "cursor" in query else 0
            limit = min(int(query.get("limit", [self.max_page_size])[0]), self.max_page_size)
        except (ValueError, KeyError):
            return self._send(handler, 400, {"error": "bad cursor or limit"})
        with self._lock:
            self.requests.append(
                {"kind": kind, "offset": offset, "expand": query.get("expand", []), "limit": limit}
            )
            pending = self.faults.get((kind, offset))
            fault = pending.pop(0) if pending else None
        if fault is not None:
            return self._send(handler, fault["status"], {"error": "simulated"}, fault["headers"])
        repos = self.repos[kind]
        page = repos[offset : offset + limit]
        headers = {}
        if offset + limit < len(repos):
            next_query = {k: v for k, v in query.items() if k != "cursor"}
            next_query["cursor"] = [encode_cursor(offset + limit)]
            host, port = self._server.server_address[:2]
            link = f"http://{host}:{port}{parts.path}?{urlencode(next_query, doseq=True)}"
            headers["Link"] = f'<{link}>; rel="next"'
        return self._send(handler, 200, page, headers)

    def _answer_commits(self, handler, path):
        kind, _, rest = path.removeprefix("/api/").partition("/")
        repo_id = rest.rsplit("/commits/", 1)[0]
        with self._lock:
            self.requests.append({"kind": f"{kind}-commits", "offset": 0, "repo": repo_id})
        if (kind, repo_id) not in self.commits:
            return self._send(handler, 404, {"error": "Repository not found"})
        body = [
            {"id": f"{i:040x}", "authors": [{"user": a} for a in authors],
             "date": "2025-06-01T00:00:00.000Z", "title": f"commit {i}", "message": ""}
            for i, authors in enumerate(self.commits[(kind, repo_id)])
        ]  # fmt: skip
        return self._send(handler, 200, body)

    @staticmethod
    def _send(handler, status, body, headers=None):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
