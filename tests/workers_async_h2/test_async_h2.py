"""HTTP/2 on the gevent and eventlet workers: what only the greenlet workers
do.  The behaviour tests they share with gthread (httpx, floods, GOAWAY,
h2c, ...) run on every HTTP/2 worker in tests/http2_e2e.

Real server processes, real clients: a frame-level ``h2`` client
(``tests/http2_e2e/h2_client.py``) over TLS.
"""

from __future__ import annotations

import socket

from tests.http2_e2e.h2e2e_support import h2_client as _client
from tests.support.server import run_server
from tests.workers_async_h2.conftest import APP_ARGS, tls_args


def test_client_not_reading_does_not_block_others(h2_server, tls_files):
    """Wide flow-control windows and a client that does not read its socket:
    the response waits in the server's output (the writer greenlet sends it
    when the socket drains) while other connections are served."""
    size = 40_000_000
    client = _client(h2_server, tls_files)
    try:
        client.conn.update_settings({4: 2 ** 31 - 1})  # SETTINGS_INITIAL_WINDOW_SIZE
        client.conn.increment_flow_control_window(2 ** 31 - 1 - 65535)
        client.flush()
        sid = client.request("GET", "/big?%d" % size)
        other = _client(h2_server, tls_files)
        try:
            for _ in range(3):
                assert other.get("/").data == b"hello"
        finally:
            other.close()
        ex = client.exchanges[sid]
        client.wait(lambda: ex.ended or ex.reset is not None, timeout=60)
        assert ex.reset is None and len(ex.data) == size
    finally:
        client.close()


def test_every_stream_starts_in_a_fresh_context(h2_server, tls_files):
    """Stream greenlets are kept for later streams: a context variable set
    by the application on one stream is not seen by any later stream, of
    the same connection or of another, in batches or one at a time."""
    seen = []
    clients = [_client(h2_server, tls_files) for _ in range(2)]
    try:
        for batch in range(4):
            for client in clients:
                sids = [client.request("GET", "/context?b%dn%d" % (batch, n))
                        for n in range(20)]
                exchanges = [client.exchanges[s] for s in sids]
                client.wait(lambda ex=exchanges: all(e.ended for e in ex))
                seen += [bytes(e.data) for e in exchanges]
        for n in range(5):
            seen.append(bytes(clients[n % 2].get("/context?one%d" % n).data))
    finally:
        for client in clients:
            client.close()
    assert seen == [b"fresh"] * (4 * 2 * 20 + 5)


def test_a_timeout_left_running_reaches_no_other_connection(h2_server, tls_files):
    """An application leaves a started timeout behind in its stream
    greenlet; when it fires, the greenlet parked for that connection ends,
    and a stream of another connection, running meanwhile, is untouched."""
    first = _client(h2_server, tls_files)
    second = _client(h2_server, tls_files)
    try:
        assert first.get("/leak-timeout?%s" % h2_server.worker).data == b"leaked"
        # runs across the moment the timeout fires (0.3 s after it started)
        ex = second.get("/sleep?0.6")
        assert ex.status == 200 and ex.data == b"slept"
        for _ in range(3):
            assert first.get("/").data == b"hello"
            assert second.get("/").data == b"hello"
    finally:
        first.close()
        second.close()


def test_gevent_pywsgi_does_not_offer_h2(tls_files):
    with run_server("-k", "gevent_pywsgi", "--http-protocols", "h2,h1", *tls_args(tls_files),
                    *APP_ARGS) as srv:
        ctx = tls_files.client_context(alpn=["h2", "http/1.1"])
        with socket.create_connection((srv.host, srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.selected_alpn_protocol() in (None, "http/1.1")
        assert "HTTP/2 is not supported by the gevent_pywsgi worker" in srv.output()
