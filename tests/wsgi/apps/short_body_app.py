"""A WSGI application that reads the whole request body and records, in the
file named by ``SHORT_BODY_LOG``, what ``wsgi.input`` gave it: the byte count
or the exception it raised (re-raised, as a plain application would)."""

from __future__ import annotations

import os


def _record(line: str) -> None:
    with open(os.environ["SHORT_BODY_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")


def app(environ, start_response):  # noqa: ANN001, ANN201 - a WSGI application
    try:
        body = environ["wsgi.input"].read()
    except Exception as exc:
        _record("error %s.%s" % (type(exc).__module__, type(exc).__name__))
        raise
    _record("read %d" % len(body))
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
