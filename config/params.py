"""Query and form parameters, validated in one place (issue 19).

``"²".isdigit()`` is true but ``int("²")`` fails: a route that checked ``isdigit()`` and then
called ``int()`` answered 500. Read numbers with ``int_param`` (or test with ``is_whole_number``);
a bad value raises ``BadParameter``, which ``BadParameterMiddleware`` turns into a 400 that names
the parameter and says what it takes (JSON for the API, a page otherwise).
"""

from django.http import HttpResponse, JsonResponse


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def is_whole_number(raw) -> bool:
    """True for ASCII digits only (``str.isdigit`` also accepts ``²`` and other digit-like
    characters that ``int`` refuses)."""
    return isinstance(raw, str) and raw.isascii() and raw.isdigit()


def int_param(
    params, name: str, *, default=None, minimum: int | None = 0, maximum: int | None = None
):
    """``params[name]`` as an int, ``default`` when absent or blank, else ``BadParameter``."""
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()
    if not is_whole_number(raw) or len(raw) > 18:
        raise BadParameter(name, f"{name} must be a whole number written with digits 0-9")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise BadParameter(name, f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise BadParameter(name, f"{name} must be at most {maximum}")
    return value


class BadParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BadParameter):
            return None
        message = str(exception)
        if "/api/" in request.path or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message, "parameter": exception.name}, status=400)
        return HttpResponse(
            f"Bad request: {message}.", status=400, content_type="text/plain; charset=utf-8"
        )
