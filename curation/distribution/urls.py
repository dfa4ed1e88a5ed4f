"""Routes of published datasets: web (file browser, zip, citation) and the Hub-compatible API.

The Hub's paths have no trailing slash; they are matched exactly as huggingface_hub writes them.
"""

from django.urls import path, re_path

from curation.distribution import hub_api, views

REPO = "<slug:lab>/<slug:slug>"

urlpatterns = [
    path(f"datasets/{REPO}/tree/<str:revision>/", views.dataset_tree, name="dataset_tree"),
    path(
        f"datasets/{REPO}/tree/<str:revision>/<path:path>",
        views.dataset_tree,
        name="dataset_tree_path",
    ),
    path(f"datasets/{REPO}/archive/<str:revision>.zip", views.dataset_zip, name="dataset_zip"),
    re_path(
        r"^datasets/(?P<lab>[-\w]+)/(?P<slug>[-\w]+)/citation/(?P<revision>[^/]+)\.(?P<fmt>bib|cff)$",
        views.dataset_citation,
        name="dataset_citation",
    ),
    # --- Hugging Face Hub-compatible read API (HF_ENDPOINT=<this site>) ---
    path(
        f"datasets/{REPO}/resolve/<str:revision>/<path:path>", hub_api.resolve, name="hub_resolve"
    ),
    path("api/datasets", hub_api.list_datasets, name="hub_datasets"),
    path(f"api/datasets/{REPO}", hub_api.dataset_info, name="hub_dataset"),
    path(
        f"api/datasets/{REPO}/revision/<str:revision>",
        hub_api.dataset_info,
        name="hub_dataset_revision",
    ),
    path(f"api/datasets/{REPO}/refs", hub_api.list_refs, name="hub_refs"),
    path(f"api/datasets/{REPO}/tree/<str:revision>", hub_api.tree, name="hub_tree"),
    path(
        f"api/datasets/{REPO}/tree/<str:revision>/<path:path>", hub_api.tree, name="hub_tree_path"
    ),
    path(
        f"api/datasets/{REPO}/paths-info/<str:revision>", hub_api.paths_info, name="hub_paths_info"
    ),
]
