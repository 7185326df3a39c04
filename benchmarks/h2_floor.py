"""CPU cost per HTTP/2 request: the ``h2`` library alone against whole servers.

Answers one question: how much of a server's CPU time per HTTP/2 request is
spent inside ``h2`` (framing, HPACK, stream state) before any server code
runs?  Two kinds of figures, all in CPU microseconds per request (user +
system time of one process, so they hold up on a busy machine better than
requests per second do):

* ``h2 floor``: a sans-IO loop in this process.  A client ``H2Connection``
  encodes batches of 100 ``GET /`` requests; a server ``H2Connection``
  (configured as ``gunicorn.http2.core`` configures it: no header validation
  or normalisation) receives each batch and answers every request with a
  HEADERS frame (status, server, date, content-type, content-length) and one
  14-byte DATA frame ending the stream.  No sockets, TLS, threads or WSGI:
  what a server that uses ``h2`` as it comes spends per request.
* ``core``: the same loop through this project's sans-IO protocol
  (``gunicorn.http2.core.HTTP2ServerProtocol``: frame checks, flood limits,
  request validation and the ``HTTP2Request`` every worker gets), answering
  with ``send_headers`` and ``send_data``: what every worker pays before
  its own I/O, threads or tasks and the WSGI/ASGI call.  It can come out
  below the h2 floor: the core feeds h2 one frame at a time and reuses
  HPACK results while the dynamic table is unchanged, where plain ``h2``
  buffers frames and encodes and decodes every field block again.
* ``server``: one worker of a real server (``-k gthread --threads 4`` or
  ``-k asgi``, ``--http-protocols h2,h1`` over TLS, serving
  ``benchmarks/bench_app.py`` / ``bench_asgi_app.py``) under ``h2load -c10
  -m10``; the worker's CPU time (``/proc/PID/stat``) over the measured
  requests, after a warm-up run.

If the floor is more than half of upstream's figure, no server that uses
``h2`` as it comes can serve twice upstream's requests per second on one
core.

Usage::

    python benchmarks/h2_floor.py [--requests 20000] [--repeat 3]
        [--workers gthread,asgi] [--ours /work/main]
        [--upstream /tmp/venv-g25/bin/python ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_bench import compile_tree  # noqa: E402  (a sibling script, not a package)

ROOT = os.path.dirname(HERE)
BATCH = 100
REQUEST_FIELDS = [(":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1:8443"),
                  (":path", "/"), ("user-agent", "h2load nghttp2/1.52.0")]
RESPONSE_FIELDS = [(":status", "200"), ("server", "gunicorn"),
                   ("date", "Thu, 03 Dec 2026 09:00:00 GMT"),
                   ("content-type", "text/plain"), ("content-length", "14")]


def h2_floor(requests: int) -> float:
    """CPU microseconds per request spent by a server-side ``H2Connection``
    answering *requests* requests (rounded down to whole batches of 100)."""
    import h2.config
    import h2.connection
    import h2.events

    preface, batches = _request_batches(requests)
    server = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=False, header_encoding=None,
        validate_outbound_headers=False, normalize_outbound_headers=False,
        validate_inbound_headers=False, normalize_inbound_headers=False))
    server.initiate_connection()
    server.receive_data(preface)
    server.data_to_send()
    received = h2.events.RequestReceived
    started = time.process_time()
    for batch in batches:
        for event in server.receive_data(batch):
            if type(event) is received:
                server.send_headers(event.stream_id, RESPONSE_FIELDS)
                server.send_data(event.stream_id, b"Hello, World!\n", end_stream=True)
        server.data_to_send()
    return (time.process_time() - started) / (len(batches) * BATCH) * 1e6


def _request_batches(requests: int) -> tuple[bytes, list[bytes]]:
    """A client's connection preface and *requests* ``GET /`` requests (whole
    batches of 100), HEADERS frames encoded by a client ``H2Connection``."""
    import h2.config
    import h2.connection

    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    client.increment_flow_control_window(2**31 - 1 - 65535)
    preface = client.data_to_send()
    batches = []
    stream_id = 1
    for _ in range(max(1, requests // BATCH)):
        for _ in range(BATCH):
            client.send_headers(stream_id, REQUEST_FIELDS, end_stream=True)
            stream_id += 2
        batches.append(client.data_to_send())
    return preface, batches


def core_floor(requests: int) -> float:
    """CPU microseconds per request spent by this project's sans-IO protocol
    (``HTTP2ServerProtocol`` with default settings, as over TLS) answering
    *requests* requests like ``h2_floor`` does (import it from the tree
    under test: ``--ours`` is put first on ``sys.path``)."""
    from gunicorn.config import Config
    from gunicorn.http2.core import HTTP2ServerProtocol
    from gunicorn.http2.events import RequestReceived

    cfg = Config()
    cfg.set("http_protocols", "h2,h1")
    server = HTTP2ServerProtocol(cfg, ("127.0.0.1", 50000), is_ssl=True)
    server.initiate_connection()
    preface, batches = _request_batches(requests)
    server.receive_data(preface)
    server.data_to_send()
    fields = [("Content-Type", "text/plain"), ("Content-Length", "14")]
    started = time.process_time()
    for batch in batches:
        for event in server.receive_data(batch):
            if type(event) is RequestReceived:
                server.send_headers(event.stream_id, 200, fields)
                server.send_data(event.stream_id, b"Hello, World!\n", end_stream=True)
        server.data_to_send()
    return (time.process_time() - started) / (len(batches) * BATCH) * 1e6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _cpu_seconds(pid: int) -> float:
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(python: str, pythonpath: str | None, workdir: str, requests: int,
               worker_class: str = "gthread") -> float:
    """CPU microseconds per request of the worker of ``python -m gunicorn``
    (*worker_class* ``gthread`` or ``asgi``, TLS, h2) under ``h2load -c10 -m10``."""
    compile_tree(python, pythonpath)
    port = _free_port()
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    app = "bench_asgi_app:app" if worker_class == "asgi" else "bench_app:app"
    cmd = [python, "-m", "gunicorn", "-w", "1", "-k", worker_class, "--threads", "4",
           "--http-protocols", "h2,h1", "--certfile", "cert.pem", "--keyfile", "key.pem",
           "-b", "127.0.0.1:%d" % port, app]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = "https://127.0.0.1:%d/" % port
    try:
        deadline = time.monotonic() + 30
        while True:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start: %s" % " ".join(cmd))
            workers = _children(proc.pid)
            if workers:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    pass
            time.sleep(0.05)
        worker = workers[0]
        subprocess.run(["h2load", "-n", "2000", "-c", "10", "-m", "10", url], capture_output=True)
        before = _cpu_seconds(worker)
        out = subprocess.run(["h2load", "-n", str(requests), "-c", "10", "-m", "10", url],
                             capture_output=True, text=True).stdout
        used = _cpu_seconds(worker) - before
        if "%d succeeded" % requests not in out:
            raise RuntimeError("h2load had failures:\n" + out[-600:])
        return used / requests * 1e6
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ours", default=ROOT, help="source tree of this project")
    parser.add_argument("--workers", default="gthread",
                        help="worker classes of the server rows: gthread, asgi")
    parser.add_argument("--upstream", action="append",
                        help="interpreter with upstream gunicorn and h2 (repeatable)")
    args = parser.parse_args(argv)
    upstreams = args.upstream or [p for p in ("/tmp/venv-g25/bin/python", "/tmp/venv-g27/bin/python")
                                  if os.path.exists(p)]
    if shutil.which("h2load") is None:
        print("h2load is needed (apt-get install nghttp2-client)", file=sys.stderr)
        return 2
    import trustme

    workdir = tempfile.mkdtemp(prefix="h2floor-")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(os.path.join(workdir, "key.pem"))
    cert.cert_chain_pems[0].write_to_path(os.path.join(workdir, "cert.pem"))
    shutil.copy(os.path.join(HERE, "bench_app.py"), workdir)
    shutil.copy(os.path.join(HERE, "bench_asgi_app.py"), workdir)
    sys.path.insert(0, args.ours)
    workers = [w for w in args.workers.split(",") if w]
    floor, core = "h2 floor (sans-IO, no server)", "ours core (sans-IO HTTP2ServerProtocol)"
    rows: dict[str, list[float]] = {floor: [], core: []}
    for _ in range(args.repeat):
        rows[floor].append(h2_floor(args.requests))
        rows[core].append(core_floor(args.requests))
        for worker_class in workers:
            rows.setdefault("ours %s" % worker_class, []).append(
                server_cpu(sys.executable, args.ours, workdir, args.requests, worker_class))
            for python in upstreams:
                rows.setdefault("upstream %s %s" % (python, worker_class), []).append(
                    server_cpu(python, None, workdir, args.requests, worker_class))
    print("CPU us per request (median of %d; h2load -c10 -m10, hello):" % args.repeat)
    for label, values in rows.items():
        values.sort()
        print("  %-40s %7.1f   (runs: %s)" % (label, values[len(values) // 2],
                                             ", ".join("%.1f" % v for v in values)))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
