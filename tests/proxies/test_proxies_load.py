"""Load through HAProxy (PROXY v2), and reloads under load through nginx.

* 50 concurrent keep-alive clients send 2,000 requests through HAProxy with
  ``send-proxy-v2``; every answer must be a 200 with the exact body.
* While 20 clients keep requesting through nginx (upstream keep-alive), the
  master gets HUP (new workers) or USR2 followed by TERM of the old master
  (binary upgrade): no request may fail.
"""

from __future__ import annotations

import pathlib
import signal
from collections.abc import Iterator

import pytest

from tests.arbiter.arbiter_helpers import Load, stop_master, wait_until
from tests.proxies.proxy_apps import expected_load_body
from tests.proxies.proxy_support import (
    CLIENT_IP,
    app_args,
    free_port,
    run_haproxy,
    run_load,
    run_nginx,
)
from tests.support.server import GunicornServer, children_of, run_server

NGINX_HTTP = """
    upstream app {{ server 127.0.0.1:{app}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{http};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
"""


def test_load_through_haproxy_send_proxy_v2(tmp_path: pathlib.Path) -> None:
    with run_server("--workers", "2", "--proxy-protocol", "v2", "--keep-alive", "30",
                    *app_args("gthread")) as srv:
        assert srv.port is not None
        ports = {"v2": free_port()}
        sections = ("listen v2\n    bind 127.0.0.1:%d\n    server app 127.0.0.1:%d send-proxy-v2\n"
                    % (ports["v2"], srv.port))
        with run_haproxy(str(tmp_path), sections, ports):
            result = run_load("127.0.0.1", ports["v2"], 2000, 50, lambda i: "/load/%d" % i,
                              expected_load_body, source=CLIENT_IP)
    assert result.errors == []
    assert (result.sent, result.ok) == (2000, 2000)


@pytest.fixture
def behind_nginx(tmp_path: pathlib.Path) -> Iterator[tuple[GunicornServer, int]]:
    """A gthread server (2 workers) behind nginx; yields (server, nginx port)."""
    with run_server("--workers", "2", "--keep-alive", "30", "--graceful-timeout", "20",
                    *app_args("gthread")) as srv:
        srv.wait_workers(2)
        ports = {"http": free_port()}
        with run_nginx(str(tmp_path), NGINX_HTTP.format(app=srv.port, **ports), ports):
            yield srv, ports["http"]


def _assert_nothing_lost(load: Load) -> None:
    with load._lock:
        successes = sum(load.bodies.values())
        assert load.failures == []
        assert successes == load.completed


def test_hup_under_load(behind_nginx: tuple[GunicornServer, int]) -> None:
    srv, port = behind_nginx
    old = set(srv.worker_pids())
    with Load("127.0.0.1", port, "/pid", conns=20) as load:
        load.wait_count(200)
        assert load.served_by(old) > 0
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: len(srv.worker_pids()) == 2 and not set(srv.worker_pids()) & old, 30), \
            srv.output()[-3000:]
        new = set(srv.worker_pids())
        # both new workers answer through nginx before the load stops
        assert wait_until(lambda: all(load.served_by({pid}) > 0 for pid in new), 30)
        load.wait_count(load.completed + 200)
    _assert_nothing_lost(load)


def test_usr2_upgrade_under_load(behind_nginx: tuple[GunicornServer, int]) -> None:
    srv, port = behind_nginx
    old_workers = set(srv.worker_pids())
    new_master = None
    try:
        with Load("127.0.0.1", port, "/pid", conns=20) as load:
            load.wait_count(200)
            srv.signal(signal.SIGUSR2)
            assert wait_until(lambda: set(children_of(srv.pid)) - old_workers, 15), srv.output()[-3000:]
            new_master = (set(children_of(srv.pid)) - old_workers).pop()
            assert wait_until(lambda: len(children_of(new_master)) == 2, 30), srv.output()[-3000:]
            new_workers = set(children_of(new_master))
            # the new generation serves (the listening socket is shared) ...
            assert wait_until(lambda: load.served_by(new_workers) > 0, 30)
            # ... so the old master can go: TERM is a graceful stop
            srv.signal(signal.SIGTERM)
            assert srv.proc.wait(30) == 0
            served_before = load.served_by(new_workers)
            load.wait_count(load.completed + 300)
            # of those 300, at most one per client thread was already under way
            # (answered by an old worker) when the old master was gone
            assert load.served_by(new_workers) >= served_before + 300 - 20
        _assert_nothing_lost(load)
        assert load.served_by(old_workers) > 0
    finally:
        if new_master is not None:
            stop_master(new_master)
