"""Admin: register policies; browse runs and re-queue one."""

from django.contrib import admin, messages
from django.utils.html import format_html

from curation.inference import services
from curation.models import InferenceRun, Policy


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "policy_type", "path", "is_active", "updated_at"]
    list_filter = ["policy_type", "is_active"]
    search_fields = ["name", "path", "notes"]


@admin.register(InferenceRun)
class InferenceRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "policy",
        "dataset_path",
        "status",
        "device",
        "action_p50_ms",
        "chunk_p50_ms",
        "achieved_hz",
        "realtime_verdict",
        "created_at",
    ]
    list_filter = ["status", "device", "policy"]
    search_fields = ["dataset_path", "policy__name", "error"]
    readonly_fields = [f.name for f in InferenceRun._meta.fields] + ["report_link"]
    actions = ["run_again"]

    def has_add_permission(self, request):
        return False  # runs are requested from the dataset page, the API or vla_check

    @admin.display(description="report")
    def report_link(self, run):
        return format_html('<a href="/inference/runs/{}/">full report</a>', run.pk)

    @admin.action(description="Run the check again")
    def run_again(self, request, queryset):
        for run in queryset.select_related("policy"):
            new_run, created = services.inference_run_request(
                dataset_path=run.dataset_path,
                dataset_version_id=run.dataset_version_id,
                policy=run.policy,
                device=run.requested_device,
                steps=run.steps,
                requested_by=request.user,
            )
            messages.info(
                request, f"run {new_run.pk} {'queued' if created else 'already ' + new_run.status}"
            )
