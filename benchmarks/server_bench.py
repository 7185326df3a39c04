"""Compare our sync and gthread workers with upstream gunicorn 25.0.3.

Every server runs ``-w 1`` pinned to CPU 0 (``taskset -c 0``); the load
generator, ``wrk``, runs pinned to CPU 1.  Two load shapes:

* keep-alive: ``wrk -c 50`` reusing connections;
* connection-per-request: the same with ``Connection: close`` so every
  request opens a new TCP connection.

The application is the examples/hello.py one (a fixed 14-byte body), written
to a temporary directory so both servers import the same file.

Upstream lives in its own virtual environment, created once with::

    python3 -m venv /work/venvs/gunicorn-25.0.3
    /work/venvs/gunicorn-25.0.3/bin/pip install gunicorn==25.0.3

Usage::

    python3 benchmarks/server_bench.py [--duration 10] [--connections 50]
        [--threads 1] [--venv /work/venvs/gunicorn-25.0.3] [--skip-upstream]

Needs ``wrk`` (Debian package) and ``taskset`` (util-linux).  Prints req/s,
p99 latency and ours/upstream ratios, plus whether the targets were met
(gthread keep-alive >= 1.5x upstream with p99 no worse; sync >= 1.2x).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VENV = "/work/venvs/gunicorn-25.0.3"

APP_SOURCE = '''\
_BODY = b"Hello, World!\\n"
_STATUS = "200 OK"
_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))]


def app(environ, start_response):
    start_response(_STATUS, _HEADERS)
    return [_BODY]
'''


@dataclass
class Result:
    """One wrk run: requests per second and p99 latency in milliseconds."""

    server: str
    worker: str
    mode: str
    rps: float
    p99_ms: float
    errors: str


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Wait until the server answers an HTTP request; RuntimeError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server not ready on port %d" % port)


def parse_latency_ms(text: str) -> float:
    """Convert wrk's ``1.23ms`` / ``456.00us`` / ``1.01s`` to milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port: int, duration: int, connections: int, close: bool) -> tuple[float, float, str]:
    """Run wrk pinned to CPU 1; return (req/s, p99 ms, error summary)."""
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % connections, "-d%ds" % duration,
           "--latency", "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append("http://127.0.0.1:%d/" % port)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    rps_m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99_m = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    err_m = re.search(r"Socket errors:.*", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (err_m.group(0) if err_m else "") + (" non2xx=%s" % non2xx.group(1) if non2xx else "")
    return (float(rps_m.group(1)) if rps_m else 0.0,
            parse_latency_ms(p99_m.group(1)) if p99_m else float("nan"),
            errors.strip())


def start_server(python: str, worker: str, port: int, appdir: str, ours: bool,
                 threads: int) -> subprocess.Popen:
    """Start ``python -m gunicorn`` with one worker pinned to CPU 0."""
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    if ours:
        env["PYTHONPATH"] = ROOT
    else:
        env.pop("PYTHONPATH", None)
    cmd = ["taskset", "-c", "0", python, "-m", "gunicorn", "-w", "1", "-k", worker,
           "--threads", str(threads), "-b", "127.0.0.1:%d" % port, "--log-level", "warning",
           "bench_app:app"]
    return subprocess.Popen(cmd, cwd=appdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    """TERM the master we started, then KILL its group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="--threads for gthread")
    parser.add_argument("--venv", default=DEFAULT_VENV, help="upstream gunicorn venv")
    parser.add_argument("--skip-upstream", action="store_true")
    parser.add_argument("--workers", default="sync,gthread", help="worker classes to run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = parser.parse_args(argv)

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print("missing %s (apt-get install wrk util-linux)" % tool, file=sys.stderr)
            return 2
    upstream_python = os.path.join(args.venv, "bin", "python")
    if not args.skip_upstream and not os.path.exists(upstream_python):
        print("no upstream venv at %s; create it with:\n  python3 -m venv %s && %s/bin/pip "
              "install gunicorn==25.0.3" % (args.venv, args.venv, args.venv), file=sys.stderr)
        return 2

    appdir = tempfile.mkdtemp(prefix="gunicorn-bench-")
    with open(os.path.join(appdir, "bench_app.py"), "w") as f:
        f.write(APP_SOURCE)

    workers = [w.strip() for w in args.workers.split(",") if w.strip()]
    servers = ["ours"] + ([] if args.skip_upstream else ["upstream"])
    pythons = {"ours": sys.executable, "upstream": upstream_python}
    modes = (("keep-alive", False), ("conn-per-req", True))
    print("wrk -t1 -c%d -d%ds x %d rounds (median); server on CPU 0 (-w 1, --threads %d), "
          "wrk on CPU 1" % (args.connections, args.duration, args.rounds, args.threads))
    # all servers run at once (idle ones cost nothing) so that rounds can
    # interleave ours and upstream: machine noise then hits both alike
    procs: dict[tuple[str, str], tuple[subprocess.Popen, int]] = {}
    samples: dict[tuple[str, str, str], list[tuple[float, float, str]]] = {}
    try:
        for worker in workers:
            for server in servers:
                port = free_port()
                proc = start_server(pythons[server], worker, port, appdir, server == "ours",
                                    args.threads)
                procs[(server, worker)] = (proc, port)
        for (_server, _worker), (proc, port) in procs.items():
            wait_ready(port, proc)
            run_wrk(port, 2, args.connections, close=False)  # warm-up
        for rnd in range(args.rounds):
            for worker in workers:
                for mode, close in modes:
                    for server in servers:
                        _proc, port = procs[(server, worker)]
                        rps, p99, errors = run_wrk(port, args.duration, args.connections, close)
                        samples.setdefault((server, worker, mode), []).append((rps, p99, errors))
                        print("  round %d  %-8s %-8s %-13s %10.0f req/s  p99 %8.2f ms  %s"
                              % (rnd + 1, server, worker, mode, rps, p99, errors), flush=True)
    finally:
        for proc, _port in procs.values():
            stop_server(proc)
        shutil.rmtree(appdir, ignore_errors=True)

    results: list[Result] = []
    print("\nmedians:")
    for (server, worker, mode), runs in samples.items():
        res = Result(server, worker, mode, median([r[0] for r in runs]),
                     median([r[1] for r in runs]), "; ".join(r[2] for r in runs if r[2]))
        results.append(res)
        print("  %-8s %-8s %-13s %10.0f req/s  p99 %8.2f ms  %s"
              % (server, worker, mode, res.rps, res.p99_ms, res.errors))

    if args.skip_upstream:
        return 0
    print("\nratios (ours / upstream from %s):" % os.path.basename(os.path.normpath(args.venv)))
    by_key = {(r.server, r.worker, r.mode): r for r in results}
    ok = True
    for worker in workers:
        for mode in ("keep-alive", "conn-per-req"):
            ours, up = by_key.get(("ours", worker, mode)), by_key.get(("upstream", worker, mode))
            if not ours or not up or not up.rps:
                continue
            ratio = ours.rps / up.rps
            line = "  %-8s %-13s req/s x%.2f   p99 %.2f ms vs %.2f ms" % (
                worker, mode, ratio, ours.p99_ms, up.p99_ms)
            target = {"gthread": 1.5, "sync": 1.2}.get(worker)
            if target and (mode == "keep-alive" or worker == "sync"):
                met = ratio >= target and (worker != "gthread" or ours.p99_ms <= up.p99_ms)
                ok = ok and met
                line += "   target x%.1f%s: %s" % (
                    target, " and p99 no worse" if worker == "gthread" else "",
                    "met" if met else "NOT met")
            print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
