"""HTML: one run's full report, and the form behind the dataset page's inference panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.params import is_whole_number
from curation.inference import selectors, services
from curation.models import InferenceRun, Policy


@login_required
def run_list(request):
    """Every inference run, newest first, with the registered policies."""
    runs = selectors.inference_run_list(user=request.user)
    status = request.GET.get("status", "")
    if status in InferenceRun.Status.values:
        runs = runs.filter(status=status)
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "curation/inference_runs.html",
        {
            "page": page,
            "status": status,
            "statuses": InferenceRun.Status.choices,
            "policies": selectors.policy_list(),
        },
    )


@login_required
def run_detail(request, pk: int):
    run = get_object_or_404(selectors.inference_runs_visible_to(request.user), pk=pk)
    return render(request, "curation/inference_run.html", {"run": run, "report": run.report or {}})


@login_required
@require_POST
def run_request(request):
    if not selectors.can_request_inference(request.user):
        raise PermissionDenied("only curators can request inference checks")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    policy = Policy.objects.filter(pk=request.POST.get("policy") or 0, is_active=True).first()
    version = request.POST.get("dataset_version_id") or None
    try:
        if policy is None:
            raise ValidationError({"policy": "choose a policy"})
        steps = int(request.POST.get("steps") or 100)
        run, created = services.inference_run_request(
            dataset_path=request.POST.get("dataset_path", ""),
            dataset_version_id=int(version) if is_whole_number(version) else None,
            policy=policy,
            device=request.POST.get("device") or "auto",
            steps=steps,
            requested_by=request.user,
        )
    except ValueError:
        messages.error(request, "steps must be a whole number")
        return redirect(back or "home")
    except ValidationError as exc:
        messages.error(request, "; ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(back or "home")
    messages.success(
        request,
        f"Inference check of {policy.name} queued."
        if created
        else f"An inference check of {policy.name} on this dataset is already {run.status}.",
    )
    return redirect(back) if back else redirect("inference-run", pk=run.pk)
