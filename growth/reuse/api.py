"""Read-only JSON API of the stored reuse metrics (same selectors as the pages)."""

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .selectors import hub_snapshot_on, models_citing_dataset, reuse_metrics_by_domain

DATE = OpenApiParameter("date", str, description="Snapshot date YYYY-MM-DD (default: latest)")


def _date(request) -> dt.date | None:
    raw = request.query_params.get("date", "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError({"date": f"'{raw}' is not a date (YYYY-MM-DD)"}) from exc


@extend_schema(parameters=[DATE], responses=dict, summary="Reuse metrics of every domain")
@api_view(["GET"])
@permission_classes([AllowAny])
def metrics(request):
    """``{"snapshot_date", "domains": {key: metrics}}``; definitions in growth/REUSE.md."""
    wanted = _date(request)
    date, domains = reuse_metrics_by_domain(wanted)
    if date is None:
        raise NotFound("no reuse metrics stored" + (f" for {wanted}" if wanted else ""))
    snapshot = hub_snapshot_on(date)
    simulated = bool(snapshot and snapshot.simulated)
    return Response({"snapshot_date": date.isoformat(), "simulated": simulated, "domains": domains})


@extend_schema(parameters=[DATE], responses=dict, summary="Hub models citing a dataset")
@api_view(["GET"])
@permission_classes([AllowAny])
def dataset_citations(request, repo_id: str):
    citations = models_citing_dataset(repo_id, _date(request))
    for citation in citations:
        citation["snapshot_date"] = citation["snapshot_date"].isoformat()
    return Response({"dataset": repo_id, "count": len(citations), "models": citations})
