"""Run a real nginx (and other proxies) from tests and benchmarks.

One place for what every nginx user here needs: the binary, its version, a
main ``nginx.conf`` under a temporary prefix (``events {}``, ``http {}`` with
no access log and every temp path inside the prefix), and a foreground
process that is waited for until its ports accept connections and is always
stopped when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence

__all__ = [
    "NGINX", "UWSGI_PARAMS", "UWSGI_PARAMS_TEXT", "ProxyProcess", "find_nginx", "free_port",
    "nginx_conf", "nginx_version", "require_nginx", "run_nginx", "wait_port",
]

#: the uwsgi_params file the Debian nginx package ships
UWSGI_PARAMS = "/etc/nginx/uwsgi_params"

#: the same parameters, for systems where nginx keeps the file elsewhere
UWSGI_PARAMS_TEXT = """\
uwsgi_param QUERY_STRING $query_string;
uwsgi_param REQUEST_METHOD $request_method;
uwsgi_param CONTENT_TYPE $content_type;
uwsgi_param CONTENT_LENGTH $content_length;
uwsgi_param REQUEST_URI $request_uri;
uwsgi_param PATH_INFO $document_uri;
uwsgi_param SERVER_PROTOCOL $server_protocol;
uwsgi_param REQUEST_SCHEME $scheme;
uwsgi_param HTTPS $https if_not_empty;
uwsgi_param REMOTE_ADDR $remote_addr;
uwsgi_param REMOTE_PORT $remote_port;
uwsgi_param SERVER_PORT $server_port;
uwsgi_param SERVER_NAME $server_name;
"""


def find_nginx() -> str | None:
    """Path of the nginx binary (PATH, then /usr/sbin/nginx), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


#: the nginx binary, or where the Debian package puts it when it is missing
NGINX = find_nginx() or "/usr/sbin/nginx"


def require_nginx() -> str:
    """The nginx binary; RuntimeError (which fails the test) when it is missing."""
    if not os.access(NGINX, os.X_OK):
        raise RuntimeError("nginx is required: run tests/install-deps.sh")
    return NGINX


def nginx_version(nginx: str | None = None) -> tuple[int, ...]:
    """The version of *nginx* (default NGINX) from ``nginx -v``, e.g. (1, 22, 1).

    Raises RuntimeError when the output names no version.
    """
    out = subprocess.run([nginx or NGINX, "-v"], capture_output=True, text=True, timeout=30)
    m = re.search(r"nginx/(\d+(?:\.\d+)*)", out.stderr + out.stdout)
    if m is None:
        raise RuntimeError("cannot read the nginx version: %r" % (out.stderr + out.stdout))
    return tuple(int(x) for x in m.group(1).split("."))


def nginx_conf(tmp: str, http_body: str, *, worker_connections: int = 1024,
               main: str = "") -> str:
    """A whole ``nginx.conf`` for a foreground nginx with prefix *tmp*.

    *http_body*: directives and blocks (``upstream``, ``server``, ...) inside
    ``http {}``; *main*: extra main-context directives.  pid, error log
    (``error.log``) and every temp path live in *tmp*; as root the workers
    stay root, so that they can write request bodies into *tmp*.
    """
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        "%sdaemon off;\nworker_processes 1;\n%s"
        "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
        "events { worker_connections %d; }\n"
        "http {\n    access_log off;\n"
        "    client_body_temp_path %s/body;\n    proxy_temp_path %s/proxy;\n"
        "    fastcgi_temp_path %s/fastcgi;\n    uwsgi_temp_path %s/uwsgi;\n"
        "    scgi_temp_path %s/scgi;\n%s\n}\n"
    ) % (user, main, tmp, tmp, worker_connections, tmp, tmp, tmp, tmp, tmp, http_body)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Wait until 127.0.0.1:*port* accepts connections; RuntimeError after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("nothing listening on %d after %.0fs" % (port, timeout)) from None
            time.sleep(0.02)


class ProxyProcess:
    """A proxy process (nginx, haproxy) started from a configuration file.

    Attributes: ``proc`` (``subprocess.Popen``), ``tmp`` (its directory, where
    ``proxy-output.log`` collects its stdout and stderr), ``ports`` (the
    ports its configuration listens on, by name).
    """

    def __init__(self, cmd: Sequence[str], tmp: str, ports: dict[str, int]) -> None:
        self.tmp = tmp
        self.ports = ports
        self._log = open(os.path.join(tmp, "proxy-output.log"), "wb")
        self.proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        """What the proxy printed so far (stdout and stderr), plus nginx's error.log."""
        text = ""
        for name in ("proxy-output.log", "error.log"):
            path = os.path.join(self.tmp, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return text

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until every port in ``ports`` accepts connections.

        Raises RuntimeError (with the proxy's output) when the process exits
        first or *timeout* seconds pass.
        """
        deadline = time.monotonic() + timeout
        for port in self.ports.values():
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("proxy exited with %s:\n%s"
                                       % (self.proc.returncode, self.output()))
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("proxy not listening on %d:\n%s"
                                           % (port, self.output())) from None
                    time.sleep(0.02)

    def stop(self) -> None:
        """TERM the proxy, KILL it after 10 s; close its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


@contextlib.contextmanager
def run_proxy(cmd: Sequence[str], tmp: str, ports: dict[str, int],
              timeout: float = 10.0) -> Iterator[ProxyProcess]:
    """Run *cmd* (a foreground proxy) for the duration of the block, which
    starts once every port of *ports* accepts connections; always stopped."""
    proxy = ProxyProcess(cmd, tmp, ports)
    try:
        proxy.wait_ready(timeout)
        yield proxy
    finally:
        proxy.stop()


@contextlib.contextmanager
def run_nginx(tmp: str, http_body: str, ports: dict[str, int], *,
              worker_connections: int = 1024, main: str = "",
              prefix: Sequence[str] = ()) -> Iterator[ProxyProcess]:
    """Run nginx in the foreground with *http_body* inside ``http {}`` (see
    nginx_conf) and prefix directory *tmp*, for the duration of the block.

    *ports*: name -> port of every ``listen`` in *http_body*; the block starts
    once all accept connections.  *prefix*: a command put in front of nginx
    (e.g. ``taskset -c 1``).  RuntimeError when nginx is missing, exits or
    does not listen in time.
    """
    nginx = require_nginx()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp, http_body, worker_connections=worker_connections, main=main))
    with run_proxy([*prefix, nginx, "-c", conf, "-p", tmp], tmp, ports) as proxy:
        yield proxy
