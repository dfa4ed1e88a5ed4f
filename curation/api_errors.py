"""Domain errors to HTTP, once, for the whole REST API (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``):
a ``WorkflowError`` that reaches DRF becomes 400 with its message, ``PermissionDenied`` 403, and
an upload at the wrong offset 409 with the offset to continue from. Pages have their twin in
Django's 403/404 handling (views raise ``PermissionDenied``/``Http404``)."""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def api_error(exc: Exception) -> Exception:
    from curation.services import uploads, workflow

    if isinstance(exc, workflow.PermissionDenied):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, uploads.OffsetMismatch):
        return exc
    if isinstance(exc, workflow.WorkflowError):
        return exceptions.ValidationError({"detail": str(exc)})
    return exc


def exception_handler(exc, context):
    from curation.services import uploads

    if isinstance(exc, uploads.OffsetMismatch):
        return Response(
            {"detail": str(exc), "offset": exc.expected}, status=status.HTTP_409_CONFLICT
        )
    return drf_exception_handler(api_error(exc), context)
