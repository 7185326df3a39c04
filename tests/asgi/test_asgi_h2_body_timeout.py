"""A stalled HTTP/2 request body on the asgi worker ends as on HTTP/1.1:
after ``--timeout`` seconds without request content the application's
``receive()`` returns ``http.disconnect`` and the stream is reset with
CANCEL (RFC 9113 section 8.1); the connection and its other streams go on."""

from __future__ import annotations

import os
import sys
import time

from tests.support.server import run_server

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_E2E = os.path.join(_TESTS, "http2_e2e")
if _E2E not in sys.path:
    sys.path.insert(0, _E2E)

from h2_client import H2Client  # noqa: E402

CANCEL = 0x8

from tests.asgi.test_asgi_body_timeout_reload import STALL_APP  # noqa: E402


def test_stalled_h2_request_body_ends_in_disconnect_and_cancel(tmp_path):
    (tmp_path / "stall_h2_app.py").write_text(STALL_APP)
    # --keep-alive above --timeout: the connection is not idle-closed when
    # the stalled stream ends, so that its reuse can be checked
    with run_server("--worker-class", "asgi", "--pythonpath", str(tmp_path), "--timeout", "2",
                    "--keep-alive", "30", "--http-protocols", "h2,h1",
                    "--http2-cleartext", "prior-knowledge", "stall_h2_app:app") as srv:
        client = H2Client(srv.host, srv.port)
        try:
            # HEADERS without END_STREAM and 10 of the 100 announced octets, then nothing
            sid = client.request("POST", "/upload", body=b"a" * 10,
                                 headers=[("content-length", "100")], end=False)
            srv.wait_for_output(r"stall-app /upload got http\.request 10")
            started = time.monotonic()
            stalled = client.exchanges[sid]
            client.wait(lambda: stalled.reset is not None or stalled.ended, timeout=15)
            waited = time.monotonic() - started
            assert 1.0 < waited < 8.0, waited
            assert stalled.reset == CANCEL and stalled.headers is None
            srv.wait_for_output(r"stall-app /upload got http\.disconnect 0")
            srv.wait_for_output(r"Request body from .* stalled for 2\.0s")
            # only the stream ended: the same connection serves a whole body
            done = client.request("POST", "/next", body=b"x" * 100,
                                  headers=[("content-length", "100")])
            ok = client.exchanges[done]
            client.wait(lambda: ok.ended or ok.reset is not None, timeout=15)
            assert ok.status == 200 and bytes(ok.data) == b"http.request"
        finally:
            client.close()


def test_h2_body_arriving_slowly_but_steadily_is_not_cut(tmp_path):
    # the bound is per wait: each piece that arrives restarts it
    (tmp_path / "stall_h2_app.py").write_text(STALL_APP)
    with run_server("--worker-class", "asgi", "--pythonpath", str(tmp_path), "--timeout", "2",
                    "--http-protocols", "h2,h1", "--http2-cleartext", "prior-knowledge",
                    "stall_h2_app:app") as srv:
        client = H2Client(srv.host, srv.port)
        try:
            sid = client.request("POST", "/slow", body=None,
                                 headers=[("content-length", "4")], end=False)
            for n in range(1, 5):
                client.send_body(sid, b"z", end_stream=n == 4)
                srv.wait_for_output(r"(stall-app /slow got http\.request 1\n.*){%d}" % n)
                if n < 4:
                    time.sleep(1.2)  # the gap being tested, not a wait for state
            ex = client.exchanges[sid]
            client.wait(lambda: ex.ended or ex.reset is not None, timeout=15)
            assert ex.reset is None and ex.status == 200
            assert bytes(ex.data) == b" ".join([b"http.request"] * 4)
        finally:
            client.close()
        assert "stalled" not in srv.output()
