"""Helpers for the HTTP/2 end-to-end tests: certificates and servers."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
for path in (HERE, os.path.join(TESTS, "tls")):
    if path not in sys.path:
        sys.path.insert(0, path)

from tls_support import TLSFiles, make_tls_files  # noqa: E402

from tests.support.server import run_server  # noqa: E402

__all__ = ["APP_ARGS", "H2_WSGI_WORKERS", "TLSFiles", "green_h2", "gthread_h2", "h2_client",
           "h2_worker", "make_tls_files", "tls_args"]

APP_ARGS = ("--chdir", HERE, "h2_apps:app")

#: the WSGI worker classes that serve HTTP/2 (sync and gevent_pywsgi do not)
H2_WSGI_WORKERS = ("gthread", "gevent", "eventlet")


def h2_client(srv, files: TLSFiles):
    """A frame-level client (h2_client.H2Client) connected over TLS to
    *srv* (a tests.support.server.GunicornServer), offering h2 and http/1.1."""
    from h2_client import H2Client

    return H2Client(srv.host, srv.port, files.client_context(alpn=["h2", "http/1.1"]))


def tls_args(files: TLSFiles) -> tuple[str, ...]:
    return ("--certfile", files.cert_path, "--keyfile", files.key_path)


def gthread_h2(files: TLSFiles | None, *extra: str, threads: int = 8):
    """A gthread server offering h2 (TLS when *files* is given)."""
    args = ["--worker-class", "gthread", "--threads", str(threads),
            "--http-protocols", "h2,h1"]
    if files is not None:
        args += tls_args(files)
    args += list(extra)
    args += list(APP_ARGS)
    return run_server(*args)



def green_h2(worker: str, files: TLSFiles | None, *extra: str):
    """A one-worker greenlet (*worker*: gevent or eventlet) server offering h2
    (TLS when *files* is given); *extra* options come after the defaults."""
    args = ["-k", worker, "-w", "1", "--http-protocols", "h2,h1", "--keep-alive", "30"]
    if files is not None:
        args += tls_args(files)
    return run_server(*args, *extra, *APP_ARGS)


def h2_worker(worker: str, files: TLSFiles | None, *extra: str, threads: int = 8):
    """A server of *worker* (one of H2_WSGI_WORKERS) offering h2, TLS when
    *files* is given; *threads* sizes the gthread pool and is ignored by the
    greenlet workers (one greenlet per stream)."""
    if worker == "gthread":
        return gthread_h2(files, *extra, threads=threads)
    return green_h2(worker, files, *extra)
