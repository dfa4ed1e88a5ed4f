from django.urls import path

from growth import api, views

app_name = "growth"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/<slug:chart>.<fmt>", views.export, name="export"),
    path("heatmap/", views.heatmap, name="heatmap"),
    path("community/", views.community, name="community"),
    path("api/snapshots/", api.SnapshotList.as_view(), name="api-snapshots"),
    path("api/domains/", api.DomainList.as_view(), name="api-domains"),
    path("api/charts/<slug:chart>/", api.ChartData.as_view(), name="api-chart"),
    path("api/categories/", api.CategoryList.as_view(), name="api-categories"),
    # Last: a domain key may contain "/" (robotics/lerobot).
    path("d/<path:key>/", views.domain_page, name="domain"),
]
