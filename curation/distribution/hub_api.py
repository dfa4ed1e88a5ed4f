"""The read subset of the Hugging Face Hub HTTP API, so that ``huggingface_hub`` and ``lerobot``
work with nothing but ``HF_ENDPOINT`` pointed at the platform.

Served (the calls of ``HfApi.list_datasets``, ``dataset_info``, ``list_repo_refs``,
``list_repo_tree``, ``get_paths_info``, ``hf_hub_download`` and ``snapshot_download``):

- ``GET  /api/datasets``                                   list, with ``search``/``author``/
  ``sort``/``limit`` and ``Link: <...>; rel="next"`` pagination
- ``GET  /api/datasets/<lab>/<slug>[/revision/<rev>]``      info with ``sha`` and ``siblings``
- ``GET  /api/datasets/<lab>/<slug>/refs``                  branches and tags
- ``GET  /api/datasets/<lab>/<slug>/tree/<rev>[/<path>]``   folder listing (``recursive``)
- ``POST /api/datasets/<lab>/<slug>/paths-info/<rev>``      entries for given paths
- ``HEAD|GET /datasets/<lab>/<slug>/resolve/<rev>/<path>``  the file, with ``ETag`` (sha256),
  ``X-Repo-Commit``, ``Content-Length`` and ``Range``

Errors carry the Hub's ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``,
``EntryNotFound``) so the client raises its own exceptions. Authentication: a platform API token
as ``Authorization: Bearer <token>`` (``HF_TOKEN``), or the browser session. Unpublished versions
are visible exactly to those who see them on the site; for everyone else they do not exist.
"""

import hashlib
import json
from datetime import UTC
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from curation import selectors
from curation.distribution import selectors as dist
from curation.distribution.streams import file_response
from curation.models import SubmissionState

PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000


class InvalidToken(Exception):
    pass


def hub_user(request):
    """The user behind a Hub-style request: ``Bearer`` token first, then the session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
        token = Token.objects.select_related("user").filter(key=key).first()
        if token is None or not token.user.is_active:
            raise InvalidToken()
        return token.user
    return request.user if request.user.is_authenticated else AnonymousUser()


def _error(status: int, code: str, message: str) -> HttpResponse:
    response = JsonResponse({"error": message}, status=status)
    response["X-Error-Code"] = code
    response["X-Error-Message"] = message
    return response


def hub_view(methods):
    """Authenticate, then map the distribution errors to the Hub's answers, in one place."""

    def decorate(view):
        @csrf_exempt  # read-only; paths-info is a POST only because the Hub made it one
        @require_http_methods(methods)
        def wrapped(request, *args, **kwargs):
            try:
                user = hub_user(request)
            except InvalidToken:
                return _error(401, "", "Invalid credentials in Authorization header")
            try:
                return view(request, user, *args, **kwargs)
            except dist.RepoNotFound:
                return _error(
                    404,
                    "RepoNotFound",
                    "Repository not found: no such dataset, or you may not see it",
                )
            except dist.RevisionNotFound as exc:
                return _error(404, "RevisionNotFound", f"Invalid rev id: {exc}")
            except dist.EntryNotFound as exc:
                return _error(404, "EntryNotFound", f"Entry not found: {exc}")

        return wrapped

    return decorate


def _iso(moment) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _repo_json(dataset, versions, main, *, commit: str, siblings=None) -> dict:
    summary = (main.report or {}).get("summary") or {}
    tags = ["LeRobot", "robotics"]
    if summary.get("robot_type"):
        tags.append(f"robot_type:{summary['robot_type']}")
    if dataset.domain:
        tags.append(f"domain:{dataset.domain}")
    codebase = dist.codebase_version_of(main)
    if codebase:
        tags.append(f"codebase_version:{codebase}")
    body = {
        "_id": f"{dataset.pk:024x}",
        "id": dist.repo_id_of(dataset),
        "author": dataset.lab.slug,
        "sha": commit,
        "createdAt": _iso(dataset.created_at),
        "lastModified": _iso(main.decided_at or main.state_changed_at),
        "private": main.state != SubmissionState.APPROVED,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": tags,
        "description": dataset.description or dataset.title,
        "cardData": {"pretty_name": dataset.title, "tags": tags[:2]},
    }
    if siblings is not None:
        body["siblings"] = siblings
    return body


def _siblings(revision: dist.Revision, *, blobs: bool) -> list[dict]:
    out = []
    for f in revision.files:
        sibling = {"rfilename": f.path}
        if blobs:
            sibling.update(
                size=f.size,
                blobId=f.sha256[:40],
                lfs={"sha256": f.sha256, "size": f.size, "pointerSize": 134},
            )
        out.append(sibling)
    return out


def _entry_json(entry: dist.TreeEntry, commit: str) -> dict:
    if entry.kind == "directory":
        oid = hashlib.sha1(f"{commit}:{entry.path}".encode(), usedforsecurity=False).hexdigest()
        return {"type": "directory", "oid": oid, "path": entry.path}
    return {
        "type": "file",
        "oid": entry.sha256[:40],
        "size": entry.size,
        "path": entry.path,
        "lfs": {"oid": entry.sha256, "size": entry.size, "pointerSize": 134},
    }


def _page(request, items: list, make) -> JsonResponse:
    """One page of ``items`` (cursor = offset), with the Hub's ``Link`` header to the next."""
    try:
        limit = min(PAGE_SIZE_MAX, max(1, int(request.GET.get("limit") or PAGE_SIZE_DEFAULT)))
        offset = max(0, int(request.GET.get("cursor") or 0))
    except ValueError:
        limit, offset = PAGE_SIZE_DEFAULT, 0
    chunk = items[offset : offset + limit]
    response = JsonResponse([make(item) for item in chunk], safe=False)
    if offset + limit < len(items):
        query = request.GET.copy()
        query["cursor"] = str(offset + limit)
        query["limit"] = str(limit)
        url = request.build_absolute_uri(request.path) + "?" + urlencode(query, doseq=True)
        response["Link"] = f'<{url}>; rel="next"'
    return response


@hub_view(["GET"])
def list_datasets(request, user):
    datasets = dist.datasets_visible_to(user)
    if author := request.GET.get("author"):
        datasets = datasets.filter(lab__slug=author)
    for term in request.GET.getlist("search"):
        for word in term.split():
            datasets = datasets.filter(slug__icontains=word) | datasets.filter(
                title__icontains=word
            )
    sort = request.GET.get("sort") or "createdAt"
    direction = "" if request.GET.get("direction") == "1" else "-"
    order = {"createdAt": "created_at", "id": "slug"}.get(sort, "created_at")
    datasets = list(datasets.distinct().order_by(f"{direction}{order}", "pk"))
    full = request.GET.get("full") in ("1", "true", "True")

    def describe(dataset):
        versions = list(selectors.dataset_versions(dataset, user))
        main = dist.main_version(versions)
        revision = None
        if full:
            revision = dist.revision_for(user, dist.repo_id_of(dataset), "main")
        return _repo_json(
            dataset,
            versions,
            main,
            commit=revision.commit if revision else dist.commit_of(main),
            siblings=_siblings(revision, blobs=False) if revision else None,
        )

    return _page(request, datasets, describe)


@hub_view(["GET"])
def dataset_info(request, user, lab, slug, revision=None):
    repo_id = f"{lab}/{slug}"
    dataset, versions = dist.dataset_for(user, repo_id)
    resolved = dist.revision_for(user, repo_id, revision)
    blobs = request.GET.get("blobs") in ("1", "true", "True")
    body = _repo_json(
        dataset,
        versions,
        resolved.submission,
        commit=resolved.commit,
        siblings=_siblings(resolved, blobs=blobs),
    )
    body["usedStorage"] = sum(f.size for f in resolved.files)
    return JsonResponse(body)


@hub_view(["GET"])
def list_refs(request, user, lab, slug):
    _dataset, versions = dist.dataset_for(user, f"{lab}/{slug}")
    refs = dist.refs_of(versions)

    def ref(kind, name, submission):
        return {
            "name": name,
            "ref": f"refs/{kind}/{name}",
            "targetCommit": dist.commit_of(submission),
        }

    body = {
        "branches": [ref("heads", n, s) for n, s in refs["branches"]],
        "tags": [ref("tags", n, s) for n, s in refs["tags"]],
        "converts": [],
    }
    if request.GET.get("include_prs"):
        body["pullRequests"] = []
    return JsonResponse(body)


def _true(value) -> bool:
    return str(value).lower() in ("1", "true")


@hub_view(["GET"])
def tree(request, user, lab, slug, revision, path=""):
    resolved = dist.revision_for(user, f"{lab}/{slug}", revision)
    entries = dist.tree(resolved, path, recursive=_true(request.GET.get("recursive")))
    return _page(request, entries, lambda e: _entry_json(e, resolved.commit))


@hub_view(["POST"])
def paths_info(request, user, lab, slug, revision):
    resolved = dist.revision_for(user, f"{lab}/{slug}", revision)
    paths = request.POST.getlist("paths")
    if not paths and request.content_type == "application/json":
        try:
            paths = list(json.loads(request.body or b"{}").get("paths") or [])
        except (ValueError, AttributeError):
            paths = []
    entries = dist.paths_info(resolved, [str(p) for p in paths][:1000])
    return JsonResponse([_entry_json(e, resolved.commit) for e in entries], safe=False)


@hub_view(["GET", "HEAD"])
def resolve(request, user, lab, slug, revision, path):
    resolved = dist.revision_for(user, f"{lab}/{slug}", revision)
    entry = resolved.file(path)
    return file_response(
        entry,
        range_header=request.headers.get("Range", ""),
        head=request.method == "HEAD",
        headers={"X-Repo-Commit": resolved.commit},
    )
