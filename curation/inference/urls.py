from django.urls import include, path
from rest_framework.routers import DefaultRouter

from curation.inference import api, views

router = DefaultRouter()
router.register("policies", api.PolicyViewSet, basename="inference-policy")
router.register("runs", api.InferenceRunViewSet, basename="inference-run-api")

urlpatterns = [
    path("api/inference/", include(router.urls)),
    path("inference/", views.run_list, name="inference-runs"),
    path("inference/runs/<int:pk>/", views.run_detail, name="inference-run"),
    path("inference/runs/request/", views.run_request, name="inference-run-request"),
]
