"""A Pyramid application with HTML, JSON and POST routes.

Run it with ``gunicorn --chdir examples/frameworks pyramidapp:app``.

Routes:

* ``GET /``              plain-text greeting
* ``GET /hello/{name}``  HTML greeting (the name is escaped)
* ``GET /api/info``      JSON describing the request
* ``POST /api/echo``     echoes a JSON body, or form fields, as JSON
"""

from html import escape

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request
from pyramid.response import Response


def home(request: Request) -> Response:
    """Plain-text greeting."""
    return Response("Hello from Pyramid!\n", content_type="text/plain")


def hello(request: Request) -> Response:
    """HTML greeting for the ``name`` path segment."""
    name = escape(request.matchdict["name"])
    return Response("<!doctype html><html><body><h1>Hello, %s!</h1></body></html>" % name,
                    content_type="text/html")


def info(request: Request) -> dict:
    """Request details, rendered as JSON."""
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.GET),
        "scheme": request.scheme,
        "server_software": request.environ.get("SERVER_SOFTWARE"),
    }


def echo(request: Request) -> dict:
    """Echo a JSON body, or form fields, back as JSON; 400 on malformed JSON."""
    if request.content_type == "application/json":
        try:
            data = request.json_body
        except ValueError:
            raise HTTPBadRequest(json_body={"error": "invalid JSON"})
        return {"json": data}
    fields = {key: values if len(values) > 1 else values[0]
              for key, values in request.POST.dict_of_lists().items()}
    return {"form": fields}


def make_app() -> object:
    """Build the WSGI application from a Pyramid Configurator."""
    with Configurator() as config:
        config.add_route("home", "/")
        config.add_route("hello", "/hello/{name}")
        config.add_route("info", "/api/info")
        config.add_route("echo", "/api/echo")
        config.add_view(home, route_name="home", request_method="GET")
        config.add_view(hello, route_name="hello", request_method="GET")
        config.add_view(info, route_name="info", request_method="GET", renderer="json")
        config.add_view(echo, route_name="echo", request_method="POST", renderer="json")
        return config.make_wsgi_app()


app = make_app()
application = app
