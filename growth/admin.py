from django.contrib import admin, messages
from django.db import transaction

from growth.models import DomainRule, IngestRun, KnownOrganization, RuleSetVersion, Snapshot


def _queue_reaggregation(request):
    from growth.tasks import reaggregate

    transaction.on_commit(lambda: reaggregate.apply_async(queue="hub"))
    messages.info(
        request,
        "Growth aggregates and reuse metrics of every snapshot are being recomputed with the "
        "active rules and organizations (queue 'hub'); pages show the new numbers when it finishes.",
    )


@admin.action(description="Recompute every snapshot's growth aggregates and reuse metrics")
def recompute_aggregates(modeladmin, request, queryset):
    _queue_reaggregation(request)


class RecomputesOnChange:
    """Saving or deleting a row queues the recomputation (growth.signals); say so."""

    def _announce(self, request):
        messages.info(
            request,
            "Every snapshot's figures are being recomputed with this change (queue 'hub'); "
            "until then pages say their figures come from the previous rules version.",
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._announce(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._announce(request)


@admin.register(DomainRule)
class DomainRuleAdmin(RecomputesOnChange, admin.ModelAdmin):
    list_display = ["domain", "subdomain", "field", "value", "exclude", "overrides_exclusions",
                    "description", "active"]  # fmt: skip
    list_filter = ["domain", "subdomain", "field", "exclude", "overrides_exclusions", "active"]
    list_editable = ["active"]
    search_fields = ["domain", "subdomain", "value", "description"]
    actions = [recompute_aggregates]


@admin.register(KnownOrganization)
class KnownOrganizationAdmin(RecomputesOnChange, admin.ModelAdmin):
    list_display = ["name", "kind", "country", "source"]
    list_filter = ["kind", "country"]
    list_editable = ["kind", "country"]
    search_fields = ["name", "country", "source"]
    actions = [recompute_aggregates]


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(admin.ModelAdmin):
    """Every rule set the figures were computed with: the record behind "rules vN" on pages."""

    list_display = ["number", "digest", "created_at"]
    readonly_fields = ["number", "digest", "rules", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["taken_on", "source", "simulated", "status", "models_count", "datasets_count",
                    "aggregated_at"]  # fmt: skip
    list_filter = ["source", "simulated", "status"]
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = [
        "snapshot",
        "status",
        "attempts",
        "malformed_count",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in IngestRun._meta.fields]

    def has_add_permission(self, request):
        return False
