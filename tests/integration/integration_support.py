"""Helpers for the integration suite: paths, a response record and two clients.

``HttpxFetcher`` and ``CurlFetcher`` share one ``request(method, url, ...)``
signature returning a ``Reply``, so each route test can run once per client.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
FRAMEWORKS = os.path.join(EXAMPLES, "frameworks")

# Per-request limit for every client call in this suite (seconds).
REQUEST_TIMEOUT = 30.0
UPLOAD_SIZE = 10 * 1024 * 1024


@dataclasses.dataclass
class Reply:
    """One final HTTP response: status, headers (names lowercased), raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """Decode the body as JSON."""
        import json

        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")


class HttpxFetcher:
    """Issue requests with httpx (one connection pool per fetcher)."""

    name = "httpx"

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=REQUEST_TIMEOUT)

    def close(self) -> None:
        """Close the pool."""
        self.client.close()

    def request(self, method: str, url: str, *, data: dict | None = None,
                json: object = None, content: bytes | None = None,
                files: dict[str, tuple[str, bytes]] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """Send one request and read the whole response."""
        resp = self.client.request(method, url, data=data, json=json, content=content,
                                   files=files, headers=headers)
        return Reply(resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                     resp.content)


class CurlFetcher:
    """Issue requests with ``curl -sS`` in a subprocess."""

    name = "curl"

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="curl-fetch-")

    def close(self) -> None:
        """Remove the scratch directory."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def request(self, method: str, url: str, *, data: dict | None = None,
                json: object = None, content: bytes | None = None,
                files: dict[str, tuple[str, bytes]] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """Send one request; the last header block curl dumps is the final response."""
        import json as jsonlib

        head_path = os.path.join(self.tmp, "head")
        body_path = os.path.join(self.tmp, "body")
        cmd = ["curl", "-sS", "--http1.1", "--max-time", str(int(REQUEST_TIMEOUT)),
               "-X", method, "-D", head_path, "-o", body_path]
        for name, value in (headers or {}).items():
            cmd += ["-H", "%s: %s" % (name, value)]
        if data is not None:
            for name, value in data.items():
                for item in value if isinstance(value, list) else [value]:
                    cmd += ["--data-urlencode", "%s=%s" % (name, item)]
        if json is not None:
            content = jsonlib.dumps(json).encode("utf-8")
            cmd += ["-H", "Content-Type: application/json"]
        if content is not None:
            payload = os.path.join(self.tmp, "payload")
            with open(payload, "wb") as f:
                f.write(content)
            cmd += ["--data-binary", "@" + payload]
        for index, (field, (filename, blob)) in enumerate((files or {}).items()):
            path = os.path.join(self.tmp, "file%d-%s" % (index, filename))
            with open(path, "wb") as f:
                f.write(blob)
            cmd += ["-F", "%s=@%s;filename=%s" % (field, path, filename)]
        if method == "HEAD":
            # -I sends HEAD and reads no body; curl then writes the head to -o too.
            cmd[cmd.index("-X"):cmd.index("-X") + 2] = ["-I"]
            cmd[cmd.index("-o") + 1] = os.devnull
        cmd.append(url)
        proc = subprocess.run(cmd, capture_output=True, timeout=REQUEST_TIMEOUT + 10)
        if proc.returncode != 0:
            raise AssertionError("curl failed (%d): %s" % (proc.returncode, proc.stderr.decode()))
        return _parse_curl(head_path, body_path)


def _parse_curl(head_path: str, body_path: str) -> Reply:
    with open(head_path, "rb") as f:
        dump = f.read().decode("latin-1")
    blocks = [b for b in dump.replace("\r\n", "\n").split("\n\n") if b.strip()]
    lines = blocks[-1].split("\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if os.path.exists(body_path):
        with open(body_path, "rb") as f:
            body = f.read()
        os.unlink(body_path)
    return Reply(status, headers, body)
