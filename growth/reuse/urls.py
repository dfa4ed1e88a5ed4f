"""URLs of the reuse pages; the project includes them with
``path("growth/reuse/", include("growth.reuse.urls"))``."""

from django.urls import path

from growth.reuse import api, views

app_name = "reuse"

urlpatterns = [
    path("", views.reuse_index, name="index"),
    path("report/", views.reuse_report, name="report"),
    path("export/<str:chart>.<str:fmt>", views.reuse_export, name="export"),
    path("api/metrics/", api.metrics, name="api-metrics"),
    path("api/datasets/<path:repo_id>/citations/", api.dataset_citations, name="api-citations"),
    path("datasets/<path:repo_id>/", views.reuse_dataset, name="dataset"),
    path("domains/<path:domain>/", views.reuse_domain, name="domain"),
]
