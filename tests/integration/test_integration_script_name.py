"""A ``SCRIPT_NAME`` field from a trusted forwarder, end to end on every worker.

The field (underscore spelling, kept only from peers in ``forwarded_allow_ips``)
mounts the application below a prefix. A value that does not prefix the request
path is the request's fault: 400, one warning line, no traceback, and the
worker keeps serving.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.support.client import header, parse_response_head, raw_request
from tests.support.server import WORKER_ARGS, run_server, skip_foreign_http

APP = ("--chdir", "tests/integration", "nginx_app:app")
# an error-log line: "[date] [pid] [LEVEL] message"
LOG_LINE = re.compile(r"^\[[^\]]+\] \[\d+\] \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] (.*)$", re.M)


@pytest.fixture(scope="module", params=sorted(WORKER_ARGS))
def server(request):
    skip_foreign_http(request.param, "the SCRIPT_NAME request field from a trusted "
                      "forwarder (gunicorn's environ builder)")
    # access lines on stdout: the marker request's line tells when the worker is done
    with run_server(*WORKER_ARGS[request.param], "--forwarded-allow-ips", "127.0.0.1",
                    "--access-logfile", "-", "--access-logformat", "ACCESS %(r)s %(s)s",
                    *APP) as srv:
        yield srv


def get(srv, target: str, *fields: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    data = raw_request(srv.host, srv.port, b"GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n"
                       % (target.encode(), b"".join(f + b"\r\n" for f in fields)))
    status, _, headers, body = parse_response_head(data)
    return status, headers, body


def test_script_name_field_mounts_the_app(server):
    status, _, body = get(server, "/mnt/app/x", b"SCRIPT_NAME: /mnt/app")
    assert status == 200
    info = json.loads(body)
    assert (info["script_name"], info["path"]) == ("/mnt/app", "/x")


def test_script_name_field_not_prefixing_path_is_400(server):
    start = len(server.output())
    status, headers, body = get(server, "/other/x", b"SCRIPT_NAME: /mnt/app")
    assert status == 400
    assert header(headers, "Connection") == "close"
    assert b"SCRIPT_NAME" in body
    # once the marker's access line is out, everything the bad request logged is too
    assert get(server, "/marker")[0] == 200
    server.wait_for_output(r"ACCESS GET /marker HTTP/1.1 200", start=start)
    out = server.output()[start:]
    assert "ACCESS GET /other/x HTTP/1.1 400" in out
    lines = LOG_LINE.findall(out)
    assert lines == [("WARNING", "Invalid request from ip=127.0.0.1: Invalid SCRIPT_NAME field: "
                      "Request path '/other/x' does not start with SCRIPT_NAME '/mnt/app'")], out
    assert "Traceback" not in out and "Error handling request" not in out


def test_script_name_field_from_untrusted_peer_is_ignored():
    # 127.0.0.1 is not an allowed forwarder here: the field is dropped, the path served as is
    with run_server("--forwarded-allow-ips", "192.0.2.1", *APP) as srv:
        status, _, body = get(srv, "/other/x", b"SCRIPT_NAME: /mnt/app")
        assert status == 200
        info = json.loads(body)
        assert (info["script_name"], info["path"]) == ("", "/other/x")
