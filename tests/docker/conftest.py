"""Run the scenarios of docker-compose.yml (needs Docker with the Compose plugin).

Never part of the normal test run: ``tests/docker`` is in ``norecursedirs``
(pyproject.toml), and even when named on the command line every test here is
skipped unless ``GUNICORN_DOCKER_TESTS=1``.  With it set, a missing Docker is
a failure, not a skip.

The session fixture ``compose_stack`` builds and starts the stack
(``docker compose up -d --build``), waits until every published port answers,
and removes the stack with its volume afterwards.  With
``GUNICORN_DOCKER_EXTERNAL=1`` it uses a stack you started yourself and leaves
it running.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
COMPOSE_FILE = os.path.join(HERE, "docker-compose.yml")
ENABLED = os.environ.get("GUNICORN_DOCKER_TESTS") == "1"
EXTERNAL = os.environ.get("GUNICORN_DOCKER_EXTERNAL") == "1"
# published port -> speaks TLS
PORTS = {8443: True, 8444: True, 8080: False, 8081: False, 8090: False, 8091: False}
HOST = "127.0.0.1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="Docker scenarios: set GUNICORN_DOCKER_TESTS=1 to run them")
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(skip)


def compose_command() -> list[str]:
    """``docker compose -f FILE`` (plugin) or ``docker-compose -f FILE``; fails if neither works."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose", "-f", COMPOSE_FILE]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy, "-f", COMPOSE_FILE]
    pytest.fail("GUNICORN_DOCKER_TESTS=1 but neither 'docker compose' nor 'docker-compose' works")


def _answers(port: int, tls: bool) -> bool:
    """True when an HTTP GET /health on the published port gets any HTTP status line."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw:
            sock: socket.socket = raw
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw, server_hostname="localhost")
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 ")
    except OSError:
        return False


def wait_for_ports(timeout: float = 180.0) -> None:
    """Wait until every published port answers HTTP; pytest.fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pending = dict(PORTS)
    while pending:
        for port, tls in list(pending.items()):
            if _answers(port, tls):
                del pending[port]
        if not pending:
            return
        if time.monotonic() > deadline:
            pytest.fail("no HTTP answer on ports %s" % sorted(pending))
        time.sleep(1)


@pytest.fixture(scope="session")
def compose_stack() -> Iterator[list[str]]:
    """The running stack; yields the compose command (empty for an external stack)."""
    if EXTERNAL:
        wait_for_ports()
        yield []
        return
    cmd = compose_command()
    up = subprocess.run([*cmd, "up", "-d", "--build"], capture_output=True, text=True,
                        timeout=1800)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        try:
            wait_for_ports()
        except BaseException:
            logs = subprocess.run([*cmd, "logs", "--no-color", "--tail", "50"],
                                  capture_output=True, text=True, timeout=120)
            print(logs.stdout + logs.stderr)
            raise
        yield cmd
    finally:
        subprocess.run([*cmd, "down", "-v", "--remove-orphans"], capture_output=True,
                       timeout=300)
