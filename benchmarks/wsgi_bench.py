"""CPU time per request of the WSGI request path, without the network.

Each request goes through what a sync worker does: ``RequestParser`` on a
fake socket, ``next(parser)``, ``gunicorn.http.wsgi.create``, a hello-world
application (``examples/hello.py``: status, two fields, a 14-byte body),
``resp.write`` for each body item and ``resp.close()``, plus the access
log call with access logging off (the default).  Cases:

* ``conn_per_request``: one request per connection, as the sync worker
  serves them (parser and per-connection state built every time);
* ``keepalive_x10``: ten pipelined requests per connection (gthread and
  the async workers);
* ``browser_get``: one request per connection with ~600 bytes of fields.

The fake socket's ``recv(n)`` slices a buffer and ``sendall`` only counts
bytes, so what is measured is the Python work of the server.  The same
measurement runs against upstream gunicorn 25.0.3 in its own virtual
environment (see ``parser_bench.py``), and the script prints the ratio of
upstream time to ours (above 1 means we are faster).

Usage: ``python3 benchmarks/wsgi_bench.py [--seconds S] [--repeat N]``;
``--measure-only`` prints JSON results for the gunicorn importable from
the running interpreter (used for the upstream run).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

DEFAULT_UPSTREAM = "/tmp/venv-g25/bin/python"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SIMPLE_GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
BROWSER_GET = (
    b"GET /articles/2024/06/some-interesting-story?ref=home&utm_source=feed HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Referer: https://www.example.com/\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: sessionid=8f2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d; csrftoken=AbCdEfGhIjKlMnOpQrSt;"
    b" theme=dark\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-Site: same-origin\r\n"
    b"\r\n"
)

# name -> (request bytes, requests per connection)
CASES = {
    "conn_per_request": (SIMPLE_GET, 1),
    "keepalive_x10": (SIMPLE_GET, 10),
    "browser_get": (BROWSER_GET, 1),
}

BODY = b"Hello, World!\n"
STATUS = "200 OK"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def hello_app(environ: dict, start_response):  # noqa: ANN201 - a WSGI application
    """examples/hello.py, inlined so that upstream runs the same code."""
    start_response(STATUS, HEADERS)
    return [BODY]


class FakeSocket:
    """``recv(n)`` hands out slices of *data*; ``sendall`` counts bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.out = 0

    def recv(self, n: int) -> bytes:
        pos = self.pos
        self.pos = pos + n
        return self.data[pos:pos + n]

    def sendall(self, data: bytes) -> None:
        self.out += len(data)

    def gettimeout(self) -> float | None:
        return None


class QuietLog:
    """The part of Logger the request path calls, with access logging off."""

    def access(self, resp, req, environ, request_time) -> None:  # noqa: ANN001
        return None


def measure(seconds: float, repeat: int) -> dict[str, list[float]]:
    """CPU microseconds per request for each case, one value per repetition."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger
    from gunicorn.http import RequestParser, wsgi

    cfg = Config()
    log = Logger(cfg)  # the real access() with accesslog unset
    client = ("127.0.0.1", 45678)
    server = ("127.0.0.1", 8000)
    now = datetime.datetime.now
    results: dict[str, list[float]] = {}
    for name, (request, per_conn) in CASES.items():
        blob = request * per_conn

        def run(conns: int, blob=blob, per_conn=per_conn) -> None:
            for _ in range(conns):
                sock = FakeSocket(blob)
                parser = RequestParser(cfg, sock, client)
                count = 0
                # next() per request, as the workers do (the sync worker
                # reads one request and closes)
                for _ in range(per_conn):
                    req = next(parser)
                    start = now()
                    resp, environ = wsgi.create(req, sock, client, server, cfg)
                    respiter = hello_app(environ, resp.start_response)
                    for item in respiter:
                        resp.write(item)
                    resp.close()
                    log.access(resp, req, environ, now() - start)
                    count += 1
                if count != per_conn or not sock.out:
                    raise AssertionError("served %d requests" % count)

        run(200)  # warm up and check
        conns = max(1, 2000 // per_conn)
        samples = []
        per_sample = seconds / repeat
        for _ in range(repeat):
            best = float("inf")
            deadline = time.perf_counter() + per_sample
            while time.perf_counter() < deadline:
                t0 = time.process_time()
                run(conns)
                best = min(best, (time.process_time() - t0) / (conns * per_conn))
            samples.append(best * 1e6)
        results[name] = samples
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per case (default 3)")
    ap.add_argument("--repeat", type=int, default=5, help="samples per case (default 5)")
    ap.add_argument("--measure-only", action="store_true",
                    help="print JSON results for the importable gunicorn and exit")
    args = ap.parse_args()

    if args.measure_only:
        print(json.dumps(measure(args.seconds, args.repeat)))
        return 0

    sys.path.insert(0, ROOT)
    ours = measure(args.seconds, args.repeat)

    upstream_py = os.environ.get("GUNICORN_UPSTREAM_PYTHON", DEFAULT_UPSTREAM)
    upstream = None
    if not os.path.exists(upstream_py):
        print("upstream interpreter %s not found (see parser_bench.py)" % upstream_py)
    else:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        out = subprocess.run(
            [upstream_py, os.path.abspath(__file__), "--measure-only",
             "--seconds", str(args.seconds), "--repeat", str(args.repeat)],
            cwd="/", env=env, capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            print("upstream run failed:\n" + out.stderr)
        else:
            upstream = json.loads(out.stdout.strip().splitlines()[-1])

    print("CPU us/request, median of %d samples (each the best of its share of time)"
          % args.repeat)
    print("%-20s %10s %12s %8s" % ("case", "ours", "upstream", "speedup"))
    for name, samples in ours.items():
        med = statistics.median(samples)
        if upstream:
            up = statistics.median(upstream[name])
            print("%-20s %10.2f %12.2f %7.2fx" % (name, med, up, up / med))
        else:
            print("%-20s %10.2f %12s %8s" % (name, med, "-", "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
