from django.contrib import admin

from curation.models import AuditEvent, Blob, Dataset, DatasetIndex, Lab, Submission, SubmissionFile


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    search_fields = ["name", "slug"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "lab", "slug", "domain", "created_at"]
    list_filter = ["lab", "domain"]
    search_fields = ["title", "slug"]


class AuditInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "action", "old_state", "new_state", "reason", "extra"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only: state changes go through the workflow services (and their audit rows)."""

    list_display = [
        "dataset",
        "version",
        "state",
        "validation_outcome",
        "reviewer",
        "state_changed_at",
    ]
    list_filter = ["state", "validation_outcome", "dataset__lab"]
    search_fields = ["dataset__title"]
    inlines = [AuditInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(DatasetIndex)
class DatasetIndexAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "is_latest", "robot_type", "fps", "num_cameras", "episodes"]
    list_filter = ["is_latest", "robot_type", "codebase_version", "domain"]
    search_fields = ["title"]


admin.site.register(Blob)
admin.site.register(SubmissionFile)
