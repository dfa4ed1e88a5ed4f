from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from config.health import platform_health


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


@method_decorator(
    # Per client address and per account name, so neither one machine nor a botnet aimed at one
    # account gets more than LOGIN_RATE_LIMIT attempts.
    [
        ratelimit(key="ip", rate=lambda g, r: settings.LOGIN_RATE_LIMIT, method="POST", block=True),
        ratelimit(
            key="post:username",
            rate=lambda g, r: settings.LOGIN_RATE_LIMIT,
            method="POST",
            block=True,
        ),
    ],
    name="post",
)
class LoginView(auth_views.LoginView):
    pass


def rate_limited(request, exception):
    """Every refusal by django-ratelimit lands here: 429 with a message a person can act on."""
    message = "Too many requests. Wait a minute and try again."
    if wants_json(request) or request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = "60"
    return response
