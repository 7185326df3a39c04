"""Throughput and p99 latency of our workers against upstream gunicorn (and uvicorn for ASGI).

Every contender runs ``python -m gunicorn -w 1 -k WORKER`` pinned to CPU 0
with ``taskset -c 0``; the load generator, ``wrk -t1``, runs pinned to CPU 1.
``--workers`` lists the worker classes (default ``sync,gthread``; also
``gevent``, ``eventlet``, ``tornado`` and ``asgi``).  The WSGI workers serve
``benchmarks/bench_app.py``, ``asgi`` serves ``benchmarks/bench_asgi_app.py``
(the same routes), both copied to a temporary directory.  Rows (the
benchmark rows of issue 9), for each worker class:

* ``hello``: ``GET /`` (14-byte body), 50 keep-alive connections;
* ``64k``: ``GET /64k`` (65,536-byte body), 50 keep-alive connections;
* ``echo-4k``: ``POST /echo`` with a 4 KiB body that is sent back
  (``benchmarks/echo_4k.lua``), 50 keep-alive connections;
* ``conn-per-req``: ``GET /`` with ``Connection: close``, so every request
  opens a new TCP connection, 50 at a time;
* ``1000-conns``: ``GET /`` over 1,000 concurrent keep-alive connections.

(The sync worker closes the connection after every response whatever the
client asks, so its keep-alive rows reconnect too: that is the same for every
contender.)

Contenders:

* ``--ours LABEL=DIR`` (repeatable; default ``ours=`` this checkout): this
  project's source tree ``DIR``, run by ``--python`` with ``PYTHONPATH=DIR``.
  The script checks that ``import gunicorn`` resolves into ``DIR``.  Use a
  frozen copy (``git archive HEAD | tar -x -C /tmp/before``) to measure
  "before" and the working tree for "after", in the same run if you like.
* ``--upstream [LABEL=]PYTHON`` (repeatable; default the interpreters of
  ``/tmp/venv-g25`` and ``/tmp/venv-g27``): an interpreter whose environment
  has upstream gunicorn installed, run without ``PYTHONPATH``; the label
  defaults to the gunicorn version it imports.  An upstream runs only the
  worker classes it can load (27.x has no ``eventlet``; ``gevent``,
  ``eventlet``, ``tornado`` and ``uvloop`` must be installed in its venv).
* ``--uvicorn [LABEL=]PYTHON`` (repeatable; default
  ``/tmp/venv-uvicorn/bin/python`` when it exists): ``uvicorn[standard]``,
  one process, ``--loop uvloop --http httptools --no-access-log``, only in
  the ``asgi`` rows, where the table adds our ratio against it (no target:
  the issue aims at it).

The gunicorn ``asgi`` servers run with ``--asgi-loop uvloop`` (ours and
upstream alike).

Rounds interleave the contenders (their order rotates each round) so machine
noise hits them alike; each figure is the median over ``--rounds``.  The table
gives req/s and p99 per contender and, for each of ours, the req/s ratio
against the faster upstream of the same row, with the issue 9 targets
(gthread >= 3x, sync >= 2x on every row), and the median of the same ratio
taken within each round (steadier when other load comes and goes).
Targets: issue 9, gthread >= 3x and sync >= 2x; issues 11 and 12, gevent,
eventlet and asgi >= 1.3x, tornado >= 1x.

Usage (see benchmarks/README.md for the virtual environments)::

    python benchmarks/server_bench.py [--duration 10] [--rounds 5]
        [--ours ours=/work/main] [--upstream /tmp/venv-g25/bin/python]
        [--workers sync,gthread,gevent,eventlet,tornado,asgi]
        [--uvicorn /tmp/venv-uvicorn/bin/python] [--rows hello,64k,echo-4k,conn-per-req,1000-conns]
        [--markdown FILE] [--check]

Needs ``wrk`` (Debian package ``wrk``) and ``taskset`` (``util-linux``).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import re
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
APP_FILE = os.path.join(HERE, "bench_app.py")
ASGI_APP_FILE = os.path.join(HERE, "bench_asgi_app.py")
ECHO_SCRIPT = os.path.join(HERE, "echo_4k.lua")
DEFAULT_UPSTREAMS = ["/tmp/venv-g25/bin/python", "/tmp/venv-g27/bin/python"]
DEFAULT_UVICORNS = ["/tmp/venv-uvicorn/bin/python"]
# ours / faster upstream on every row: issue 9 (sync, gthread), 11 (gevent,
# eventlet, tornado) and 12 (asgi)
TARGETS = {"gthread": 3.0, "sync": 2.0, "gevent": 1.3, "eventlet": 1.3, "tornado": 1.0,
           "asgi": 1.3}
# the gunicorn asgi servers all get the loop uvicorn runs on
WORKER_ARGS = {"asgi": ["--asgi-loop", "uvloop"]}
ECHO_SIZE = 4096


@dataclass(frozen=True)
class Row:
    """One load shape: URL path, wrk connections, Connection: close or not, wrk Lua script."""

    name: str
    title: str
    path: str
    connections: int
    close: bool = False
    script: str | None = None


@dataclass
class Contender:
    """One server build: ``python -m gunicorn`` with ``pythonpath`` first on ``sys.path`` (or none).

    ``kind`` is ``gunicorn`` (ours or upstream) or ``uvicorn`` (asgi rows
    only); ``workers`` the worker classes it can run, filled in by
    ``probe_workers``.
    """

    label: str
    python: str
    pythonpath: str | None
    ours: bool
    version: str = ""
    module_file: str = ""
    kind: str = "gunicorn"
    workers: frozenset[str] = frozenset()

    @property
    def upstream(self) -> bool:
        return not self.ours and self.kind == "gunicorn"


@dataclass
class Sample:
    """One wrk run: requests per second, p99 latency in milliseconds, error summary."""

    rps: float
    p99_ms: float
    errors: str


@dataclass
class Cell:
    """The samples of one (contender, worker, row) and their medians."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median([s.rps for s in self.samples])

    @property
    def p99_ms(self) -> float:
        return median([s.p99_ms for s in self.samples])

    @property
    def errors(self) -> str:
        return "; ".join(s.errors for s in self.samples if s.errors)


def make_rows(connections: int, many: int) -> list[Row]:
    """The issue 9 rows, with ``connections`` for the ordinary ones and ``many`` for the last."""
    return [
        Row("hello", "hello keep-alive", "/", connections),
        Row("64k", "64 KiB response", "/64k", connections),
        Row("echo-4k", "4 KiB echo (POST)", "/echo", connections, script=ECHO_SCRIPT),
        Row("conn-per-req", "connection per request", "/", connections, close=True),
        Row("1000-conns", "%d connections keep-alive" % many, "/", many),
    ]


def median(values: list[float]) -> float:
    """The median of a list (NaN when empty)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(contender: Contender) -> dict[str, str]:
    """The environment for a contender: PYTHONPATH only for ours, no GUNICORN_CMD_ARGS."""
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env.pop("PYTHONPATH", None)
    if contender.pythonpath:
        env["PYTHONPATH"] = contender.pythonpath
    return env


def compile_tree(python: str, pythonpath: str | None) -> None:
    """Write the bytecode of the ``gunicorn`` package under *pythonpath*
    (``python -m compileall``), as ``pip install`` does for the upstream
    virtual environments: with ``PYTHONDONTWRITEBYTECODE`` set, a source
    tree would otherwise be compiled by every server process, costing it
    start-up CPU and megabytes of peak RSS that upstream never pays."""
    if pythonpath:
        subprocess.run([python, "-m", "compileall", "-q",
                        os.path.join(pythonpath, "gunicorn")], check=True, timeout=300)


def probe(contender: Contender, cwd: str) -> None:
    """Fill in the version and module file the contender imports; SystemExit if it is wrong.

    Runs from ``cwd`` (the app directory) so the current directory of this
    script cannot shadow the package under test.
    """
    compile_tree(contender.python, contender.pythonpath)
    if contender.kind == "uvicorn":
        code = ("import importlib.metadata as m, uvicorn, uvloop, httptools; "
                "print(m.version('uvicorn')); print(uvicorn.__file__)")
    else:
        code = "import gunicorn; print(gunicorn.__version__); print(gunicorn.__file__)"
    proc = subprocess.run([contender.python, "-c", code], cwd=cwd, env=server_env(contender),
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit("%s: cannot import %s with %s:\n%s"
                         % (contender.label, contender.kind, contender.python, proc.stderr))
    contender.version, contender.module_file = proc.stdout.split()[:2]
    module_file = os.path.realpath(contender.module_file)
    if contender.ours:
        inside = os.path.realpath(contender.pythonpath or "") + os.sep
        if not module_file.startswith(inside):
            raise SystemExit("%s: gunicorn resolves to %s, not into %s"
                             % (contender.label, module_file, contender.pythonpath))
    elif module_file.startswith(os.path.realpath(ROOT) + os.sep):
        raise SystemExit("%s: %s imports this checkout (%s), not upstream"
                         % (contender.label, contender.python, module_file))


# the event-loop libraries a worker class needs besides its gunicorn module
WORKER_NEEDS = {"gevent": "gevent", "eventlet": "eventlet", "tornado": "tornado",
                "asgi": "uvloop"}


def probe_workers(contender: Contender, workers: list[str], cwd: str) -> None:
    """Fill in which of ``workers`` the contender can run.

    uvicorn runs ``asgi`` only; a gunicorn runs a class when
    ``gunicorn.util.load_class`` loads it and the library it needs imports
    (checked in a child process per class: loading gevent or eventlet
    patches the interpreter).
    """
    if contender.kind == "uvicorn":
        contender.workers = frozenset(w for w in workers if w == "asgi")
        return
    able = set()
    for worker in workers:
        need = WORKER_NEEDS.get(worker)
        code = ("import gunicorn.util as u; u.load_class(%r, default='gunicorn.workers.sync."
                "SyncWorker', section='gunicorn.workers')" % worker)
        if need:
            code = "import %s; %s" % (need, code)
        proc = subprocess.run([contender.python, "-c", code], cwd=cwd,
                              env=server_env(contender), capture_output=True, timeout=60)
        if proc.returncode == 0:
            able.add(worker)
        elif contender.ours:
            raise SystemExit("%s cannot run the %s worker:\n%s"
                             % (contender.label, worker, proc.stderr.decode(errors="replace")))
    contender.workers = frozenset(able)


def start_server(contender: Contender, worker: str, port: int, appdir: str, threads: int,
                 extra: list[str]) -> subprocess.Popen:
    """Start one master with ``-w 1`` of ``worker`` pinned to CPU 0; its log goes to appdir.

    uvicorn runs as one process serving ``bench_asgi_app:app``; ``threads``
    and ``extra`` apply to gunicorn only.
    """
    app = "bench_asgi_app:app" if worker == "asgi" else "bench_app:app"
    if contender.kind == "uvicorn":
        cmd = ["taskset", "-c", "0", contender.python, "-m", "uvicorn", "--host", "127.0.0.1",
               "--port", str(port), "--loop", "uvloop", "--http", "httptools",
               "--no-access-log", "--log-level", "warning", app]
    else:
        cmd = ["taskset", "-c", "0", contender.python, "-m", "gunicorn", "-w", "1", "-k", worker,
               "--threads", str(threads), "-b", "127.0.0.1:%d" % port, "--log-level", "warning",
               *WORKER_ARGS.get(worker, []), *extra, app]
    log = open(os.path.join(appdir, "%s-%s.log" % (contender.label, worker)), "wb")
    try:
        return subprocess.Popen(cmd, cwd=appdir, env=server_env(contender), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def stop_server(proc: subprocess.Popen) -> None:
    """TERM the master we started, then KILL its process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def check_server(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until the server answers, then check every route's status and body.

    Raises RuntimeError if the server exits, never answers within ``timeout``
    seconds, or answers a route wrongly.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server not ready on port %d" % port)
        time.sleep(0.1)
    payload = bytes(range(256)) * (ECHO_SIZE // 256)
    for method, path, body, expect in (("GET", "/", None, b"Hello, World!\n"),
                                       ("GET", "/64k", None, b"x" * 65536),
                                       ("POST", "/echo", payload, payload)):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            got = resp.read()
        finally:
            conn.close()
        if resp.status != 200 or got != expect:
            raise RuntimeError("%s %s on port %d: status %d, %d body bytes"
                               % (method, path, port, resp.status, len(got)))


def parse_latency_ms(text: str) -> float:
    """Convert wrk's ``1.23ms`` / ``456.00us`` / ``1.01s`` / ``1.00m`` to milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(port: int, row: Row, duration: float, timeout: str) -> Sample:
    """Run ``wrk -t1`` pinned to CPU 1 for one row against ``port``."""
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % row.connections, "-d%ds" % duration,
           "--latency", "--timeout", timeout]
    if row.close:
        cmd += ["-H", "Connection: close"]
    if row.script:
        cmd += ["-s", row.script]
    cmd.append("http://127.0.0.1:%d%s" % (port, row.path))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120).stdout
    rps_m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99_m = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    err_m = re.search(r"Socket errors:\s*(.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (err_m.group(1) if err_m else "") + (" non2xx %s" % non2xx.group(1) if non2xx else "")
    return Sample(float(rps_m.group(1)) if rps_m else 0.0,
                  parse_latency_ms(p99_m.group(1)) if p99_m else float("nan"),
                  errors.strip())


def parse_contenders(ours: list[str], upstreams: list[str], python: str,
                     uvicorns: list[str] | tuple[str, ...] = ()) -> list[Contender]:
    """Build the contender list from ``LABEL=DIR`` / ``LABEL=PYTHON`` option values."""
    result = []
    for spec in ours:
        label, _, path = spec.rpartition("=")
        result.append(Contender(label or "ours", python, os.path.abspath(path), True))
    for spec in upstreams:
        label, _, path = spec.rpartition("=")
        # an empty label becomes the version found by probe()
        result.append(Contender(label, path, None, False))
    for spec in uvicorns:
        label, _, path = spec.rpartition("=")
        result.append(Contender(label or "uvicorn", path, None, False, kind="uvicorn"))
    return result


def fmt_rps(value: float) -> str:
    return "%.0f" % value if value == value else "-"


def fmt_ms(value: float) -> str:
    return "%.2f" % value if value == value else "-"


def build_table(contenders: list[Contender], workers: list[str], rows: list[Row],
                cells: dict[tuple[str, str, str], Cell]) -> tuple[list[str], list[list[str]], bool]:
    """Header and rows of the result table, and whether every target was met."""
    ours = [c for c in contenders if c.ours]
    all_ups = [c for c in contenders if c.upstream]
    uvicorns = [c for c in contenders if c.kind == "uvicorn" and "asgi" in c.workers]
    header = ["worker", "row"]
    for c in contenders:
        header += ["%s req/s" % c.label, "%s p99 ms" % c.label]
    if all_ups:
        header += ["%s / faster upstream" % c.label for c in ours]
        header += ["%s per-round ratio" % c.label for c in ours]
    header += ["%s / %s" % (c.label, u.label) for c in ours for u in uvicorns]
    lines = []
    all_met = True
    for worker in workers:
        ups = [u for u in all_ups if worker in u.workers]
        for row in rows:
            line = [worker, row.title]
            for c in contenders:
                cell = cells.get((c.label, worker, row.name), Cell())
                line += [fmt_rps(cell.rps), fmt_ms(cell.p99_ms)]
            if all_ups and not ups:
                line += ["- (no upstream)"] * len(ours) + ["-"] * len(ours)
            elif ups:
                up_rps = {u.label: cells.get((u.label, worker, row.name), Cell()).rps for u in ups}
                best = max(ups, key=lambda u: up_rps[u.label] if up_rps[u.label] == up_rps[u.label]
                           else 0.0)
                best_rps = up_rps[best.label]
                for c in ours:
                    mine = cells.get((c.label, worker, row.name), Cell()).rps
                    if not best_rps or best_rps != best_rps or mine != mine:
                        line.append("-")
                        continue
                    ratio = mine / best_rps
                    target = TARGETS.get(worker)
                    met = target is None or ratio >= target
                    all_met = all_met and met
                    line.append("%.2fx (vs %s)%s" % (ratio, best.label,
                                                     "" if met else " < %gx" % target))
                for c in ours:
                    line.append(per_round_ratio(cells, c, ups, worker, row))
            for c in ours:
                mine = cells.get((c.label, worker, row.name), Cell()).rps
                for u in uvicorns:
                    theirs = cells.get((u.label, worker, row.name), Cell()).rps
                    line.append("%.2fx" % (mine / theirs) if theirs and theirs == theirs
                                and mine == mine else "-")
            lines.append(line)
    return header, lines, all_met


def per_round_ratio(cells: dict[tuple[str, str, str], Cell], mine: Contender,
                    ups: list[Contender], worker: str, row: Row) -> str:
    """Median over rounds of (our req/s / faster upstream req/s in that same round).

    Runs of one round are seconds apart, so this ratio shrugs off load that
    other processes put on the machine between rounds.
    """
    own = cells.get((mine.label, worker, row.name), Cell()).samples
    theirs = [cells.get((u.label, worker, row.name), Cell()).samples for u in ups]
    ratios = []
    for i, sample in enumerate(own):
        best = max((runs[i].rps for runs in theirs if i < len(runs)), default=0.0)
        if best:
            ratios.append(sample.rps / best)
    return "%.2fx" % median(ratios) if ratios else "-"


def render_text(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def render_markdown(header: list[str], lines: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def raise_fd_limit(needed: int) -> None:
    """Raise the soft open-files limit (inherited by wrk and the servers) to ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def report(markdown: str | None, contenders: list[Any], cells: dict[tuple[str, str, str], Any],
           header: list[str], lines: list[list[str]], setup: str, started: str,
           load_before: tuple[float, float, float], describe: Callable[[Any], str]) -> None:
    """Print the wrk errors of *cells* (keyed (label, group, row name)) and,
    with *markdown* (a path), write the whole report there: the command,
    the load averages, each contender (``describe(c)`` gives what it runs),
    *setup* (how the runs were pinned), the table and the errors."""
    errors = [(k, cell.errors) for k, cell in cells.items() if cell.errors]
    if errors:
        print("\nwrk socket errors / non-2xx:")
        for (label, group, row_name), text in errors:
            print("  %-10s %-14s %-13s %s" % (label, group, row_name, text))
    if not markdown:
        return
    with open(markdown, "w") as f:
        f.write("Command: `%s`\n\n" % shlex.join(["python", *sys.argv]))
        f.write("Started %s; load average at start %.2f %.2f %.2f, at end %.2f %.2f %.2f.\n\n"
                % (started, *load_before, *os.getloadavg()))
        f.write("Contenders:\n\n")
        for c in contenders:
            f.write("- %s: %s from `%s`%s\n" % (
                c.label, describe(c), c.module_file,
                " (PYTHONPATH=%s)" % c.pythonpath if c.pythonpath else ""))
        f.write("\n%s\n\n" % setup)
        f.write(render_markdown(header, lines) + "\n")
        if errors:
            f.write("\nwrk socket errors / non-2xx:\n\n")
            for (label, group, row_name), text in errors:
                f.write("- %s %s %s: %s\n" % (label, group, row_name, text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--connections", type=int, default=50,
                        help="wrk connections of the ordinary rows")
    parser.add_argument("--many-connections", type=int, default=1000,
                        help="wrk connections of the 1000-conns row")
    parser.add_argument("--threads", type=int, default=1, help="--threads of every server")
    parser.add_argument("--workers", default="sync,gthread", help="worker classes to run")
    parser.add_argument("--rows", default="hello,64k,echo-4k,conn-per-req,1000-conns",
                        help="rows to run, by name")
    parser.add_argument("--ours", action="append", metavar="LABEL=DIR",
                        help="a source tree of this project (repeatable; default ours=%s)" % ROOT)
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for --ours trees (default: this one)")
    parser.add_argument("--upstream", action="append", metavar="[LABEL=]PYTHON",
                        help="an interpreter with upstream gunicorn (repeatable; default %s)"
                        % " ".join(DEFAULT_UPSTREAMS))
    parser.add_argument("--no-upstream", action="store_true", help="run only --ours trees")
    parser.add_argument("--uvicorn", action="append", metavar="[LABEL=]PYTHON",
                        help="an interpreter with uvicorn[standard], for the asgi rows "
                        "(repeatable; default %s if it exists)" % " ".join(DEFAULT_UVICORNS))
    parser.add_argument("--no-uvicorn", action="store_true", help="run no uvicorn")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra gunicorn argument for every server (repeatable)")
    parser.add_argument("--wrk-timeout", default="10s", help="wrk --timeout")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between wrk runs")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every row meets its target (gthread 3x, sync 2x, "
                        "gevent/eventlet/asgi 1.3x, tornado 1x)")
    args = parser.parse_args(argv)

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print("missing %s (apt-get install wrk util-linux)" % tool, file=sys.stderr)
            return 2
    upstreams = [] if args.no_upstream else (args.upstream or DEFAULT_UPSTREAMS)
    workers = [w.strip() for w in args.workers.split(",") if w.strip()]
    uvicorns: list[str] = []
    if "asgi" in workers and not args.no_uvicorn:
        uvicorns = args.uvicorn or [p for p in DEFAULT_UVICORNS if os.path.exists(p)]
    contenders = parse_contenders(args.ours or ["ours=%s" % ROOT], upstreams, args.python,
                                  uvicorns)
    all_rows = {r.name: r for r in make_rows(args.connections, args.many_connections)}
    try:
        rows = [all_rows[n.strip()] for n in args.rows.split(",") if n.strip()]
    except KeyError as exc:
        parser.error("unknown row %s; rows are %s" % (exc, ", ".join(all_rows)))
    raise_fd_limit(args.many_connections * 2 + 256)

    appdir = tempfile.mkdtemp(prefix="gunicorn-bench-")
    shutil.copy(APP_FILE, os.path.join(appdir, "bench_app.py"))
    shutil.copy(ASGI_APP_FILE, os.path.join(appdir, "bench_asgi_app.py"))
    procs: dict[tuple[str, str], tuple[subprocess.Popen, int]] = {}
    cells: dict[tuple[str, str, str], Cell] = {}
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    try:
        for c in contenders:
            probe(c, appdir)
            probe_workers(c, workers, appdir)
            c.label = c.label or c.version
        labels = [c.label for c in contenders]
        if len(set(labels)) != len(labels):
            raise SystemExit("contender labels must differ: %s" % labels)
        print("contenders:")
        for c in contenders:
            print("  %-10s %s %-8s %s  (%s%s; workers %s)" % (
                c.label, c.kind, c.version, c.module_file, c.python,
                ", PYTHONPATH=%s" % c.pythonpath if c.pythonpath else "",
                ",".join(w for w in workers if w in c.workers) or "none"))
        print("wrk -t1 -d%gs, %d rounds (median), rows %s; server -w 1 --threads %d on CPU 0, "
              "wrk on CPU 1; load average %.2f" % (args.duration, args.rounds,
                                                   ",".join(r.name for r in rows), args.threads,
                                                   load_before[0]), flush=True)
        # every server runs for the whole benchmark (idle ones cost next to
        # nothing) so rounds can interleave the contenders
        for worker in workers:
            for c in contenders:
                if worker not in c.workers:
                    continue
                port = free_port()
                procs[(c.label, worker)] = (
                    start_server(c, worker, port, appdir, args.threads, args.server_arg), port)
        for (label, worker), (proc, port) in procs.items():
            try:
                check_server(port, proc)
            except RuntimeError as exc:
                with open(os.path.join(appdir, "%s-%s.log" % (label, worker)), "rb") as f:
                    tail = f.read()[-3000:].decode("utf-8", "replace")
                raise SystemExit("%s %s: %s\n%s" % (label, worker, exc, tail)) from None
            run_wrk(port, all_rows["hello"], 1, args.wrk_timeout)  # warm-up
        for rnd in range(args.rounds):
            shift = rnd % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            for row in rows:
                for worker in workers:
                    for c in order:
                        if (c.label, worker) not in procs:
                            continue
                        _proc, port = procs[(c.label, worker)]
                        time.sleep(args.pause)
                        sample = run_wrk(port, row, args.duration, args.wrk_timeout)
                        cells.setdefault((c.label, worker, row.name), Cell()).samples.append(sample)
                        print("  round %d  %-8s %-13s %-10s %9.0f req/s  p99 %9.2f ms  %s"
                              % (rnd + 1, worker, row.name, c.label, sample.rps, sample.p99_ms,
                                 sample.errors), flush=True)
    finally:
        for proc, _port in procs.values():
            stop_server(proc)
        shutil.rmtree(appdir, ignore_errors=True)

    header, lines, all_met = build_table(contenders, workers, rows, cells)
    print("\nmedians of %d rounds (req/s, p99 ms); ratio = req/s against the faster upstream "
          "of the same row, targets %s\n" % (args.rounds, ", ".join(
              "%s %gx" % (w, TARGETS[w]) for w in workers if w in TARGETS)))
    print(render_text(header, lines))
    setup = ("wrk -t1 -d%gs on CPU 1, server `-w 1 --threads %d` on CPU 0, "
             "median of %d interleaved rounds." % (args.duration, args.threads, args.rounds))
    report(args.markdown, contenders, cells, header, lines, setup, started, load_before,
           lambda c: "%s %s" % (c.kind, c.version))
    return 1 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
