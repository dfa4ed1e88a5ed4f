from django.contrib import admin

from curation.models import Lab


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    search_fields = ["name", "slug"]


# The inference check's models (Policy, InferenceRun) are registered in their own module.
from curation.inference import admin as inference_admin  # noqa: E402, F401
