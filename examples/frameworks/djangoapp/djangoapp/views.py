"""Views of the example project."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods


def index(request: HttpRequest) -> HttpResponse:
    """Render ``index.html`` with a few request details."""
    return render(request, "index.html", {
        "method": request.method,
        "path": request.path,
        "server": request.META.get("SERVER_SOFTWARE", "unknown"),
        "scheme": request.scheme,
    })


@csrf_exempt
@require_http_methods(["GET", "POST"])
def echo(request: HttpRequest) -> JsonResponse:
    """Echo form fields (POST) or query fields (GET) as JSON; repeated keys become lists."""
    source = request.POST if request.method == "POST" else request.GET
    fields = {key: values if len(values) > 1 else values[0]
              for key, values in source.lists()}
    return JsonResponse({"method": request.method, "fields": fields})
