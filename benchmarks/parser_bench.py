"""Requests parsed per second through ``gunicorn.http.RequestParser``.

Cases: (a) a browser-like GET with ~600 bytes of fields, (b) a POST with a
64 KiB Content-Length body read fully, (c) a chunked POST of 16 x 4 KiB
chunks.  Requests are pipelined on a fake socket whose ``recv(n)`` hands out
slices of one buffer, so only parsing is measured.

The same measurement runs against upstream gunicorn 25.0.3 in its own
virtual environment, and the script prints ours/upstream ratios.  Create it
with::

    python3 -m venv /tmp/venv-g25
    /tmp/venv-g25/bin/pip install gunicorn==25.0.3

or point ``GUNICORN_UPSTREAM_PYTHON`` at another interpreter that has it.

Usage: ``python3 benchmarks/parser_bench.py [--seconds S]``;
``--measure-only`` prints JSON results for the gunicorn importable from
the running interpreter (used for the upstream run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

DEFAULT_UPSTREAM = "/tmp/venv-g25/bin/python"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GET_REQUEST = (
    b"GET /articles/2024/06/some-interesting-story?ref=home&utm_source=feed HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    b"image/webp,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Referer: https://www.example.com/\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: sessionid=8f2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d; csrftoken=AbCdEfGhIjKlMnOpQrStUvWxYz012345;"
    b" theme=dark\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-Site: same-origin\r\n"
    b"Sec-Fetch-User: ?1\r\n"
    b"Priority: u=0, i\r\n"
    b"\r\n"
)

BODY_64K = bytes(range(256)) * 256
POST_REQUEST = (
    b"POST /upload HTTP/1.1\r\nHost: www.example.com\r\n"
    b"Content-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n" + BODY_64K
)
CHUNK = BODY_64K[:4096]
CHUNKED_REQUEST = (
    b"POST /upload HTTP/1.1\r\nHost: www.example.com\r\n"
    b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"1000\r\n" + CHUNK + b"\r\n" for _ in range(16))
    + b"0\r\n\r\n"
)

CASES = {
    "get_600B_fields": (GET_REQUEST, 200, 0),
    "post_64KiB_length": (POST_REQUEST, 20, 65536),
    "post_chunked_16x4KiB": (CHUNKED_REQUEST, 20, 65536),
}


class FakeSocket:
    """recv(n) returns successive slices of *data*, like a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def recv(self, n: int) -> bytes:
        pos = self.pos
        self.pos = pos + n
        return self.data[pos:pos + n]


def measure(seconds: float) -> dict[str, float]:
    """Return requests/second for each case with the importable gunicorn."""
    from gunicorn.config import Config
    from gunicorn.http import RequestParser

    cfg = Config()
    results = {}
    for name, (request, per_conn, body_len) in CASES.items():
        blob = request * per_conn

        def run_once(blob=blob, per_conn=per_conn, body_len=body_len) -> None:
            count = 0
            for req in RequestParser(cfg, FakeSocket(blob), ("127.0.0.1", 5000)):
                body = req.body.read()
                if len(body) != body_len:
                    raise AssertionError("body length %d" % len(body))
                count += 1
            if count != per_conn:
                raise AssertionError("parsed %d requests" % count)

        run_once()  # warm up and check
        best = 0.0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            rounds = 20
            t0 = time.perf_counter()
            for _ in range(rounds):
                run_once()
            dt = time.perf_counter() - t0
            best = max(best, rounds * per_conn / dt)
        results[name] = best
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per case (default 2)")
    ap.add_argument("--measure-only", action="store_true",
                    help="print JSON results for the importable gunicorn and exit")
    args = ap.parse_args()

    if args.measure_only:
        print(json.dumps(measure(args.seconds)))
        return 0

    sys.path.insert(0, ROOT)
    ours = measure(args.seconds)

    upstream_py = os.environ.get("GUNICORN_UPSTREAM_PYTHON", DEFAULT_UPSTREAM)
    upstream = None
    if not os.path.exists(upstream_py):
        print("upstream interpreter %s not found; create it with:\n"
              "  python3 -m venv /tmp/venv-g25\n"
              "  /tmp/venv-g25/bin/pip install gunicorn==25.0.3\n"
              "or set GUNICORN_UPSTREAM_PYTHON" % upstream_py)
    else:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        out = subprocess.run(
            [upstream_py, os.path.abspath(__file__), "--measure-only",
             "--seconds", str(args.seconds)],
            cwd="/", env=env, capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            print("upstream run failed:\n" + out.stderr)
        else:
            upstream = json.loads(out.stdout.strip().splitlines()[-1])

    print("%-24s %14s %14s %8s" % ("case", "ours req/s", "upstream req/s", "ratio"))
    for name, value in ours.items():
        if upstream:
            up = upstream[name]
            print("%-24s %14.0f %14.0f %7.2fx" % (name, value, up, value / up))
        else:
            print("%-24s %14.0f %14s %8s" % (name, value, "-", "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
