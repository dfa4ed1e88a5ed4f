"""Pages and downloads of datasets: the file browser, a whole version as a streamed zip, and the
citation files. Single files are served by the Hub-compatible ``resolve`` route (one route for
browsers and for huggingface_hub). Thin: reads in ``curation.distribution.selectors``."""

import functools

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from curation.distribution import card
from curation.distribution import selectors as dist
from curation.distribution.hub_api import InvalidToken, hub_user
from curation.distribution.streams import zip_stream


def page_errors(view):
    """Distribution lookups that fail are a 404 page, whatever failed (the dataset, its version, a
    path): an unpublished dataset the user may not see does not exist for them. The user is the
    session's, or a script's API token (``Authorization: Bearer``), as on the Hub API."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.user = hub_user(request)
        except InvalidToken:
            return HttpResponse("invalid API token", status=401, content_type="text/plain")
        try:
            return view(request, *args, **kwargs)
        except dist.RepoNotFound as exc:
            raise Http404("no such dataset") from exc
        except dist.RevisionNotFound as exc:
            raise Http404(f"no version {exc} of this dataset") from exc
        except dist.EntryNotFound as exc:
            raise Http404(f"no {exc} in this version") from exc

    return wrapped


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@page_errors
def dataset_tree(request, lab, slug, revision, path=""):
    resolved = dist.revision_for(request.user, f"{lab}/{slug}", revision)
    entries = dist.tree(resolved, path)
    crumbs = []
    parts = [p for p in path.strip("/").split("/") if p]
    for i, part in enumerate(parts):
        crumbs.append((part, "/".join(parts[: i + 1])))
    return render(
        request,
        "curation/dataset_tree.html",
        {
            "dataset": resolved.dataset,
            "shown": resolved.submission,
            "revision": revision,
            "path": path.strip("/"),
            "crumbs": crumbs,
            "entries": [(e, _human_size(e.size)) for e in entries],
            "total_size": _human_size(sum(f.size for f in resolved.files)),
            "file_count": len(resolved.files),
        },
    )


@page_errors
def dataset_zip(request, lab, slug, revision):
    """The whole version as one zip, written while it is sent (never built in memory or on
    disk)."""
    resolved = dist.revision_for(request.user, f"{lab}/{slug}", revision)
    submission = resolved.submission
    moment = submission.decided_at or submission.state_changed_at
    folder = f"{slug}-v{submission.version}"
    response = StreamingHttpResponse(
        zip_stream(resolved.files, folder=folder, date_time=moment.timetuple()[:6]),
        content_type="application/zip",
    )
    response["Content-Disposition"] = f'attachment; filename="{lab}-{folder}.zip"'
    response["X-Repo-Commit"] = resolved.commit
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-transform"
    return response


@page_errors
def dataset_citation(request, lab, slug, revision, fmt):
    resolved = dist.revision_for(request.user, f"{lab}/{slug}", revision)
    context = card.card_context(request, resolved.submission)
    body, content_type, name = {
        "bib": (context["bibtex"], "application/x-bibtex", f"{slug}.bib"),
        "cff": (context["cff"], "application/x-yaml", "CITATION.cff"),
    }[fmt]
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
