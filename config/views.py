from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from config.health import platform_health
from config.security import login_throttled


def home(request):
    return render(request, "home.html")


def wants_json(request) -> bool:
    return request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def health(request):
    """HTML for people, JSON for probes (``?format=json`` or ``Accept: application/json``).

    200 when everything answers, 503 when anything does not, so load balancers can use it too.
    """
    report = platform_health()
    status_code = 200 if report.status == "ok" else 503
    if wants_json(request):
        return JsonResponse(report.as_dict(), status=status_code)
    return render(request, "health.html", {"report": report}, status=status_code)


@method_decorator(login_throttled, name="dispatch")
class LoginView(auth_views.LoginView):
    """The site's login: see ``config.security.login_throttled`` (the admin's login shares it)."""


admin_login = login_throttled(admin.site.login)


def rate_limited(request, exception):
    """Every refusal by django-ratelimit lands here: 429 with a message a person can act on."""
    message = "Too many requests. Wait a minute and try again."
    if wants_json(request) or request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = "60"
    return response
