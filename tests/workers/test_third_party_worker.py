"""Third-party workers subclassing gunicorn.workers.base.Worker run unmodified
(uvicorn's UvicornWorker), including the signal checks uvicorn's own tests make."""

import signal
import time

import pytest

from gunicorn.arbiter import Arbiter
from tests.support.client import raw_request
from tests.support.server import run_server

pytest.importorskip("uvicorn.workers")

ARGS = ("-k", "uvicorn.workers.UvicornWorker", "--pythonpath", "tests/workers/apps",
        "--graceful-timeout", "1", "--log-level", "debug", "-w", "1", "arbiter_asgiapp:app")


def test_uvicorn_worker_serves():
    with run_server(*ARGS) as srv:
        srv.wait_for_output(r"Application startup complete", 10)
        data = raw_request(srv.host, srv.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"asgi ok")
        assert srv.stop() == 0


@pytest.mark.parametrize("sig", [s for s in Arbiter.SIGNALS
                                 if s not in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)])
def test_uvicorn_worker_signals_logged(sig):
    with run_server(*ARGS) as srv:
        srv.wait_for_output(r"Application startup complete", 10)
        time.sleep(0.2)
        srv.signal(sig)
        srv.wait_for_output(r"Handling signal: %s" % Arbiter.SIG_NAMES[sig], 5)
