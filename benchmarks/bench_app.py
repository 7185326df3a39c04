"""The WSGI application every contender of ``server_bench.py`` serves.

Routes, chosen by ``PATH_INFO``:

* ``/`` (and any unknown path): a fixed 14-byte ``text/plain`` body, the
  same as ``examples/hello.py``;
* ``/64k``: a fixed 65,536-byte body (one bytes object, ``Content-Length``
  set), to measure response writing;
* ``/echo``: the request body read from ``wsgi.input`` (``CONTENT_LENGTH``
  bytes) and sent back, to measure request-body reading.

It only uses PEP 3333, so upstream gunicorn and this project run it alike.
The benchmark copies this file into a temporary directory and serves it as
``bench_app:app`` from there.
"""

from collections.abc import Callable, Iterable

_HELLO = b"Hello, World!\n"
_HELLO_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_HELLO)))]
_BIG = b"x" * 65536
_BIG_HEADERS = [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(_BIG)))]
_OK = "200 OK"


def _hello(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response(_OK, _HELLO_HEADERS)
    return [_HELLO]


def _big(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response(_OK, _BIG_HEADERS)
    return [_BIG]


def _echo(environ: dict, start_response: Callable) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    start_response(_OK, [("Content-Type", "application/octet-stream"),
                         ("Content-Length", str(len(body)))])
    return [body]


_ROUTES = {"/": _hello, "/64k": _big, "/echo": _echo}


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """PEP 3333 application: dispatch on ``PATH_INFO`` to the routes above."""
    return _ROUTES.get(environ.get("PATH_INFO", "/"), _hello)(environ, start_response)
