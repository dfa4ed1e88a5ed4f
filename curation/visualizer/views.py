"""The visualizer's part of the dataset page, its data endpoints and its video endpoint.

Thin: permissions come from ``curation.views.submission_for`` (who may see a version), data from
``curation.visualizer.store`` (precomputed files). The episode endpoint returns the stored JSON
bytes as they are: no parquet read, no JSON parse per request.
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from config.params import is_whole_number
from curation.distribution.streams import RangeNotSatisfiable, parse_range
from curation.services import storage as blob_storage
from validators.lerobot_commands import conversion_command, delete_episodes_prefix

from . import store

RANGE_CHUNK = 256 * 1024
ASSET = re.compile(r"^(frames/\d+/[A-Za-z0-9._-]+-(first|last)|images/\d+/[A-Za-z0-9._-]+)\.jpg$")


def _submission(request, pk):
    from curation.views import submission_for  # one place decides who sees a version

    return submission_for(request.user, pk)


def copy_name_of(submission) -> str:
    """The folder name of a user's copy: the Hub repository's name when imported from the Hub
    (what ``hf download`` creates), else the dataset's slug."""
    if submission.source == "hub" and submission.source_ref:
        return submission.source_ref.rstrip("/").rsplit("/", 1)[-1]
    return submission.dataset.slug


def page_context(submission, episode_param: str | None) -> dict:
    """What ``curation/_visualizer.html`` needs. The heavy data goes to the page through
    ``json_script`` (the index) and the episode endpoint (series)."""
    index = store.load_index(submission.pk)
    pk = submission.pk
    context = {"vis_index": index, "vis_submission": submission}
    if index is None:
        context["vis_missing"] = True
        return context
    episodes = index.get("episodes") or []
    ids = [e["episode"] for e in episodes]
    message = ""
    selected = ids[0] if ids else None
    if episode_param not in (None, ""):
        if not is_whole_number(str(episode_param)):
            message = f"“{episode_param}” is not an episode number."
        elif int(episode_param) not in ids:
            message = (
                f"Episode {int(episode_param)} does not exist in this version: it has "
                f"{len(ids)} episode(s)" + (f", numbered {ids[0]}-{ids[-1]}." if ids else ".")
            )
        else:
            selected = int(episode_param)
    findings = (submission.report or {}).get("findings") or []
    context["vis_doctor"] = [
        (severity, [f for f in findings if f.get("severity") == severity])
        for severity in ("error", "warning", "info")
        if any(f.get("severity") == severity for f in findings)
    ]
    copy_name = copy_name_of(submission)
    version = str(index.get("codebase_version") or "")
    context.update(
        {
            "vis_message": message,
            "vis_copy_name": copy_name,
            "vis_conversion_command": conversion_command(copy_name),
            "vis_selected": selected,
            "vis_problems": index.get("problems") or [],
            "vis_stats": index.get("stats") or [],
            "vis_stats_source": index.get("stats_source") or "",
            "vis_stats_disputed": sum(1 for r in index.get("stats") or [] if r.get("disagrees")),
            "vis_needs_conversion": version.startswith("v2"),
            "vis_config": {
                "index": index,
                "selected": selected,
                "copy_name": copy_name,
                "delete_prefix": delete_episodes_prefix(copy_name),
                "codebase_version": version,
                "urls": {
                    "episode": reverse("curation:visualizer_episode", args=[pk, 0]).rsplit(
                        "/0.json", 1
                    )[0]
                    + "/",
                    "asset": reverse("curation:visualizer_asset", args=[pk, "x.jpg"]).rsplit(
                        "x.jpg", 1
                    )[0],
                    "video": reverse("curation:visualizer_video", args=[pk, "videos/x"]).rsplit(
                        "videos/x", 1
                    )[0],
                },
            },
        }
    )
    return context


@require_GET
def episode_data(request, pk, episode):
    """One episode's chart series, exactly as stored at indexing time."""
    _submission(request, pk)
    handle = store.open_file(pk, f"episodes/{int(episode)}.json")
    if handle is None:
        index = store.load_index(pk)
        ids = [e["episode"] for e in (index or {}).get("episodes") or []]
        reason = (
            "the visualizer data of this version has not been built"
            if index is None
            else f"episode {episode} has no data in this version"
            + (f" (episodes {ids[0]}-{ids[-1]})" if ids else "")
        )
        return JsonResponse({"error": reason}, status=404)
    with handle:
        body = handle.read()
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def asset(request, pk, path):
    """A first/last frame thumbnail or an image-feature sprite sheet (JPEG)."""
    _submission(request, pk)
    if not ASSET.match(path):
        raise Http404("no such visualizer file")
    handle = store.open_file(pk, path)
    if handle is None:
        raise Http404("no such visualizer file")
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stream(handle, start: int, length: int):
    try:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(RANGE_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


@require_http_methods(["GET", "HEAD"])
def video(request, pk, path):
    """A camera video of the version, with HTTP Range support so browsers can seek (v3.0 pages
    seek to the episode's segment of a shared file)."""
    submission = _submission(request, pk)
    if not path.startswith("videos/"):
        raise Http404("not a video of this version")
    file = submission.files.select_related("blob").filter(path=path).first()
    if file is None:
        raise Http404(f"{path} is not in this version")
    size = file.blob.size
    try:  # one Range rule for every stored file the site serves
        wanted = parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle = blob_storage.open_blob(file.blob)
    start, end = wanted if wanted else (0, size - 1)
    length = max(0, end - start + 1)
    response = StreamingHttpResponse(
        _stream(handle, start, length),
        status=206 if wanted else 200,
        content_type="video/mp4" if path.endswith(".mp4") else "application/octet-stream",
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
