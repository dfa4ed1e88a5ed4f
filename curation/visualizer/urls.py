"""URLs of the episode visualizer (included by curation/urls.py under the curation namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "submissions/<int:pk>/visualizer/episodes/<int:episode>.json",
        views.episode_data,
        name="visualizer_episode",
    ),
    path(
        "submissions/<int:pk>/visualizer/assets/<path:path>",
        views.asset,
        name="visualizer_asset",
    ),
    path(
        "submissions/<int:pk>/visualizer/<path:path>",
        views.video,
        name="visualizer_video",
    ),
]
