"""A local stand-in for the Hub's write endpoints that ``HfApi.create_repo``, ``upload_folder``
(regular, non-LFS uploads) and ``create_tag`` use, for tests of pushing datasets to the Hub:

- ``POST /api/repos/create``                          → ``{"url": ...}`` (409 if it exists)
- ``POST /api/validate-yaml``                          → no errors (README.md card metadata)
- ``POST /api/datasets/{repo}/preupload/{rev}``        → every file ``uploadMode: regular``
- ``POST /api/datasets/{repo}/commit/{rev}``           NDJSON → files stored, ``commitOid``
- ``POST /api/datasets/{repo}/tag/{rev}``              → tag recorded (409 if it exists)

Every request is logged with its ``Authorization`` header; ``fail_commits`` makes the next N
commits answer 500 (a Hub outage), to test retries.

    with HubWriteStub() as hub:
        HfApi(endpoint=hub.url, token="t").upload_folder(...)
        hub.repos["org/name"]["files"]     # path -> bytes
"""

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


class HubWriteStub:
    def __init__(self, fail_commits: int = 0):
        self.repos: dict[str, dict] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path, authorization)
        self.fail_commits = fail_commits
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                stub._handle(self)

            def do_DELETE(self):
                stub._delete(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.lock = threading.Lock()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _reply(self, handler, status: int, body: dict, code: str = ""):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        if code:
            handler.send_header("X-Error-Code", code)
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler):
        path = unquote(urlparse(handler.path).path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        self.requests.append(("POST", path, handler.headers.get("Authorization", "")))
        parts = path.strip("/").split("/")
        with self.lock:
            if path == "/api/validate-yaml":  # the Hub checks a README.md's card metadata
                return self._reply(handler, 200, {"errors": [], "warnings": []})
            if path == "/api/repos/create":
                spec = json.loads(body)
                repo_id = f"{spec.get('organization') or 'user'}/{spec['name']}"
                if "/" in spec["name"]:
                    repo_id = spec["name"]
                if repo_id in self.repos:
                    return self._reply(handler, 409, {"error": "exists", "url": self._url(repo_id)})
                self.repos[repo_id] = {
                    "files": {},
                    "tags": {},
                    "commits": [],
                    "private": spec.get("private"),
                }
                return self._reply(handler, 200, {"url": self._url(repo_id)})
            if len(parts) >= 6 and parts[:2] == ["api", "datasets"]:
                repo_id, action = f"{parts[2]}/{parts[3]}", parts[4]
                repo = self.repos.get(repo_id)
                if repo is None:
                    return self._reply(handler, 404, {"error": "no repo"}, "RepoNotFound")
                if action == "preupload":
                    files = json.loads(body)["files"]
                    return self._reply(handler, 200, {"files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                        for f in files
                    ]})  # fmt: skip
                if action == "commit":
                    if self.fail_commits > 0:
                        self.fail_commits -= 1
                        return self._reply(handler, 500, {"error": "Hub is down"})
                    for line in body.splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            value = item["value"]
                            repo["files"][value["path"]] = base64.b64decode(value["content"])
                    oid = hashlib.sha1(json.dumps(sorted(
                        (p, hashlib.sha256(c).hexdigest()) for p, c in repo["files"].items()
                    )).encode(), usedforsecurity=False).hexdigest()  # fmt: skip
                    repo["commits"].append(oid)
                    return self._reply(handler, 200, {
                        "commitUrl": f"{self._url(repo_id)}/commit/{oid}",
                        "commitOid": oid,
                        "pullRequestUrl": None,
                    })  # fmt: skip
                if action == "tag":
                    tag = json.loads(body)["tag"]
                    if tag in repo["tags"]:
                        return self._reply(handler, 409, {"error": "tag exists"})
                    repo["tags"][tag] = repo["commits"][-1] if repo["commits"] else None
                    return self._reply(handler, 200, {})
            return self._reply(handler, 404, {"error": f"not served: {path}"}, "EntryNotFound")

    def _delete(self, handler):
        path = unquote(urlparse(handler.path).path)
        self.requests.append(("DELETE", path, handler.headers.get("Authorization", "")))
        parts = path.strip("/").split("/")
        with self.lock:
            repo = self.repos.get(f"{parts[2]}/{parts[3]}") if len(parts) == 6 else None
            if repo is None or parts[4] != "tag" or parts[5] not in repo["tags"]:
                return self._reply(handler, 404, {"error": "no such tag"}, "RevisionNotFound")
            del repo["tags"][parts[5]]
            return self._reply(handler, 200, {})

    def _url(self, repo_id: str) -> str:
        return f"{self.url}/datasets/{repo_id}"
