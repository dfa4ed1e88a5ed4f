"""Web pages. Thin: they check permissions (``curation.policies``), call services and selectors,
and render. Every action here has an API twin in ``curation.api``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from config.params import int_param
from curation import conf, policies, roles, selectors
from curation import datapage as dataset_reads
from curation.forms import ArchiveForm, ImportForm, ReasonForm, SubmissionCreateForm
from curation.models import Dataset, Lab, Submission, SubmissionState, ValidationOutcome
from curation.services import comments, storage, uploads, workflow
from curation.visualizer import views as visualizer_views
from curation.workflow import TRANSITIONS, allowed_actions


def submission_for(user, pk: int) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("dataset__lab", "submitted_by", "reviewer"), pk=pk
    )
    if not policies.can_view_submission(user, submission):
        raise Http404("no such submission")  # don't reveal other labs' drafts exist
    return submission


def status_payload(submission: Submission) -> dict:
    return {
        "id": submission.pk,
        "state": submission.state,
        "state_label": submission.get_state_display(),
        "step": submission.progress_step,
        "done": submission.progress_done,
        "total": submission.progress_total,
        "percent": submission.progress_percent,
        "validation_outcome": submission.validation_outcome,
        "errors": submission.error_count,
        "warnings": submission.warning_count,
        "last_error": submission.last_error,
        "finished": submission.state != SubmissionState.VALIDATING,
    }


def group_findings(report: dict | None) -> list[tuple[str, list[dict]]]:
    findings = (report or {}).get("findings") or []
    order = ("error", "warning", "info")
    return [
        (sev, [f for f in findings if f.get("severity") == sev])
        for sev in order
        if any(f.get("severity") == sev for f in findings)
    ]


# --- lab members ---------------------------------------------------------------------------------


@login_required
def my_submissions(request):
    page = Paginator(selectors.my_lab_submissions(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curation/my_submissions.html",
        {"page": page, "can_create": roles.is_lab_member(request.user)},
    )


@login_required
def submission_new(request):
    if not roles.is_lab_member(request.user):
        raise PermissionDenied("only lab members upload datasets")
    form = SubmissionCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            submission = workflow.submission_create(user=request.user, **form.cleaned_data)
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("curation:submission", pk=submission.pk)
    return render(request, "curation/submission_new.html", {"form": form})


@login_required
@require_POST
def dataset_new_version(request, lab, slug):
    dataset = get_object_or_404(Dataset, lab__slug=lab, slug=slug)
    try:
        submission = workflow.submission_create(
            user=request.user,
            lab=dataset.lab,
            title=dataset.title,
            dataset=dataset,
            notes=request.POST.get("notes", ""),
        )
    except workflow.PermissionDenied:
        raise PermissionDenied("only the lab's members can add a version") from None
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("curation:dataset", lab=lab, slug=slug)
    return redirect("curation:submission", pk=submission.pk)


@login_required
def submission_detail(request, pk):
    submission = submission_for(request.user, pk)
    user = request.user
    actions = [
        a for a in allowed_actions(submission.state) if policies.can_act(user, submission, a)
    ]
    reviewers = []
    if "assign" in actions:
        reviewers = [
            u
            for u in get_user_model().objects.filter(groups__name=roles.CURATOR)
            if policies.can_review(u, submission)
        ]
    context = {
        "submission": submission,
        "dataset": submission.dataset,
        "files": submission.files.select_related("blob")[:500],
        "file_count": submission.files.count(),
        "uploads_open": submission.uploads.filter(completed_at__isnull=True),
        "can_edit": policies.can_edit_files(user, submission),
        "actions": actions,
        "reason_actions": [(a, ACTION_LABELS[a]) for a in actions if TRANSITIONS[a].needs_reason],
        "simple_actions": [
            (a, ACTION_LABELS[a])
            for a in actions
            if not TRANSITIONS[a].needs_reason and a != "assign"
        ],
        "reviewers": reviewers,
        "findings": group_findings(submission.report),
        "summary": (submission.report or {}).get("summary") or {},
        "audit": submission.audit_events.select_related("actor"),
        "change_request": submission.audit_events.filter(action="request_changes").last(),
        # Rendered with json_script, which escapes <, > and & (never |safe: see RELIABILITY.md H1).
        "status_json": status_payload(submission),
        "chunk_bytes": conf.upload_chunk_bytes(),
        "import_form": ImportForm(),
        "archive_form": ArchiveForm(),
        "import_roots": conf.import_roots(),
    }
    return render(request, "curation/submission_detail.html", context)


@login_required
def submission_status(request, pk):
    return JsonResponse(status_payload(submission_for(request.user, pk)))


ACTION_LABELS = {
    "submit": "Submit for validation and review",
    "resubmit": "Resubmit",
    "withdraw": "Withdraw",
    "claim": "Claim",
    "assign": "Assign",
    "approve": "Approve and publish",
    "request_changes": "Request changes",
    "reject": "Reject",
    "upload_failed": "",
    "validation_finished": "",
}

ACTION_SERVICES = {
    "submit": lambda s, u, r: workflow.submission_submit(submission_id=s, user=u),
    "resubmit": lambda s, u, r: workflow.submission_resubmit(submission_id=s, user=u),
    "withdraw": lambda s, u, r: workflow.submission_withdraw(submission_id=s, user=u, reason=r),
    "claim": lambda s, u, r: workflow.submission_claim(submission_id=s, user=u),
    "approve": lambda s, u, r: workflow.submission_approve(submission_id=s, user=u, reason=r),
    "request_changes": lambda s, u, r: workflow.submission_request_changes(
        submission_id=s, user=u, reason=r
    ),
    "reject": lambda s, u, r: workflow.submission_reject(submission_id=s, user=u, reason=r),
}


@login_required
@require_POST
def submission_action(request, pk, action):
    submission = submission_for(request.user, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        if action == "assign":
            reviewer = get_object_or_404(get_user_model(), pk=request.POST.get("reviewer") or 0)
            workflow.submission_assign(
                submission_id=submission.pk, user=request.user, reviewer=reviewer
            )
        elif action in ACTION_SERVICES:
            ACTION_SERVICES[action](submission.pk, request.user, reason)
        else:
            raise Http404("unknown action")
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{action.replace('_', ' ').capitalize()}: done.")
    return redirect("curation:submission", pk=submission.pk)


@login_required
@require_POST
def submission_comment(request, pk):
    submission = submission_for(request.user, pk)
    try:
        comments.comment_add(
            submission_id=submission.pk, user=request.user, body=request.POST.get("body", "")
        )
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Comment sent.")
    return redirect(reverse("curation:submission", args=[submission.pk]) + "#comments")


@login_required
@require_POST
def submission_import(request, pk):
    submission = submission_for(request.user, pk)
    form = ImportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "choose a source and give a path or repo id")
    else:
        try:
            uploads.submission_set_source(
                submission=submission, user=request.user, **form.cleaned_data
            )
        except workflow.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except workflow.WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Source registered; its files are copied when you submit.")
    return redirect("curation:submission", pk=submission.pk)


UPLOAD_RATE_GROUP = "curation.upload"


def upload_rate(group, request) -> str:
    return settings.UPLOAD_RATE_LIMIT


def upload_rate_limited(request) -> bool:
    """Counts one upload start for this user (web and API share the count); True when over
    ``UPLOAD_RATE_LIMIT``."""
    return is_ratelimited(
        request,
        group=UPLOAD_RATE_GROUP,
        key="user",
        rate=upload_rate,
        method="POST",
        increment=True,
    )


def file_response(submission: Submission, path: str) -> FileResponse:
    """One file of a submission, as a download that no browser renders: a generic content type,
    ``Content-Disposition: attachment``, no sniffing, and a sandbox should it be opened anyway."""
    file = submission.files.select_related("blob").filter(path=path).first()
    if file is None:
        raise Http404("no such file in this submission")
    filename = path.rsplit("/", 1)[-1]
    # S3 with S3_DOWNLOADS=presigned: the client fetches the bytes from S3 itself (the link
    # carries the same attachment headers); otherwise they stream through this process.
    presigned = storage.blob_presigned_url(file.blob, filename)
    if presigned:
        response = HttpResponseRedirect(presigned)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        storage.blob_stream(file.blob),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["Content-Length"] = str(file.blob.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-transform"
    return response


def submission_file(request, pk, path):
    """Download one file (published datasets: everyone; otherwise the lab and curators)."""
    return file_response(submission_for(request.user, pk), path)


@login_required
@require_POST
@ratelimit(group=UPLOAD_RATE_GROUP, key="user", rate=upload_rate, method="POST", block=True)
def submission_upload_archive(request, pk):
    """Plain-form fallback (no JavaScript): Django streams the file to a temporary file."""
    submission = submission_for(request.user, pk)
    form = ArchiveForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "choose an archive file")
        return redirect("curation:submission", pk=submission.pk)
    upload = form.cleaned_data["archive"]
    try:
        session = uploads.upload_start(
            submission=submission,
            user=request.user,
            kind="archive",
            path=upload.name,
            size=upload.size,
        )
        uploads.upload_append(
            token=session.token, user=request.user, offset=0, stream=upload, length=upload.size
        )
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{upload.name} uploaded; it is checked and unpacked on submit.")
    return redirect("curation:submission", pk=submission.pk)


@login_required
@require_POST
def submission_remove_file(request, pk):
    submission = submission_for(request.user, pk)
    try:
        uploads.submission_remove_file(
            submission=submission, user=request.user, path=request.POST.get("path", "")
        )
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect("curation:submission", pk=submission.pk)


@login_required
@require_POST
def submission_metadata(request, pk):
    submission = submission_for(request.user, pk)
    try:
        workflow.submission_update_metadata(
            submission_id=submission.pk,
            user=request.user,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            domain=request.POST.get("domain", ""),
            notes=request.POST.get("notes"),
        )
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Metadata saved.")
    return redirect("curation:submission", pk=submission.pk)


@login_required
@require_POST
def submission_remove_archive(request, pk):
    submission = submission_for(request.user, pk)
    try:
        name = uploads.submission_remove_archive(submission=submission, user=request.user)
    except workflow.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Removed the archive {name}.")
    return redirect("curation:submission", pk=submission.pk)


# --- curators ------------------------------------------------------------------------------------


@login_required
def review_queue(request):
    if not roles.is_curator(request.user):
        raise PermissionDenied("only curators see the review queue")
    params = request.GET
    qs = selectors.review_queue(
        state=params.get("state", ""),
        lab=params.get("lab", ""),
        age=params.get("age", ""),
        outcome=params.get("outcome", ""),
        mine=params.get("mine") == "1",
        user=request.user,
    )
    page = Paginator(qs, 25).get_page(params.get("page"))
    return render(
        request,
        "curation/review_queue.html",
        {
            "page": page,
            "states": SubmissionState.choices,
            "outcomes": ValidationOutcome.choices,
            "labs": Lab.objects.all(),
            "ages": selectors.AGE_FILTERS.keys(),
            "params": params,
            "query": _without_page(params),
        },
    )


def _without_page(params) -> str:
    copy = params.copy()
    copy.pop("page", None)
    return copy.urlencode()


# --- everyone ------------------------------------------------------------------------------------


FACET_LABELS = [
    ("robot_type", "Robot"),
    ("fps", "FPS"),
    ("cameras", "Number of cameras"),
    ("camera", "Camera"),
    ("task", "Task"),
    ("codebase_version", "Codebase version"),
    ("domain", "Domain"),
]


def catalogue(request):
    filters = selectors.CatalogueFilters.from_query(request.GET)
    paginator = selectors.CataloguePaginator(
        selectors.catalogue_search(filters).select_related("dataset__lab"),
        selectors.PAGE_SIZE,
        count=selectors.catalogue_count(filters),
    )
    too_deep = ""
    try:
        page = paginator.get_page(request.GET.get("page"))
    except selectors.PageTooDeep as exc:
        too_deep = str(exc)
        page = paginator.get_page(paginator.num_pages)
    facets = selectors.catalogue_facets(filters)
    return render(
        request,
        "curation/catalogue.html",
        {
            "page": page,
            "facets": facets,
            "filters": filters,
            "active": filters.active(),
            "query": _without_page(request.GET),
            "facet_labels": FACET_LABELS,
            "sort": filters.effective_sort,
            "sorts": [
                (key, label)
                for key, (label, _) in selectors.SORTS.items()
                if key != "relevance" or filters.q
            ],
            "too_deep": too_deep,
        },
    )


def dataset_detail(request, lab, slug):
    dataset = get_object_or_404(Dataset.objects.select_related("lab"), lab__slug=lab, slug=slug)
    versions = list(selectors.dataset_versions(dataset, request.user))
    published = [v for v in versions if v.state == SubmissionState.APPROVED]
    if not versions:
        raise Http404("no such dataset")
    wanted = request.GET.get("version")
    shown = next((v for v in versions if str(v.version) == wanted), None) if wanted else None
    shown = shown or (published[0] if published else versions[0])
    summary = (shown.report or {}).get("summary") or {}
    return render(
        request,
        "curation/dataset_detail.html",
        {
            "dataset": dataset,
            "versions": versions,
            "shown": shown,
            "summary": summary,
            "card_line": dataset_reads.card_line(summary),
            "cameras": summary.get("cameras") or [],
            "features": sorted((summary.get("features") or {}).items()),
            "can_add_version": policies.can_create_in_lab(request.user, dataset.lab)
            and bool(published),
            # Hub models can cite the dataset only under its Hub id (known when imported from it).
            "hub_repo_id": next((v.source_ref for v in versions if v.source == "hub"), ""),
            # A malformed ?episode= is a 400 naming the parameter (config.params); an episode
            # number the version does not hold is explained on the page.
            **visualizer_views.page_context(shown, int_param(request.GET, "episode", default=None)),
        },
    )


def camera_preview(request, pk, camera):
    submission = submission_for(request.user, pk)

    def may_decode() -> bool:
        # Each decoder run costs seconds of CPU: at most PREVIEW_RATE_LIMIT per user or address.
        return not is_ratelimited(
            request,
            group="curation.preview",
            key="user_or_ip",
            rate=lambda g, r: settings.PREVIEW_RATE_LIMIT,
            increment=True,
        )

    try:
        png = dataset_reads.preview_png(submission, camera, may_decode=may_decode)
    except dataset_reads.PreviewBusy as exc:
        response = HttpResponse(str(exc), status=429, content_type="text/plain")
        response["Retry-After"] = "60"
        return response
    except dataset_reads.PreviewUnavailable as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
