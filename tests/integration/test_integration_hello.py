"""``examples/hello.py`` started the ways people start it.

``python -m gunicorn`` with a dotted module path, with ``--chdir``, and through
the ``gunicorn`` console script declared in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import pytest

from tests.integration.integration_support import EXAMPLES, ROOT
from tests.support.client import header, parse_response_head, raw_request
from tests.support.server import run_server

BODY = b"Hello, World!\n"


def check_hello(url: str) -> None:
    """One GET with httpx and one with curl, both must get the fixed body."""
    resp = httpx.get(url + "/", timeout=10)
    assert resp.status_code == 200
    assert resp.content == BODY
    assert resp.headers["content-type"] == "text/plain"
    assert resp.headers["content-length"] == str(len(BODY))
    out = subprocess.run(["curl", "-sS", "--max-time", "10", url + "/any/path?x=1"],
                         capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout == BODY


@pytest.fixture(scope="module")
def dotted_server():
    with run_server("examples.hello:app") as srv:
        yield srv


def test_python_m_dotted_path(dotted_server):
    check_hello(dotted_server.url)


def test_response_head(dotted_server):
    status, reason, headers, body = parse_response_head(raw_request(
        dotted_server.host, dotted_server.port,
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
    assert (status, reason) == (200, "OK")
    assert body == BODY
    assert header(headers, "Server") == "gunicorn"
    assert header(headers, "Date").endswith(" GMT")
    assert header(headers, "Connection") == "close"


def test_http10_request(dotted_server):
    data = raw_request(dotted_server.host, dotted_server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 OK\r\n") or data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"\r\n\r\n" + BODY)


def test_head_request(dotted_server):
    status, _, headers, body = parse_response_head(raw_request(
        dotted_server.host, dotted_server.port,
        b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
    assert status == 200
    assert header(headers, "Content-Length") == str(len(BODY))
    assert body == b""


def test_chdir_module():
    with run_server("--chdir", EXAMPLES, "hello:app") as srv:
        check_hello(srv.url)
        assert "Booting worker with pid" in srv.output()


def test_default_attribute_name():
    # without ":app" the attribute looked up is "application"
    with run_server("--chdir", EXAMPLES, "hello") as srv:
        check_hello(srv.url)


def test_file_name_argument_fails_with_hint():
    with run_server("--chdir", EXAMPLES, "hello.py", wait_ready=False) as srv:
        srv.wait_for_output(r"did you mean", timeout=15)
        assert srv.proc.wait(15) != 0


def _console_script(tmp_dir: str) -> str:
    """Write the wrapper pip would generate for ``[project.scripts] gunicorn``."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        pytest.skip("tomllib needs Python 3.11")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        target = tomllib.load(f)["project"]["scripts"]["gunicorn"]
    module, _, func = target.partition(":")
    path = os.path.join(tmp_dir, "gunicorn")
    with open(path, "w") as f:
        f.write("#!%s\nimport sys\nfrom %s import %s\nif __name__ == '__main__':\n"
                "    sys.exit(%s())\n" % (sys.executable, module, func, func))
    os.chmod(path, 0o755)
    return path


# run_server puts module_args right after the program; an empty list would mean
# "-m gunicorn", so the --chdir option goes there instead.
def test_console_script_entry_point(tmp_path):
    script = _console_script(str(tmp_path))
    with run_server("hello:app", python=script, module_args=["--chdir", EXAMPLES]) as srv:
        check_hello(srv.url)
    env = dict(os.environ, PYTHONPATH=ROOT)
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=20,
                             env=env)
    assert "gunicorn (version 25.0.3)" in version.stdout + version.stderr


def test_installed_console_script():
    script = shutil.which("gunicorn")
    if script is None:
        pytest.skip("no gunicorn script on PATH (package not installed)")
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=20)
    if "25.0.3" not in version.stdout + version.stderr:
        pytest.skip("the gunicorn on PATH is another installation")
    with run_server("hello:app", python=script, module_args=["--chdir", EXAMPLES]) as srv:
        check_hello(srv.url)
