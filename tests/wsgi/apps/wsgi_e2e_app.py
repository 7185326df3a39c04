"""WSGI application used by the end-to-end WSGI tests; routes by PATH_INFO."""

from __future__ import annotations

import json
import os
import sys
import tempfile

# The tests point this at their tmp_path; the app writes the file on demand.
DATA_FILE = os.environ.get("WSGI_E2E_DATA") or os.path.join(
    tempfile.gettempdir(), "wsgi_e2e_data_%d.bin" % os.getuid()
)
DATA = bytes(range(256)) * 400  # 102400 bytes


def _ensure_data_file() -> None:
    try:
        if os.path.getsize(DATA_FILE) == len(DATA):
            return
    except OSError:
        pass
    tmp = "%s.%d" % (DATA_FILE, os.getpid())
    with open(tmp, "wb") as f:
        f.write(DATA)
    os.replace(tmp, DATA_FILE)


def _json(start_response, obj, status="200 OK"):
    body = json.dumps(obj, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def environ_view(environ, start_response):
    out = {}
    for key, value in environ.items():
        if isinstance(value, str):
            out[key] = value
        else:
            out[key] = "<%s>" % type(value).__name__
    out["wsgi.version"] = list(environ["wsgi.version"])
    out["wsgi.multithread"] = environ["wsgi.multithread"]
    out["wsgi.multiprocess"] = environ["wsgi.multiprocess"]
    out["wsgi.run_once"] = environ["wsgi.run_once"]
    out["wsgi.input_terminated"] = environ["wsgi.input_terminated"]
    out["has_file_wrapper"] = environ["wsgi.file_wrapper"] is not None
    out["early_hints_callable"] = callable(environ.get("wsgi.early_hints"))
    out["socket_fileno"] = environ["gunicorn.socket"].fileno() >= 0
    environ["wsgi.errors"].write("environ view called\n")
    return _json(start_response, out)


def chunked(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello ", b"", b"chunked ", b"world"]


def length(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "11")])
    return [b"hello ", b"world", b" and more that is cut"]


def status(environ, start_response):
    code = environ["QUERY_STRING"] or "204"
    reasons = {"204": "No Content", "304": "Not Modified", "200": "OK"}
    start_response("%s %s" % (code, reasons.get(code, "X")), [("Content-Length", "5"), ("X-Code", code)])
    return [b"body!"]


def hop(environ, start_response):
    start_response(
        "200 OK",
        [
            ("Content-Length", "2"),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=99"),
            ("Transfer-Encoding", "gzip"),
            ("TE", "trailers"),
            ("Trailers", "X-T"),
            ("Upgrade", "h2c"),
            ("Proxy-Authenticate", "Basic"),
            ("Server", "not-gunicorn"),
            ("X-End-To-End", "kept"),
        ],
    )
    return [b"ok"]


def file_view(environ, start_response):
    _ensure_data_file()
    f = open(DATA_FILE, "rb")  # noqa: SIM115 - closed through FileWrapper.close
    query = environ["QUERY_STRING"]
    headers = [("Content-Type", "application/octet-stream")]
    if query.startswith("offset="):
        f.seek(int(query.split("=", 1)[1]))
    if "nolength" not in query:
        headers.append(("Content-Length", str(len(DATA) - f.tell())))
    start_response("200 OK", headers)
    return environ["wsgi.file_wrapper"](f, 8192)


READS = {"count": 0}


class CountingFile:
    """A binary file whose read() calls are counted: sendfile never reads."""

    mode = "rb"

    def __init__(self, path):
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()

    def read(self, size=-1):
        READS["count"] += 1
        return self._f.read(size)

    def fileno(self):
        return self._f.fileno()

    def tell(self):
        return self._f.tell()

    def seek(self, *args):
        return self._f.seek(*args)

    def close(self):
        self._f.close()


def probe_file(environ, start_response):
    _ensure_data_file()
    READS["count"] = 0
    start_response("200 OK", [("Content-Length", str(len(DATA)))])
    return environ["wsgi.file_wrapper"](CountingFile(DATA_FILE), 4096)


def probe_reads(environ, start_response):
    return _json(start_response, READS)


def write_view(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written ")
    write(b"directly ")
    return [b"then returned"]


def excinfo_early(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Before", "1")])
    try:
        raise ValueError("handled")
    except ValueError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"recovered"]


def excinfo_late(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"partial")
    try:
        raise ValueError("too late")
    except ValueError:
        start_response("500 Internal Server Error", [], sys.exc_info())
    return [b"never"]


def error(environ, start_response):
    raise RuntimeError("application failure")


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    return _json(start_response, {"length": len(body), "body": body.decode("latin-1")})


def no_read(environ, start_response):
    start_response("401 Unauthorized", [("Content-Length", "0")])
    return []


def hints(environ, start_response):
    n = int(environ["QUERY_STRING"] or "1")
    send = environ["wsgi.early_hints"]
    for i in range(n):
        send([("Link", "</style%d.css>; rel=preload; as=style" % i)])
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hints"]


def bad_hint(environ, start_response):
    environ["wsgi.early_hints"]([("Link", "</x>\r\nX-Injected: yes")])
    start_response("200 OK", [("Content-Length", "2")])
    return [b"no"]


def bad_header(environ, start_response):
    start_response("200 OK", [("X-Bad", "a\r\nX-Injected: yes")])
    return [b"no"]


def bad_status(environ, start_response):
    start_response("2000 Nope", [])
    return [b"no"]


ROUTES = {
    "/environ": environ_view,
    "/chunked": chunked,
    "/length": length,
    "/status": status,
    "/hop": hop,
    "/file": file_view,
    "/write": write_view,
    "/probe-file": probe_file,
    "/probe-reads": probe_reads,
    "/excinfo-early": excinfo_early,
    "/excinfo-late": excinfo_late,
    "/error": error,
    "/echo": echo,
    "/no-read": no_read,
    "/hints": hints,
    "/bad-hint": bad_hint,
    "/bad-header": bad_header,
    "/bad-status": bad_status,
}


def app(environ, start_response):
    view = ROUTES.get(environ["PATH_INFO"])
    if view is None:
        if environ["PATH_INFO"].startswith("/environ"):
            return environ_view(environ, start_response)
        start_response("404 Not Found", [("Content-Length", "9")])
        return [b"not found"]
    return view(environ, start_response)
