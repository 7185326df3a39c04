"""Run ``python -m gunicorn`` in a subprocess for configuration tests.

``--print-config`` and ``--check-config`` exit before any arbiter starts, so
these runs need only configuration and application loading.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

APP_SOURCE = '''\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

app = application
'''


@dataclass
class Result:
    """Outcome of one gunicorn run: exit code, stdout, stderr, parsed ``--print-config``."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def config(self) -> dict[str, str]:
        """``{name: value text}`` parsed from ``--print-config`` output."""
        values = {}
        for line in self.stdout.splitlines():
            key, sep, value = line.partition(" = ")
            if sep and key.strip() and " " not in key.strip():
                values[key.strip()] = value
        return values


def run_gunicorn(*args: str, cwd: str, env: dict[str, str] | None = None,
                 timeout: float = 30) -> Result:
    """Run ``sys.executable -m gunicorn ARGS`` in ``cwd`` with the project on PYTHONPATH.

    ``GUNICORN_CMD_ARGS``, ``PORT``, ``WEB_CONCURRENCY`` and friends are removed
    from the inherited environment unless given in ``env``.
    """
    full_env = {k: v for k, v in os.environ.items() if k not in (
        "GUNICORN_CMD_ARGS", "PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "SENDFILE")}
    full_env["PYTHONPATH"] = ROOT
    full_env["PWD"] = cwd
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "gunicorn", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)
