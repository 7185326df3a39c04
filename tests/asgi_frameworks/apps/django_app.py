"""The Django app of the framework tests: settings, URLs and views in one
module, served through ``django.core.asgi.get_asgi_application()``.

Django has no lifespan support (its handler refuses a ``lifespan`` scope), so
the tests check that ``--asgi-lifespan auto`` and ``off`` both serve it.
``request_finished`` (sent when the response is closed, after its last byte)
is counted in ``FINISHED`` and reported by ``/finished``.
"""

from __future__ import annotations

import json
import os

from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="tests-only-not-secret",
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
    LOGGING_CONFIG=None,
)

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.signals import request_finished  # noqa: E402
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from fw_common import STREAM_PIECES, upload_summary  # noqa: E402

#: the sender (handler class name) of every request_finished signal, in order
FINISHED: list[str] = []


def _on_finished(sender, **kwargs) -> None:
    FINISHED.append(getattr(sender, "__name__", repr(sender)))


request_finished.connect(_on_finished, dispatch_uid="fw-tests-finished")


def item(request, item_id: int):
    # a sync view: Django runs it in its thread executor
    return JsonResponse({"item_id": item_id, "q": request.GET.get("q"), "path": request.path})


async def echo(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    return JsonResponse(json.loads(request.body))


async def stream(request):
    async def pieces():
        for piece in STREAM_PIECES:
            yield piece
    return StreamingHttpResponse(pieces(), content_type="text/plain")


async def upload(request):
    return JsonResponse(upload_summary(request.body))


async def finished(request):
    return JsonResponse({"finished": list(FINISHED), "pid": os.getpid()})


urlpatterns = [
    path("items/<int:item_id>", item),
    path("echo", echo),
    path("stream", stream),
    path("upload", upload),
    path("finished", finished),
]

application = get_asgi_application()
