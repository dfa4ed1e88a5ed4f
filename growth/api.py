"""Read-only REST API (DRF) over the stored aggregates, open to everyone including anonymous users.

Chart endpoints return the same payload as the JSON export (data + provenance + ``simulated``);
their lists are short (at most a few hundred periods). Long lists (snapshots, categories) are
paginated with the project's page-number pagination.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.params import int_param, is_whole_number
from growth import selectors
from growth.models import CategoryRank, Snapshot
from growth.views import ChartQuery


class ReadOnly:
    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = ["id", "taken_on", "source", "simulated", "models_count", "datasets_count",
                  "aggregated_at"]  # fmt: skip


class SnapshotList(ReadOnly, generics.ListAPIView):
    """Every snapshot ready to be shown, newest first."""

    serializer_class = SnapshotSerializer

    def get_queryset(self):
        return selectors.ready_snapshots()


class RuleSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()
    description = serializers.CharField(help_text="the reason for the rule")
    exclude = serializers.BooleanField(help_text="an exclusion rule")
    overrides_exclusions = serializers.BooleanField(
        help_text="a specific signal: exclusions do not apply"
    )


class DomainSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    is_subdomain = serializers.BooleanField()
    datasets = serializers.IntegerField()
    models = serializers.IntegerField()
    dataset_share = serializers.FloatField(allow_null=True)
    model_share = serializers.FloatField(allow_null=True)
    rules = RuleSerializer(many=True)


class DomainListSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField()
    snapshot_date = serializers.DateField()
    simulated = serializers.BooleanField()
    results = DomainSummarySerializer(many=True)


class ChartSerializer(serializers.Serializer):
    domain = serializers.CharField()
    chart = serializers.ChoiceField(choices=selectors.CHARTS)
    repo_type = serializers.ChoiceField(choices=selectors.REPO_TYPE_NAMES)
    period = serializers.ChoiceField(choices=selectors.PERIODS, allow_null=True)
    snapshot = serializers.IntegerField()
    snapshot_date = serializers.DateField()
    source = serializers.CharField()
    simulated = serializers.BooleanField(help_text="true when the data is synthetic (simulate_hub)")
    rules_version = serializers.IntegerField(allow_null=True, help_text="rule set the figures use")
    rules_current = serializers.BooleanField(help_text="false while a rule change is recomputed")
    definition = serializers.CharField()
    results = serializers.ListField(child=serializers.DictField(), help_text="one row per point")


SNAPSHOT_PARAMETER = OpenApiParameter(
    "snapshot", OpenApiTypes.INT, description="snapshot id (default: the latest)"
)


class DomainList(ReadOnly, APIView):
    """Every domain and sub-domain with its repos and share of the Hub in a snapshot."""

    @extend_schema(responses=DomainListSerializer, parameters=[SNAPSHOT_PARAMETER])
    def get(self, request):
        query = ChartQuery({**request.query_params.dict(), "domain": "robotics"})
        if query.snapshot is None:
            return Response({"errors": ["no snapshot has been loaded yet"]}, status=404)
        errors = [e for e in query.errors if not e.startswith("unknown domain")]
        if errors:
            return Response({"errors": errors}, status=400)
        rows = [
            {
                "key": s["key"],
                "is_subdomain": s["is_subdomain"],
                "datasets": s["datasets"],
                "models": s["models"],
                "dataset_share": s["dataset_share"],
                "model_share": s["model_share"],
                "rules": [
                    {
                        "field": r.field,
                        "value": r.value,
                        "description": r.description,
                        "exclude": r.exclude,
                        "overrides_exclusions": r.overrides_exclusions,
                    }
                    for r in s["rules"]
                ],
            }
            for s in selectors.domain_summaries(query.snapshot)
        ]
        return Response(
            {
                "snapshot": query.snapshot.pk,
                "snapshot_date": query.snapshot.taken_on,
                "simulated": query.snapshot.simulated,
                "results": rows,
            }
        )


class ChartData(ReadOnly, APIView):
    """One chart's data: ``?domain=robotics&repo_type=dataset&period=year[&snapshot=ID]``."""

    @extend_schema(
        responses=ChartSerializer,
        parameters=[
            OpenApiParameter(
                "domain", OpenApiTypes.STR, required=True, description="e.g. robotics/lerobot"
            ),
            OpenApiParameter("repo_type", OpenApiTypes.STR, enum=selectors.REPO_TYPE_NAMES),
            OpenApiParameter("period", OpenApiTypes.STR, enum=selectors.PERIODS),
            SNAPSHOT_PARAMETER,
        ],
    )
    def get(self, request, chart: str):
        if chart not in selectors.CHARTS:
            return Response({"errors": [f"chart must be one of {selectors.CHARTS}"]}, status=404)
        query = ChartQuery(request.query_params)
        if query.snapshot is None:
            return Response({"errors": ["no snapshot has been loaded yet"]}, status=404)
        if query.errors:
            return Response({"errors": query.errors}, status=400)
        rows = selectors.chart_rows(
            query.snapshot, query.storage_key, chart, query.repo_type, query.period
        )
        return Response(query.payload(chart, rows))


class CategorySerializer(serializers.ModelSerializer):
    simulated = serializers.BooleanField(source="snapshot.simulated")

    class Meta:
        model = CategoryRank
        fields = ["category", "year", "created", "cumulative", "rank_created", "rank_cumulative",
                  "simulated"]  # fmt: skip


class CategoryList(ReadOnly, generics.ListAPIView):
    """Task categories ranked for a year: ``?repo_type=dataset&year=2025[&snapshot=ID]``."""

    serializer_class = CategorySerializer

    def get_queryset(self):
        params = self.request.query_params
        snapshot = selectors.current_snapshot(int_param(params, "snapshot"))
        if snapshot is None:
            return CategoryRank.objects.none()
        repo_type = params.get("repo_type", "dataset")
        if repo_type not in selectors.REPO_TYPE_NAMES:
            raise serializers.ValidationError({"repo_type": "must be dataset or model"})
        year = params.get("year")
        if year is not None and not is_whole_number(year):
            raise serializers.ValidationError({"year": "must be a year, e.g. 2025"})
        rows, _ = selectors.category_rows(snapshot, repo_type, int(year) if year else None)
        return rows.select_related("snapshot")
