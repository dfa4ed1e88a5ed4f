"""REST API: the same actions as the web pages, for scripts (token auth) and the web uploader
(session auth + CSRF). Thin: permissions from ``curation.policies``, work in services."""

from django.contrib.auth import get_user_model
from django.core.paginator import InvalidPage
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from curation import roles, selectors
from curation.api_errors import api_error
from curation.models import (
    AuditEvent,
    Comment,
    DatasetIndex,
    Lab,
    Submission,
    SubmissionFile,
    UploadSession,
)
from curation.services import comments, uploads, workflow
from curation.views import (
    ACTION_SERVICES,
    file_response,
    status_payload,
    submission_for,
    upload_rate_limited,
)


class SubmissionSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.__str__", read_only=True)
    title = serializers.CharField(source="dataset.title", read_only=True)
    lab = serializers.CharField(source="dataset.lab.slug", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, default=None)
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "dataset",
            "title",
            "lab",
            "version",
            "state",
            "round",
            "submitted_by",
            "reviewer",
            "source",
            "source_ref",
            "validation_outcome",
            "error_count",
            "warning_count",
            "progress_step",
            "progress_percent",
            "last_error",
            "created_at",
            "submitted_at",
            "state_changed_at",
            "decided_at",
        ]


class SubmissionCreateSerializer(serializers.Serializer):
    lab = serializers.SlugField(help_text="slug of one of your labs")
    title = serializers.CharField(max_length=200, required=False, default="")
    description = serializers.CharField(required=False, default="", allow_blank=True)
    domain = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    dataset = serializers.SlugField(
        required=False, help_text="slug of an existing dataset of the lab: creates its next version"
    )


def _raise(exc: workflow.WorkflowError):
    """The one mapping of domain errors to API errors (``curation.api_errors``)."""
    raise api_error(exc) from exc


class SubmissionList(generics.ListCreateAPIView):
    """Submissions you may see (your lab's, all for curators, published ones for everyone)."""

    serializer_class = SubmissionSerializer

    def get_queryset(self):
        qs = selectors.submissions_visible_to(self.request.user).order_by("-created_at")
        if state := self.request.query_params.get("state"):
            qs = qs.filter(state=state)
        return qs

    @extend_schema(request=SubmissionCreateSerializer, responses={201: SubmissionSerializer})
    def post(self, request):
        data = SubmissionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lab = Lab.objects.filter(slug=values["lab"]).first()
        if lab is None:
            raise ValidationError({"lab": "no such lab"})
        dataset = None
        if values.get("dataset"):
            dataset = lab.datasets.filter(slug=values["dataset"]).first()
            if dataset is None:
                raise ValidationError({"dataset": "no such dataset in this lab"})
        try:
            submission = workflow.submission_create(
                user=request.user,
                lab=lab,
                title=values["title"] or (dataset.title if dataset else ""),
                description=values["description"],
                domain=values["domain"],
                dataset=dataset,
            )
        except workflow.WorkflowError as exc:
            _raise(exc)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetail(generics.RetrieveAPIView):
    serializer_class = SubmissionSerializer

    def get_object(self):
        return submission_for(self.request.user, self.kwargs["pk"])


StatusSerializer = inline_serializer(
    "SubmissionStatus",
    {
        "id": serializers.IntegerField(),
        "state": serializers.CharField(),
        "state_label": serializers.CharField(),
        "step": serializers.CharField(),
        "done": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "percent": serializers.IntegerField(),
        "validation_outcome": serializers.CharField(),
        "errors": serializers.IntegerField(),
        "warnings": serializers.IntegerField(),
        "last_error": serializers.CharField(),
        "finished": serializers.BooleanField(),
    },
)


class SubmissionStatus(APIView):
    """Pipeline progress: current step and percent; ``finished`` once validation is over."""

    @extend_schema(responses=StatusSerializer)
    def get(self, request, pk):
        return Response(status_payload(submission_for(request.user, pk)))


class SubmissionReport(APIView):
    """The validation report: ``{valid, codebase_version, summary, findings}``."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        submission = submission_for(request.user, pk)
        if submission.report is None:
            raise NotFound(
                "no report yet" + (f": {submission.last_error}" if submission.last_error else "")
            )
        return Response(submission.report)


class FileSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="blob_id")
    size = serializers.IntegerField(source="blob.size")

    class Meta:
        model = SubmissionFile
        fields = ["path", "sha256", "size"]


class SubmissionFiles(generics.ListAPIView):
    """The submission's files (path, sha256, size). ``DELETE ?path=...`` removes one while the
    files are editable (draft, changes requested)."""

    serializer_class = FileSerializer

    def get_queryset(self):
        return submission_for(self.request.user, self.kwargs["pk"]).files.select_related("blob")

    @extend_schema(
        parameters=[OpenApiParameter("path", str, OpenApiParameter.QUERY, required=True)],
        responses={204: None},
    )
    def delete(self, request, pk):
        submission = submission_for(request.user, pk)
        path = request.query_params.get("path", "")
        if not submission.files.filter(path=path).exists():
            raise NotFound(f"no file {path!r} in this submission")
        try:
            uploads.submission_remove_file(submission=submission, user=request.user, path=path)
        except workflow.WorkflowError as exc:
            _raise(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = AuditEvent
        fields = ["created_at", "actor", "action", "old_state", "new_state", "reason", "extra"]


class SubmissionFileDownload(APIView):
    """Download one file of a submission (``Content-Disposition: attachment``, never rendered)."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, path):
        return file_response(submission_for(request.user, pk), path)


class SubmissionAudit(generics.ListAPIView):
    serializer_class = AuditSerializer

    def get_queryset(self):
        return submission_for(self.request.user, self.kwargs["pk"]).audit_events.select_related(
            "actor"
        )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    kind = serializers.CharField(read_only=True)
    round = serializers.IntegerField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "created_at", "author", "kind", "round", "body"]


class SubmissionComments(generics.ListCreateAPIView):
    """The conversation on a submission: read by whoever sees it; written by the lab and the
    curators who may review it (each comment audited, the other side emailed)."""

    serializer_class = CommentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return submission_for(self.request.user, self.kwargs["pk"]).comments.select_related(
            "author"
        )

    def create(self, request, *args, **kwargs):
        submission = submission_for(request.user, self.kwargs["pk"])
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            comment = comments.comment_add(
                submission_id=submission.pk,
                user=request.user,
                body=serializer.validated_data["body"],
            )
        except workflow.WorkflowError as exc:
            _raise(exc)
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


class ActionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="required for request_changes and reject",
    )
    reviewer = serializers.CharField(required=False, help_text="username, for assign")


class SubmissionAction(APIView):
    """Workflow actions: submit, resubmit, withdraw, claim, assign, approve, request_changes,
    reject. Answers 409 when the action is not allowed in the submission's current state."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="curation_submission_action",
        request=ActionSerializer,
        responses=SubmissionSerializer,
    )
    def post(self, request, pk, action):
        submission = submission_for(request.user, pk)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        try:
            if action == "assign":
                reviewer = get_object_or_404(
                    get_user_model(), username=data.validated_data.get("reviewer", "")
                )
                submission = workflow.submission_assign(
                    submission_id=pk, user=request.user, reviewer=reviewer
                )
            elif action in ACTION_SERVICES:
                submission = ACTION_SERVICES[action](pk, request.user, reason)
            else:
                raise NotFound(f"unknown action {action!r}")
        except workflow.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except workflow.WorkflowError as exc:
            return Response(
                {"detail": str(exc), "state": submission.state}, status=status.HTTP_409_CONFLICT
            )
        return Response(SubmissionSerializer(submission).data)


class ImportSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["path", "hub"])
    ref = serializers.CharField(max_length=500, help_text="absolute server path, or Hub repo id")


class SubmissionImport(APIView):
    """Register a server folder (inside DATASET_IMPORT_ROOTS) or a Hub dataset repo as the
    submission's content; the pipeline copies the files when the submission is submitted."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ImportSerializer, responses=SubmissionSerializer)
    def post(self, request, pk):
        submission = submission_for(request.user, pk)
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submission = uploads.submission_set_source(
                submission=submission, user=request.user, **data.validated_data
            )
        except workflow.WorkflowError as exc:
            _raise(exc)
        return Response(SubmissionSerializer(submission).data)


class UploadSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = UploadSession
        fields = ["token", "kind", "path", "size", "offset", "completed_at", "url"]

    def get_url(self, obj) -> str:
        return f"/api/curation/uploads/{obj.token}/"


class UploadStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=UploadSession.Kind.choices)
    path = serializers.CharField(
        max_length=500, help_text="archive file name, or the file's path inside the dataset"
    )
    size = serializers.IntegerField(min_value=0)


class UploadCreate(APIView):
    """Start a resumable upload of one file (``kind=file``, ``path`` inside the dataset) or of an
    archive (``kind=archive``). Then send the bytes to ``url`` with PATCH."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=UploadStartSerializer, responses={201: UploadSerializer})
    def post(self, request, pk):
        if upload_rate_limited(request):
            raise Throttled(
                wait=60, detail="Too many uploads started. Wait a minute and try again."
            )
        submission = submission_for(request.user, pk)
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = uploads.upload_start(
                submission=submission, user=request.user, **data.validated_data
            )
        except workflow.WorkflowError as exc:
            _raise(exc)
        return Response(UploadSerializer(session).data, status=status.HTTP_201_CREATED)


# What a chunk may be sent as (issue 19, Info): a form or JSON body is a client mistake or a
# cross-site form post, never a chunk.
CHUNK_CONTENT_TYPES = ("application/offset+octet-stream", "application/octet-stream")


class OctetStreamParser(BaseParser):
    """Leaves the body unread: the view streams it to disk chunk by chunk."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class UploadChunk(APIView):
    """One resumable upload. ``GET``/``HEAD``: where to continue (``Upload-Offset`` header).
    ``PATCH`` with ``Upload-Offset`` and a body of ``application/offset+octet-stream``: append.
    A wrong offset answers 409 with the right one. ``DELETE`` cancels."""

    permission_classes = [IsAuthenticated]
    parser_classes = [OctetStreamParser]

    def _session(self, request, token):
        try:
            return uploads.upload_get(token=token, user=request.user)
        except workflow.PermissionDenied as exc:
            raise NotFound("no such upload") from exc

    def _answer(self, session, code=status.HTTP_200_OK):
        response = Response(UploadSerializer(session).data, status=code)
        response["Upload-Offset"] = str(session.offset)
        response["Upload-Length"] = str(session.size)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(responses=UploadSerializer)
    def get(self, request, token):
        return self._answer(self._session(request, token))

    @extend_schema(
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True)],
        responses=UploadSerializer,
    )
    def patch(self, request, token):
        self._session(request, token)
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type not in CHUNK_CONTENT_TYPES:
            return Response(
                {
                    "detail": "a chunk is sent as Content-Type: application/offset+octet-stream "
                    f"(or application/octet-stream), not {content_type or 'none'!r}"
                },
                status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
            length = int(request.headers.get("Content-Length", ""))
        except ValueError as exc:
            raise ValidationError(
                {"detail": "Upload-Offset and Content-Length headers are required"}
            ) from exc
        try:
            session = uploads.upload_append(
                token=token,
                user=request.user,
                offset=offset,
                stream=request._request,
                length=length,
            )
        except uploads.OffsetMismatch as exc:
            response = Response(
                {"detail": str(exc), "offset": exc.expected}, status=status.HTTP_409_CONFLICT
            )
            response["Upload-Offset"] = str(exc.expected)
            return response
        except workflow.WorkflowError as exc:
            _raise(exc)
        return self._answer(session)

    @extend_schema(responses={204: None})
    def delete(self, request, token):
        self._session(request, token)
        uploads.upload_cancel(token=token, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewQueue(generics.ListAPIView):
    """Curators: submissions awaiting a decision. Filters: state, lab, age (1d/7d/30d: waiting
    at least that long), outcome (validation), mine=1."""

    serializer_class = SubmissionSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if not roles.is_curator(self.request.user):
            raise PermissionDenied("only curators see the review queue")
        p = self.request.query_params
        return selectors.review_queue(
            state=p.get("state", ""),
            lab=p.get("lab", ""),
            age=p.get("age", ""),
            outcome=p.get("outcome", ""),
            mine=p.get("mine") == "1",
            user=self.request.user,
        )


class IndexSerializer(serializers.ModelSerializer):
    lab = serializers.CharField(source="dataset.lab.slug")
    slug = serializers.CharField(source="dataset.slug")
    cameras = serializers.SerializerMethodField()

    class Meta:
        model = DatasetIndex
        fields = [
            "lab",
            "slug",
            "title",
            "version",
            "lab_name",
            "domain",
            "robot_type",
            "fps",
            "num_cameras",
            "cameras",
            "episodes",
            "frames",
            "codebase_version",
            "card_line",
            "published_at",
        ]

    def get_cameras(self, obj) -> list[str]:
        return [c.name for c in obj.cameras.all()]


class CataloguePagination(PageNumberPagination):
    """Page numbers over the cached total (no COUNT(*) per request), bounded like the web page:
    past ``MAX_BROWSABLE_RESULTS`` the answer is a 400 asking to refine the search."""

    page_size = 50

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = selectors.CataloguePaginator(
            queryset, self.page_size, count=selectors.catalogue_count(view.filters)
        )
        try:
            self.page = paginator.page(request.query_params.get(self.page_query_param) or 1)
        except selectors.PageTooDeep as exc:
            raise ValidationError({"page": str(exc)}) from exc
        except InvalidPage as exc:
            raise NotFound(f"no such page: {exc}") from exc
        return list(self.page)


class Catalogue(generics.ListAPIView):
    """Published datasets. Full-text ``q`` (stemmed, ranked); facets robot_type, fps, cameras
    (count), camera (name), task, codebase_version, domain; ranges episodes_min/max,
    frames_min/max; ``sort``: relevance (the default with ``q``), newest (the default without),
    episodes, frames, name. The response carries facet counts next to the page of results; only
    the first 1,000 results can be paged through (refine the search to see others)."""

    serializer_class = IndexSerializer
    permission_classes = []
    pagination_class = CataloguePagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="full-text query (stemmed, ranked)"),
            OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.filters = selectors.CatalogueFilters.from_query(self.request.query_params)
        return (
            selectors.catalogue_search(self.filters)
            .select_related("dataset__lab")
            .prefetch_related("cameras")
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["sort"] = self.filters.effective_sort
        response.data["facets"] = {
            name: [{"value": v, "count": n} for v, n in values]
            for name, values in selectors.catalogue_facets(self.filters).items()
        }
        return response
