"""The proxy configurations in ``examples/deploy/`` pass their proxy's own syntax check.

Each nginx example holds http-level blocks (``upstream``, ``map``,
``server``) meant for ``/etc/nginx/conf.d/``; the test wraps it in a minimal
``nginx.conf`` (``events {}`` and ``http { include ...; }``) under a temporary
prefix and runs ``nginx -t``.  Certificate paths are replaced by a throwaway
certificate, and ``uwsgi_params`` is the one nginx ships.  A directive newer
than the local nginx (``http2 on`` 1.25.1, ``early_hints`` 1.29.0) is taken
out before the check and the test id says so; the file must then fail on the
local nginx only because of those directives.  ``haproxy.cfg`` goes through
``haproxy -c -f``.  A missing binary skips the files of that proxy only.

The proxies themselves are exercised with real traffic in ``tests/proxies/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# find_nginx and nginx_version are imported from here by tests/test_docker_files.py
from tests.support.nginx import (
    UWSGI_PARAMS,
    UWSGI_PARAMS_TEXT,
    find_nginx,
    nginx_conf,
    nginx_version,
)

__all__ = ["find_nginx", "nginx_syntax_check", "nginx_version", "strip_newer_directives"]

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "examples" / "deploy"

# directive pattern -> first nginx version that knows it
NEWER_DIRECTIVES: dict[str, tuple[int, int, int]] = {
    r"^\s*http2\s+on\s*;": (1, 25, 1),
    r"^\s*early_hints\s+[^;]*;": (1, 29, 0),
}


def strip_newer_directives(text: str, version: tuple[int, ...]) -> tuple[str, list[str]]:
    """Remove directives newer than ``version``; returns (text, the removed directive lines)."""
    removed: list[str] = []
    for pattern, since in NEWER_DIRECTIVES.items():
        if version < since:
            removed += [m.group(0).strip() for m in re.finditer(pattern, text, re.M)]
            text = re.sub(pattern, "", text, flags=re.M)
    return text, removed


def nginx_syntax_check(nginx: str, snippet: str, tmp: Path) -> subprocess.CompletedProcess:
    """Run ``nginx -t`` on an http-level ``snippet`` wrapped in a minimal nginx.conf.

    ``tmp`` becomes the nginx prefix (temp paths, pid, error log).  Every
    ``ssl_certificate`` / ``ssl_certificate_key`` path is pointed at a fresh
    self-signed certificate (trustme), and ``include uwsgi_params`` finds
    nginx's own file (or an equivalent copy).  Returns the finished process;
    its output is in ``stderr``.
    """
    if re.search(r"^\s*ssl_certificate", snippet, re.M):
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("example.com")
        cert.private_key_and_cert_chain_pem.write_to_path(str(tmp / "server.pem"))
        snippet = re.sub(r"^(\s*ssl_certificate(?:_key)?)\s+[^;]+;",
                         lambda m: "%s %s;" % (m.group(1), tmp / "server.pem"), snippet, flags=re.M)
    params = Path(UWSGI_PARAMS)
    if params.is_file():
        shutil.copy(params, tmp / "uwsgi_params")
    else:
        (tmp / "uwsgi_params").write_text(UWSGI_PARAMS_TEXT)
    (tmp / "site.conf").write_text(snippet)
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(str(tmp), "    include %s/site.conf;" % tmp, worker_connections=64))
    return subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(conf)],
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


NGINX_EXAMPLES = sorted(p.name for p in DEPLOY.glob("nginx-*.conf"))


def test_deploy_examples_present():
    assert NGINX_EXAMPLES == ["nginx-http2-early-hints.conf", "nginx-proxy.conf",
                              "nginx-uwsgi.conf", "nginx-websocket.conf"]
    assert (DEPLOY / "haproxy.cfg").is_file()


@pytest.mark.parametrize("name", NGINX_EXAMPLES)
def test_nginx_example_syntax(name, tmp_path):
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed")
    version = nginx_version(nginx)
    text = (DEPLOY / name).read_text()
    checked, removed = strip_newer_directives(text, version)
    proc = nginx_syntax_check(nginx, checked, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "syntax is ok" in proc.stderr and "test is successful" in proc.stderr, proc.stderr
    if removed:
        # checked without directives the local nginx is too old for: the
        # untouched file must fail on exactly those
        whole = nginx_syntax_check(nginx, text, tmp_path)
        assert whole.returncode != 0, whole.stderr
        assert re.search(r'unknown directive "(http2|early_hints)"|"http2" directive',
                         whole.stderr), whole.stderr
        print("nginx %s: %s checked without %s (needs a newer nginx)"
              % (".".join(map(str, version)), name, removed))


def test_nginx_early_hints_example_needs_129():
    """The early-hints example says which nginx it needs and carries both directives."""
    text = (DEPLOY / "nginx-http2-early-hints.conf").read_text()
    assert "1.29.0" in text
    assert re.search(r"^\s*early_hints \$http2;", text, re.M)
    assert re.search(r"^\s*http2 on;", text, re.M)
    assert re.search(r"^\s*proxy_http_version 1\.1;", text, re.M)


def test_haproxy_example_syntax():
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if haproxy is None:
        pytest.skip("haproxy is not installed")
    cfg = DEPLOY / "haproxy.cfg"
    proc = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = cfg.read_text()
    assert re.search(r"^\s*server \S+ \S+ send-proxy-v2\b", text, re.M)
    assert re.search(r"^\s*server \S+ \S+ send-proxy\b(?!-)", text, re.M)
