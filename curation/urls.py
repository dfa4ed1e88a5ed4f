from django.urls import path

from curation import api, views
from curation.distribution import urls as distribution_urls
from curation.visualizer.urls import urlpatterns as visualizer_urls

app_name = "curation"

urlpatterns = [
    path("datasets/", views.catalogue, name="catalogue"),
    path("datasets/<slug:lab>/<slug:slug>/", views.dataset_detail, name="dataset"),
    path(
        "datasets/<slug:lab>/<slug:slug>/new-version/",
        views.dataset_new_version,
        name="new_version",
    ),
    path("submissions/", views.my_submissions, name="my_submissions"),
    path("submissions/new/", views.submission_new, name="submission_new"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission_status"),
    path(
        "submissions/<int:pk>/actions/<slug:action>/",
        views.submission_action,
        name="submission_action",
    ),
    path("submissions/<int:pk>/import/", views.submission_import, name="submission_import"),
    path("submissions/<int:pk>/comments/", views.submission_comment, name="submission_comment"),
    path(
        "submissions/<int:pk>/archive/", views.submission_upload_archive, name="submission_archive"
    ),
    path("submissions/<int:pk>/metadata/", views.submission_metadata, name="submission_metadata"),
    path(
        "submissions/<int:pk>/remove-archive/",
        views.submission_remove_archive,
        name="submission_remove_archive",
    ),
    path(
        "submissions/<int:pk>/remove-file/",
        views.submission_remove_file,
        name="submission_remove_file",
    ),
    path(
        "submissions/<int:pk>/preview/<str:camera>.png", views.camera_preview, name="camera_preview"
    ),
    path("submissions/<int:pk>/files/<path:path>", views.submission_file, name="submission_file"),
    path("review/", views.review_queue, name="review_queue"),
    *visualizer_urls,
    # REST API (token or session auth), documented at /api/docs/
    path("api/curation/submissions/", api.SubmissionList.as_view(), name="api_submissions"),
    path(
        "api/curation/submissions/<int:pk>/", api.SubmissionDetail.as_view(), name="api_submission"
    ),
    path(
        "api/curation/submissions/<int:pk>/status/",
        api.SubmissionStatus.as_view(),
        name="api_status",
    ),
    path(
        "api/curation/submissions/<int:pk>/report/",
        api.SubmissionReport.as_view(),
        name="api_report",
    ),
    path(
        "api/curation/submissions/<int:pk>/files/", api.SubmissionFiles.as_view(), name="api_files"
    ),
    path(
        "api/curation/submissions/<int:pk>/files/<path:path>",
        api.SubmissionFileDownload.as_view(),
        name="api_file",
    ),
    path(
        "api/curation/submissions/<int:pk>/uploads/",
        api.UploadCreate.as_view(),
        name="api_upload_create",
    ),
    path(
        "api/curation/submissions/<int:pk>/import/",
        api.SubmissionImport.as_view(),
        name="api_import",
    ),
    path(
        "api/curation/submissions/<int:pk>/audit/", api.SubmissionAudit.as_view(), name="api_audit"
    ),
    path(
        "api/curation/submissions/<int:pk>/comments/",
        api.SubmissionComments.as_view(),
        name="api_comments",
    ),
    path(
        "api/curation/submissions/<int:pk>/<slug:action>/",
        api.SubmissionAction.as_view(),
        name="api_action",
    ),
    path("api/curation/uploads/<str:token>/", api.UploadChunk.as_view(), name="api_upload"),
    path("api/curation/review-queue/", api.ReviewQueue.as_view(), name="api_review_queue"),
    path("api/curation/catalogue/", api.Catalogue.as_view(), name="api_catalogue"),
]

# Published datasets leaving the platform: file browser, zip, citation, Hub-compatible API.
urlpatterns += distribution_urls.urlpatterns
