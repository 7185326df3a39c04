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

__all__ = ["APP_ARGS", "TLSFiles", "gthread_h2", "make_tls_files", "tls_args"]

APP_ARGS = ("--chdir", HERE, "h2_apps:app")


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

