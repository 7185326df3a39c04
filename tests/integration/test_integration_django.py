"""The Django example project served by a real server, with httpx and curl.

The project is loaded two ways: ``--chdir`` into the project directory with the
default ``application`` attribute, and ``--pythonpath`` with an explicit one.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.integration.integration_support import FRAMEWORKS
from tests.support.server import WORKER_ARGS, run_server

pytest.importorskip("django")

PROJECT = os.path.join(FRAMEWORKS, "djangoapp")
LAYOUTS = {
    "chdir": ("--chdir", PROJECT, "djangoapp.wsgi"),
    "pythonpath": ("--pythonpath", PROJECT, "djangoapp.wsgi:application"),
}


@pytest.fixture(scope="module",
                params=[(layout, worker) for layout in sorted(LAYOUTS) for worker in sorted(WORKER_ARGS)],
                ids=lambda p: "-".join(p))
def server(request):
    layout, worker = request.param
    with run_server("--workers", "2", *WORKER_ARGS[worker], *LAYOUTS[layout]) as srv:
        yield srv


def test_template_view(server, fetch):
    reply = fetch.request("GET", server.url + "/")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "<h1>Django on gunicorn</h1>" in reply.text
    # the template shows what the server put into the environ
    assert "GET / over http, served by gunicorn/" in reply.text


def test_echo_post_form(server, fetch):
    fields = {"name": "Zoë", "colour": ["red", "blue"], "empty": ""}
    reply = fetch.request("POST", server.url + "/echo/", data=fields)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"method": "POST", "fields": fields}


def test_echo_get_query(server, fetch):
    reply = fetch.request("GET", server.url + "/echo/?q=a%20b&n=1&n=2")
    assert reply.status == 200
    assert reply.json() == {"method": "GET", "fields": {"q": "a b", "n": ["1", "2"]}}


def test_echo_method_not_allowed(server, fetch):
    assert fetch.request("PUT", server.url + "/echo/", content=b"x").status == 405


def test_append_slash_redirect(server, fetch):
    reply = fetch.request("GET", server.url + "/echo")
    assert reply.status == 301
    assert reply.headers["location"] == "/echo/"


def test_unknown_path_is_404(server, fetch):
    assert fetch.request("GET", server.url + "/missing/").status == 404


def test_disallowed_host_is_400(server, fetch):
    reply = fetch.request("GET", server.url + "/", headers={"Host": "evil.example"})
    assert reply.status == 400


def test_worker_still_healthy(server, fetch):
    assert fetch.request("GET", server.url + "/").status == 200
    assert not re.search(r"Error handling request|Worker failed to boot", server.output())
