"""REST API: list policies, request a run (POST), read runs and their reports (GET)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from config.params import is_whole_number
from curation.inference import selectors, services
from curation.models import InferenceRun, Policy


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = ["id", "name", "path", "policy_type", "notes", "is_active"]


class InferenceRunSerializer(serializers.ModelSerializer):
    policy = PolicySerializer(read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InferenceRun
        fields = [
            "id",
            "dataset_path",
            "dataset_version_id",
            "policy",
            "requested_device",
            "steps",
            "requested_by",
            "status",
            "stage",
            "progress",
            "device",
            "device_name",
            "load_s",
            "first_call_ms",
            "action_p50_ms",
            "action_p95_ms",
            "chunk_p50_ms",
            "achieved_hz",
            "realtime_verdict",
            "error",
            "report",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class InferenceRunRequestSerializer(serializers.Serializer):
    dataset_path = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    dataset_version_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.filter(is_active=True))
    device = serializers.ChoiceField(choices=services.DEVICES, default="auto")
    steps = serializers.IntegerField(min_value=1, max_value=services.MAX_STEPS, default=100)


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PolicySerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.policy_list()


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("dataset_path", str, description="runs on this dataset folder"),
            OpenApiParameter("dataset_version_id", int, description="runs on this version"),
        ]
    ),
    create=extend_schema(
        request=InferenceRunRequestSerializer,
        responses={201: InferenceRunSerializer, 200: InferenceRunSerializer},
    ),
)
class InferenceRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """``GET`` runs (filter with ``?dataset_path=`` or ``?dataset_version_id=``) and one run's
    report; ``POST`` queues a run (curators). Asking again for a queued/running check returns it
    (200) instead of queuing a second one (201)."""

    serializer_class = InferenceRunSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        version = self.request.query_params.get("dataset_version_id")
        if version is not None and not is_whole_number(version):
            raise ValidationError({"dataset_version_id": "must be an integer"})
        return selectors.inference_run_list(
            user=self.request.user,
            dataset_path=self.request.query_params.get("dataset_path") or None,
            dataset_version_id=int(version) if version else None,
        )

    def get_serializer_class(self):
        return InferenceRunRequestSerializer if self.action == "create" else InferenceRunSerializer

    def create(self, request, *args, **kwargs):
        if not selectors.can_request_inference(request.user):
            raise PermissionDenied("only curators can request inference checks")
        incoming = InferenceRunRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            run, created = services.inference_run_request(
                dataset_path=data.get("dataset_path", ""),
                dataset_version_id=data.get("dataset_version_id"),
                policy=data["policy"],
                device=data["device"],
                steps=data["steps"],
                requested_by=request.user,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(
            InferenceRunSerializer(run).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
