"""A small local stand-in for the Hugging Face Hub's file endpoints, for tests that call the real
``huggingface_hub.snapshot_download(repo_type="dataset")`` with ``HF_ENDPOINT`` pointed here.

It serves dataset repos from folders on disk, answering what snapshot_download uses:
- ``GET /api/datasets/{repo_id}`` and ``/api/datasets/{repo_id}/revision/{rev}``: repo info with
  ``sha`` and ``siblings``;
- ``GET /api/datasets/{repo_id}/tree/{rev}[/{path}]``: the recursive file listing that
  huggingface_hub 1.x's snapshot_download walks;
- ``HEAD``/``GET /datasets/{repo_id}/resolve/{rev}/{path}``: the file, with ``ETag``,
  ``X-Repo-Commit``, ``Content-Length`` (and ``Range`` support);
- anything else: 404 with ``X-Error-Code: RepoNotFound`` / ``EntryNotFound`` like the Hub.

    with HubFilesStub({"lab/pick-place": folder}) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
"""

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse


class _Repo:
    def __init__(self, repo_id: str, folder: Path):
        self.repo_id = repo_id
        self.folder = Path(folder)
        self.files = sorted(
            p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*") if p.is_file()
        )
        digest = hashlib.sha1(repo_id.encode(), usedforsecurity=False)
        for name in self.files:
            digest.update(name.encode())
            digest.update(hashlib.sha256((self.folder / name).read_bytes()).digest())
        self.sha = digest.hexdigest()  # a 40-hex commit id that changes with the content

    def info(self) -> dict:
        return {
            "_id": self.sha[:24],
            "id": self.repo_id,
            "sha": self.sha,
            "private": False,
            "gated": False,
            "disabled": False,
            "lastModified": "2026-01-01T00:00:00.000Z",
            "tags": ["LeRobot"],
            "author": self.repo_id.split("/")[0],
            "siblings": [
                {"rfilename": name, "size": (self.folder / name).stat().st_size}
                for name in self.files
            ],
        }


    def tree(self, under: str) -> list[dict]:
        """Every file and folder below ``under``, as the Hub's recursive tree listing gives them."""
        prefix = f"{under.strip('/')}/" if under.strip("/") else ""
        entries, folders = [], set()
        for name in self.files:
            if not name.startswith(prefix):
                continue
            parts = name.split("/")
            for depth in range(1, len(parts)):
                folders.add("/".join(parts[:depth]))
            data = (self.folder / name).read_bytes()
            entries.append(
                {
                    "type": "file",
                    "oid": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                    "size": len(data),
                    "path": name,
                }
            )
        entries += [
            {"type": "directory", "oid": self.sha, "size": 0, "path": folder}
            for folder in sorted(folders)
            if folder.startswith(prefix)
        ]
        return entries


class HubFilesStub:
    def __init__(self, repos: dict[str, Path]):
        self.repos = {repo_id: _Repo(repo_id, folder) for repo_id, folder in repos.items()}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                stub._handle(self, head=True)

            def do_GET(self):
                stub._handle(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _send(self, handler, status, body=b"", headers=None, head=False):
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def _not_found(self, handler, code, head):
        body = json.dumps({"error": code}).encode()
        self._send(
            handler,
            404,
            body,
            {"X-Error-Code": code, "X-Error-Message": code, "Content-Type": "application/json"},
            head,
        )

    def _handle(self, handler, head: bool):
        path = unquote(urlparse(handler.path).path)
        self.requests.append(f"{handler.command} {path}")
        info = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
        if info:
            repo = self.repos.get(info.group(1))
            if repo is None:
                return self._not_found(handler, "RepoNotFound", head)
            body = json.dumps(repo.info()).encode()
            return self._send(handler, 200, body, {"Content-Type": "application/json"}, head)
        tree = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", path)
        if tree:
            # huggingface_hub 1.x lists a snapshot's files with list_repo_tree(recursive=True).
            repo = self.repos.get(tree.group(1))
            if repo is None:
                return self._not_found(handler, "RepoNotFound", head)
            body = json.dumps(repo.tree(tree.group(3) or "")).encode()
            return self._send(handler, 200, body, {"Content-Type": "application/json"}, head)
        resolve = re.fullmatch(r"/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if resolve:
            repo = self.repos.get(resolve.group(1))
            if repo is None:
                return self._not_found(handler, "RepoNotFound", head)
            name = resolve.group(3)
            if name not in repo.files:
                return self._not_found(handler, "EntryNotFound", head)
            data = (repo.folder / name).read_bytes()
            headers = {
                "Content-Type": "application/octet-stream",
                "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                "X-Repo-Commit": repo.sha,
                "Accept-Ranges": "bytes",
            }
            status = 200
            ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", handler.headers.get("Range", ""))
            if ranged and not head:
                start = int(ranged.group(1))
                end = int(ranged.group(2)) if ranged.group(2) else len(data) - 1
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                data, status = data[start : end + 1], 206
            return self._send(handler, status, data, headers, head)
        return self._not_found(handler, "EntryNotFound", head)
