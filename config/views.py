from django.http import JsonResponse
from django.shortcuts import render

from config.health import platform_health


def home(request):
    return render(request, "home.html")


def health(request):
    """HTML for people, JSON for probes (``?format=json`` or ``Accept: application/json``).

    200 when everything answers, 503 when anything does not, so load balancers can use it too.
    """
    report = platform_health()
    status_code = 200 if report.status == "ok" else 503
    wants_json = request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        return JsonResponse(report.as_dict(), status=status_code)
    return render(request, "health.html", {"report": report}, status=status_code)
