"""HTTP/2 throughput and memory of one of our workers against upstream gunicorn and hypercorn.

``--worker`` picks the worker class (``gthread``, the default, ``gevent``,
``eventlet`` or ``asgi``); ours and upstream run that class.  Every
contender serves ``benchmarks/bench_app.py`` (``benchmarks/bench_asgi_app.py``
for ``asgi``; both copied to a temporary directory) over TLS with ALPN
offering ``h2``, with one worker process pinned to CPU 0 by ``taskset -c 0``;
the load generator, ``h2load -t1``, runs pinned to CPU 1.  The certificate
comes from ``trustme`` and is written to the same temporary directory.

Contenders:

* ``--ours LABEL=DIR`` (repeatable; default ``ours=`` this checkout): this
  project's source tree, ``PYTHONPATH=DIR python -m gunicorn -w 1 -k WORKER
  --threads N --http-protocols h2,h1`` (``asgi`` adds ``--asgi-loop
  uvloop``); the script checks that ``gunicorn`` is imported from ``DIR``.
* ``--upstream [LABEL=]PYTHON`` (repeatable; default the interpreters of
  ``/tmp/venv-g25`` and ``/tmp/venv-g27``): upstream gunicorn run the same
  way, without ``PYTHONPATH``; the label defaults to its version.  Its
  environment needs ``h2`` and the worker's library (``gevent``,
  ``eventlet``, ``uvloop``); a default upstream that cannot run the worker
  (27.x has no ``eventlet``) is left out.
* ``--hypercorn [LABEL=]PYTHON`` (repeatable; default
  ``/tmp/venv-hypercorn/bin/python`` for ``gthread`` and ``asgi``, none for
  ``gevent`` and ``eventlet``): for ``asgi``, ``python -m hypercorn -w 1 -k
  uvloop bench_asgi_app:app`` (``-k asyncio`` when its environment has no
  uvloop); otherwise ``python -m hypercorn -w 1 -k asyncio
  wsgi:bench_app:app``, i.e. hypercorn's WSGI adapter (the application runs
  in the asyncio loop's default thread pool executor).  Its config file sets
  ``keep_alive_max_requests`` to 10**9: hypercorn's default (1,000) closes
  an HTTP/2 connection after 1,000 requests, and h2load in duration mode
  does not reconnect, so the run would stall; gunicorn has no such limit.

Rows (``GET`` over one TLS connection per h2load client):

* ``hello c10 m10``: ``/`` (14-byte body), 10 connections x 10 concurrent streams;
* ``hello c1 m100``: ``/``, 1 connection x 100 concurrent streams;
* ``64k c10 m10`` and ``64k c1 m100``: the same with ``/64k`` (65,536-byte body).

Each run is ``h2load -D DURATION --warm-up-time WARMUP``: requests per second
count only the measured ``DURATION`` seconds.  Every run gets a freshly
started server (checked first: every route fetched over HTTP/2 with curl),
stopped after the run, because h2load ends a duration run by dropping its
connections with streams in flight, and a server that leaks something on
such a drop would drag that into the next run (hypercorn 0.18 does: each
dropped ``/64k`` stream can leave an executor thread blocked for good, and
after a few runs it stops answering).  ``--keep-servers`` instead starts every
server once for the whole benchmark, which also tests that.  Rounds
interleave the contenders (the order rotates each round) and each figure is
the median over ``--rounds``.  A run is flagged (``!`` after its req/s) when
h2load reports failed, errored or timed-out requests, a status other than
2xx, a protocol other than ``h2``, exits non-zero or does not finish, or the
server's set of processes changed (a worker died); flagged runs are listed
under the tables.

With ``--threads 1`` upstream gunicorn serves one HTTP/2 connection at a
time (a connection holds its thread until it closes), so in the ``c10`` rows
nine h2load clients starve and h2load never finishes: such a run is flagged
"h2load did not finish" and gives no figure.  ``--upstream-threads N`` gives
upstream more threads (e.g. 10, one per connection) while ours keeps
``--threads``.

Memory: at the end of every run (after h2load exits, before the server is
stopped) the script reads ``VmHWM`` (the peak resident set size the kernel
recorded for the process since it started) and ``VmRSS`` from
``/proc/<pid>/status`` of every process of the server (the process started,
i.e. the master, and all its descendants: the worker, and for hypercorn the
multiprocessing resource tracker) and sums them.  Pages shared by master and
worker count once per process.  "Peak RSS" is that VmHWM sum: the median
over the rounds for each row, and the largest over all runs.  With
``--keep-servers`` the figure of a row covers everything since the server
started.

The tables give, for each of ours, the req/s ratio against the faster
upstream of the row (target >= 2x for every worker) and
against hypercorn (target > 1x), and
the largest peak RSS against the leaner upstream's (target: no larger).  A
row where no upstream (or no hypercorn) run gave a figure is listed as not
compared.  ``--check`` exits 1 if a target is missed or one of ours had a
flagged run.

Usage (see benchmarks/README.md for the virtual environments)::

    python benchmarks/h2_bench.py [--worker gthread|gevent|eventlet|asgi]
        [--duration 10] [--warm-up 2] [--rounds 5]
        [--ours ours=/work/main] [--upstream /tmp/venv-g25/bin/python]
        [--hypercorn /tmp/venv-hypercorn/bin/python] [--threads 1] [--upstream-threads N]
        [--rows hello-c10m10,hello-c1m100,64k-c10m10,64k-c1m100] [--keep-servers]
        [--markdown FILE] [--check]

Needs ``h2load`` (Debian package ``nghttp2-client``), ``curl`` with HTTP/2,
``taskset`` (``util-linux``) and ``trustme`` in this interpreter.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from server_bench import compile_tree, server_env  # noqa: E402  (a sibling script, not a package)

APP_FILE = os.path.join(HERE, "bench_app.py")
ASGI_APP_FILE = os.path.join(HERE, "bench_asgi_app.py")
WORKERS = ("gthread", "gevent", "eventlet", "asgi")
# what a worker class needs imported besides gunicorn and h2
WORKER_NEEDS = {"gevent": "gevent", "eventlet": "eventlet", "asgi": "uvloop"}
DEFAULT_UPSTREAMS = ["/tmp/venv-g25/bin/python", "/tmp/venv-g27/bin/python"]
DEFAULT_HYPERCORNS = ["/tmp/venv-hypercorn/bin/python"]
# a clean environment (packaging and h2 only), like the upstream ones: the
# project's development environment has .pth files (editable install,
# coverage) that add megabytes to every process, which would skew peak RSS
DEFAULT_OURS_PYTHON = "/tmp/venv-ours/bin/python"
UPSTREAM_TARGET = 2.0  # ours / faster upstream, every row
# issue 12 asks 2x upstream 25.0.3 of gevent and eventlet on HTTP/2 too (1.3x is
# their HTTP/1.1 target)
UPSTREAM_TARGETS = {"gthread": 2.0, "asgi": 2.0, "gevent": 2.0, "eventlet": 2.0}
HYPERCORN_TARGET = 1.0  # ours / hypercorn must be above this, every row
# hypercorn closes an HTTP/2 connection after keep_alive_max_requests (1,000
# by default) and h2load -D does not reconnect: lift the limit to match gunicorn
HYPERCORN_CONFIG = "keep_alive_max_requests = 1000000000\n"
BODIES = {"/": b"Hello, World!\n", "/64k": b"x" * 65536}
MIB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One load shape: URL path, h2load clients (connections) and concurrent streams each."""

    name: str
    path: str
    clients: int
    streams: int

    @property
    def title(self) -> str:
        return "%s c%d m%d" % ("hello" if self.path == "/" else self.path.lstrip("/"),
                               self.clients, self.streams)


ROWS = [Row("hello-c10m10", "/", 10, 10), Row("hello-c1m100", "/", 1, 100),
        Row("64k-c10m10", "/64k", 10, 10), Row("64k-c1m100", "/64k", 1, 100)]


@dataclass
class Contender:
    """One server build.

    ``kind`` is ``ours``, ``upstream`` or ``hypercorn``; ``python`` the
    interpreter that runs it; ``pythonpath`` the source tree put first on
    ``sys.path`` (ours only).
    """

    label: str
    kind: str
    python: str
    pythonpath: str | None = None
    version: str = ""
    module_file: str = ""
    bare_rss: int = 0  # bytes: VmRSS of the interpreter before it imports anything itself


@dataclass
class Server:
    """A running server: its process (the master), port and the pids of its process tree."""

    proc: subprocess.Popen
    port: int
    pids: frozenset[int] = frozenset()


@dataclass
class Sample:
    """One h2load run.

    ``rps``: requests per second over the measured period (0 when h2load gave
    no report); ``errors``: problem summary, "" if none; ``hwm`` and ``rss``:
    sums in bytes of VmHWM and VmRSS over the server's processes at the end
    of the run; ``processes``: how many there were.
    """

    rps: float
    errors: str
    hwm: int = 0
    rss: int = 0
    processes: int = 0


@dataclass
class Cell:
    """The samples of one (contender, row) and their medians."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median([s.rps for s in self.samples])

    @property
    def hwm(self) -> float:
        return median([s.hwm for s in self.samples])

    @property
    def flagged(self) -> bool:
        return any(s.errors for s in self.samples)


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


def make_certificate(directory: str) -> tuple[str, str, str]:
    """Write a trustme CA and a certificate for 127.0.0.1/localhost; return (ca, cert, key) paths."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_path, cert_path, key_path = (os.path.join(directory, name)
                                    for name in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(ca_path)
    with open(cert_path, "wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    cert.private_key_pem.write_to_path(key_path)
    return ca_path, cert_path, key_path


def probe(contender: Contender, cwd: str, worker: str = "gthread") -> None:
    """Fill in the version and module file the contender imports; SystemExit if it is wrong.

    Runs from ``cwd`` (the app directory) so the directory this script is
    started from cannot shadow the package under test.  A gunicorn must
    also load the ``worker`` class and import the library it needs (a
    hypercorn for ``asgi`` is probed for uvloop, see ``hypercorn_loop``).
    """
    # VmRSS first: what the interpreter and its site-packages' .pth files cost
    # every process before the server imports anything
    compile_tree(contender.python, contender.pythonpath)
    code = ("s = open('/proc/self/status').read(); "
            "print([x for x in s.splitlines() if x.startswith('VmRSS:')][0].split()[1]); ")
    if contender.kind == "hypercorn":
        code += ("import importlib.metadata as m, hypercorn, h2; "
                 "print(m.version('hypercorn')); print(hypercorn.__file__)")
    else:
        if WORKER_NEEDS.get(worker):
            code += "import %s; " % WORKER_NEEDS[worker]
        code += ("import gunicorn, gunicorn.util, h2; gunicorn.util.load_class(%r, "
                 "default='gunicorn.workers.sync.SyncWorker', section='gunicorn.workers'); "
                 "print(gunicorn.__version__); print(gunicorn.__file__)" % worker)
    proc = subprocess.run([contender.python, "-c", code], cwd=cwd, env=server_env(contender),
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit("%s: cannot import the server, h2 and the %s worker with %s:\n%s"
                         % (contender.label or contender.python, worker, contender.python,
                            proc.stderr[-2000:]))
    bare_kib, contender.version, contender.module_file = proc.stdout.split()[:3]
    contender.bare_rss = int(bare_kib) * 1024
    module_file = os.path.realpath(contender.module_file)
    if contender.kind == "ours":
        inside = os.path.realpath(contender.pythonpath or "") + os.sep
        if not module_file.startswith(inside):
            raise SystemExit("%s: gunicorn resolves to %s, not into %s"
                             % (contender.label, module_file, contender.pythonpath))
    elif contender.kind == "upstream" and module_file.startswith(os.path.realpath(ROOT) + os.sep):
        raise SystemExit("%s: %s imports this checkout (%s), not upstream"
                         % (contender.label, contender.python, module_file))


def hypercorn_loop(contender: Contender) -> str:
    """hypercorn's worker class for the ASGI rows: ``uvloop`` when its
    environment has uvloop (the loop our asgi worker runs on), else ``asyncio``."""
    proc = subprocess.run([contender.python, "-c", "import uvloop"], capture_output=True,
                          timeout=60)
    return "uvloop" if proc.returncode == 0 else "asyncio"


def server_command(contender: Contender, port: int, appdir: str, threads: int,
                   extra: list[str], worker: str = "gthread", hypercorn_class: str = "asyncio"
                   ) -> list[str]:
    """The command line of one server, pinned to CPU 0, one worker, TLS with ALPN h2.

    ``appdir`` holds ``bench_app.py``, ``bench_asgi_app.py``, ``cert.pem``,
    ``key.pem`` and ``hypercorn.toml``; ``extra`` goes to gunicorn-style
    servers only; ``worker`` is the gunicorn worker class (``asgi`` serves
    the ASGI app, and so does hypercorn, with ``hypercorn_class``).
    """
    bind = "127.0.0.1:%d" % port
    tls = ["--certfile", os.path.join(appdir, "cert.pem"),
           "--keyfile", os.path.join(appdir, "key.pem")]
    if contender.kind == "hypercorn":
        if worker == "asgi":
            kind, app = hypercorn_class, "bench_asgi_app:app"
        else:
            kind, app = "asyncio", "wsgi:bench_app:app"
        return ["taskset", "-c", "0", contender.python, "-m", "hypercorn", "-w", "1",
                "-k", kind, "-b", bind, *tls, "--config",
                os.path.join(appdir, "hypercorn.toml"), "--log-level", "warning", app]
    app = "bench_asgi_app:app" if worker == "asgi" else "bench_app:app"
    loop = ["--asgi-loop", "uvloop"] if worker == "asgi" else []
    return ["taskset", "-c", "0", contender.python, "-m", "gunicorn", "-w", "1", "-k", worker,
            "--threads", str(threads), "-b", bind, *tls, "--http-protocols", "h2,h1",
            "--log-level", "warning", *loop, *extra, app]


def stop_server(proc: subprocess.Popen) -> None:
    """TERM the server we started, then KILL its process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def check_server(port: int, proc: subprocess.Popen, ca: str, timeout: float = 30.0) -> None:
    """Wait until the server accepts, then fetch every route over HTTP/2 with curl.

    Raises RuntimeError if the server exits, does not accept within
    ``timeout`` seconds, does not negotiate HTTP/2, or answers a route with
    another status or body than ``bench_app`` gives.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("server not accepting on port %d" % port) from None
            time.sleep(0.1)
    for path, expect in BODIES.items():
        with tempfile.NamedTemporaryFile() as body:
            cmd = ["curl", "-sS", "--http2", "--cacert", ca, "-o", body.name, "--max-time", "20",
                   "-w", "%{http_version} %{response_code}", "https://127.0.0.1:%d%s" % (port, path)]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            got = body.read()
        if out.stdout.strip() != "2 200" or got != expect:
            raise RuntimeError("GET %s on port %d: curl says %r (%s), %d body bytes"
                               % (path, port, out.stdout, out.stderr.strip(), len(got)))


def start_server(contender: Contender, cmd: list[str], appdir: str, ca: str) -> Server:
    """Start and check one server in its own session; SystemExit with its log if it fails.

    Its output goes to ``appdir/LABEL.log`` (appended, one file for every
    start of that contender).
    """
    port = int(cmd[cmd.index("-b") + 1].rpartition(":")[2])
    log_path = os.path.join(appdir, "%s.log" % contender.label)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=appdir, env=server_env(contender), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        check_server(port, proc, ca)
    except RuntimeError as exc:
        stop_server(proc)
        with open(log_path, "rb") as f:
            tail = f.read()[-3000:].decode("utf-8", "replace")
        raise SystemExit("%s: %s\n%s" % (contender.label, exc, tail)) from None
    return Server(proc, port, frozenset(process_tree(proc.pid)))


def run_h2load(port: int, row: Row, duration: float, warm_up: float) -> Sample:
    """Run ``h2load -t1`` pinned to CPU 1 for one row; parse req/s and every sign of trouble."""
    cmd = ["taskset", "-c", "1", "h2load", "-t1", "-c%d" % row.clients, "-m%d" % row.streams,
           # h2load takes whole numbers only: milliseconds allow fractions of seconds
           "-D", "%dms" % round(duration * 1000), "--warm-up-time", "%dms" % round(warm_up * 1000),
           "https://127.0.0.1:%d%s" % (port, row.path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=duration + warm_up + 20)
    except subprocess.TimeoutExpired:
        # e.g. clients whose connection the server never serves (upstream
        # gthread with fewer threads than connections): no report at all
        return Sample(0.0, "h2load did not finish")
    return parse_h2load(proc.stdout, proc.returncode)


def parse_h2load(out: str, returncode: int) -> Sample:
    """Requests per second and a problem summary from h2load's report."""
    problems = []
    rps_m = re.search(r"^finished in [\d.]+\w*, ([\d.]+) req/s", out, re.M)
    req_m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                      r"(\d+) failed, (\d+) errored, (\d+) timeout", out, re.M)
    status_m = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out, re.M)
    proto_m = re.search(r"^Application protocol: (\S+)", out, re.M)
    if returncode != 0:
        problems.append("h2load exit %d" % returncode)
    if not rps_m or not req_m:
        problems.append("no h2load report")
    if req_m:
        _total, _started, done, succeeded, failed, errored, timed_out = map(int, req_m.groups())
        if failed or errored or timed_out:
            problems.append("%d failed, %d errored, %d timeout" % (failed, errored, timed_out))
        if not done or succeeded < done - failed:
            problems.append("%d done, %d succeeded" % (done, succeeded))
    if status_m:
        other = sum(int(n) for n in status_m.groups()[1:])
        if other:
            problems.append("%d non-2xx" % other)
    if not proto_m or proto_m.group(1) != "h2":
        problems.append("protocol %s" % (proto_m.group(1) if proto_m else "unknown"))
    return Sample(float(rps_m.group(1)) if rps_m else 0.0, "; ".join(problems))


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant process, from the parent pids in ``/proc/*/stat``."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name in parentheses may hold spaces: the ppid follows the last ")"
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def measure_memory(server: Server, sample: Sample) -> None:
    """Store the VmHWM and VmRSS sums over the server's process tree in ``sample``.

    Flags the sample when the set of processes differs from the one at start.
    """
    hwm = rss = 0
    alive = []
    for pid in process_tree(server.proc.pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
        except OSError:
            continue
        hwm_m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        rss_m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if hwm_m and rss_m:
            hwm += int(hwm_m.group(1)) * 1024
            rss += int(rss_m.group(1)) * 1024
            alive.append(pid)
    sample.hwm, sample.rss, sample.processes = hwm, rss, len(alive)
    if frozenset(alive) != server.pids:
        sample.errors = "; ".join(filter(None, [sample.errors, "server processes changed"]))


def parse_contenders(ours: list[str], upstreams: list[str], hypercorns: list[str],
                     python: str) -> list[Contender]:
    """Build the contender list from ``LABEL=DIR`` / ``[LABEL=]PYTHON`` option values."""
    result = []
    for spec in ours:
        label, _, path = spec.rpartition("=")
        result.append(Contender(label or "ours", "ours", python, os.path.abspath(path)))
    for kind, specs in (("upstream", upstreams), ("hypercorn", hypercorns)):
        for spec in specs:
            label, _, path = spec.rpartition("=")
            result.append(Contender(label, kind, path))
    return result


def fmt_rps(cell: Cell) -> str:
    value = cell.rps
    if value != value:
        return "-"
    return "%.0f%s" % (value, " !" if cell.flagged else "")


def fmt_ratio(value: float) -> str:
    return "%.2fx" % value if value == value else "-"


def ratio_pair(mine: Cell, theirs: list[Cell]) -> tuple[float, float]:
    """(median ratio, median of per-round ratios) of ``mine`` against the best of ``theirs``.

    Runs that gave no figure (0 req/s) are left out; NaN when nothing is
    left.  The per-round ratio compares runs taken seconds apart, so it
    shrugs off load that other processes put on the machine between rounds.
    """
    medians = [median([s.rps for s in c.samples if s.rps > 0]) for c in theirs]
    best = max((m for m in medians if m == m), default=0.0)
    ratio = mine.rps / best if best and mine.rps == mine.rps else float("nan")
    per_round = []
    for i, sample in enumerate(mine.samples):
        top = max((c.samples[i].rps for c in theirs if i < len(c.samples)), default=0.0)
        if top:
            per_round.append(sample.rps / top)
    return ratio, median(per_round)


def build_tables(contenders: list[Contender], rows: list[Row], cells: dict[tuple[str, str], Cell],
                 upstream_target: float = UPSTREAM_TARGET
                 ) -> tuple[list[list[str]], list[list[str]], list[str], list[str]]:
    """The throughput and memory tables (header first), the missed targets, the rows not compared.

    ``upstream_target``: the least ratio of ours to the faster upstream.
    """
    ours = [c for c in contenders if c.kind == "ours"]
    ups = [c for c in contenders if c.kind == "upstream"]
    hyps = [c for c in contenders if c.kind == "hypercorn"]
    missed: list[str] = []
    not_compared: list[str] = []

    def cell(c: Contender, row: Row) -> Cell:
        return cells.get((c.label, row.name), Cell())

    header = ["row"] + ["%s req/s" % c.label for c in contenders]
    for c in ours:
        if ups:
            header.append("%s / faster upstream (per round)" % c.label)
        if hyps:
            header.append("%s / hypercorn (per round)" % c.label)
    table = [header]
    for row in rows:
        line = [row.title] + [fmt_rps(cell(c, row)) for c in contenders]
        for c in ours:
            mine = cell(c, row)
            if mine.flagged:
                missed.append("%s %s: flagged runs" % (c.label, row.title))
            for group, target, strict in ((ups, upstream_target, False),
                                          (hyps, HYPERCORN_TARGET, True)):
                if not group:
                    continue
                ratio, per_round = ratio_pair(mine, [cell(u, row) for u in group])
                if ratio != ratio and mine.rps > 0:
                    not_compared.append("%s %s: no %s run gave a figure"
                                        % (c.label, row.title, group[0].kind))
                    line.append("n/a (no %s figure)" % group[0].kind)
                    continue
                best = max(group, key=lambda u: cell(u, row).rps or 0.0)
                met = ratio == ratio and (ratio > target if strict else ratio >= target)
                if not met:
                    missed.append("%s %s: %s %s (target %s%gx)" % (
                        c.label, row.title, fmt_ratio(ratio), best.label,
                        ">" if strict else ">=", target))
                line.append("%s %s (%s)%s" % (fmt_ratio(ratio), best.label, fmt_ratio(per_round),
                                              "" if met else " MISSED"))
        table.append(line)

    def largest(c: Contender) -> int:
        return max((s.hwm for row in rows for s in cell(c, row).samples), default=0)

    mem_header = ["row"] + ["%s peak RSS MiB" % c.label for c in contenders]
    mem_header += ["%s / leaner upstream" % c.label for c in ours if ups]
    mem_table = [mem_header]
    for row in rows:
        line = [row.title] + ["%.1f" % (cell(c, row).hwm / MIB) for c in contenders]
        if ups:
            for c in ours:
                theirs = min(cell(u, row).hwm for u in ups)
                line.append(fmt_ratio(cell(c, row).hwm / theirs if theirs else float("nan")))
        mem_table.append(line)
    line = ["largest of all runs"] + ["%.1f" % (largest(c) / MIB) for c in contenders]
    if ups:
        leaner = min(ups, key=largest)
        for c in ours:
            theirs = largest(leaner)
            met = largest(c) <= theirs
            if not met:
                missed.append("%s largest peak RSS %.1f MiB > %s %.1f MiB"
                              % (c.label, largest(c) / MIB, leaner.label, theirs / MIB))
            line.append("%s %s%s" % (fmt_ratio(largest(c) / theirs if theirs else float("nan")),
                                     leaner.label, "" if met else " MISSED"))
    mem_table.append(line)
    counts = {c.label: sorted({s.processes for row in rows for s in cell(c, row).samples})
              for c in contenders}
    mem_table.append(["processes"] + ["/".join(map(str, counts[c.label])) for c in contenders]
                     + [""] * (len(mem_header) - 1 - len(contenders)))
    return table, mem_table, missed, not_compared


def render_text(table: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    out = ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
           for line in table]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def render_markdown(table: list[list[str]]) -> str:
    out = ["| " + " | ".join(line) + " |" for line in table]
    out.insert(1, "|" + "---|" * len(table[0]))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10,
                        help="measured seconds per h2load run (h2load -D)")
    parser.add_argument("--warm-up", type=float, default=2,
                        help="unmeasured seconds before each run (h2load --warm-up-time)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--worker", default="gthread", choices=WORKERS,
                        help="the worker class of ours and upstream (default gthread)")
    parser.add_argument("--threads", type=int, default=1,
                        help="--threads of every gunicorn-style server")
    parser.add_argument("--upstream-threads", type=int, metavar="N",
                        help="--threads of upstream gunicorn only (default: --threads)")
    parser.add_argument("--rows", default=",".join(r.name for r in ROWS),
                        help="rows to run, by name")
    parser.add_argument("--ours", action="append", metavar="LABEL=DIR",
                        help="a source tree of this project (repeatable; default ours=%s)" % ROOT)
    parser.add_argument("--python",
                        default=DEFAULT_OURS_PYTHON if os.path.exists(DEFAULT_OURS_PYTHON)
                        else sys.executable,
                        help="interpreter for --ours trees (default: %s if it exists, else "
                        "this one)" % DEFAULT_OURS_PYTHON)
    parser.add_argument("--upstream", action="append", metavar="[LABEL=]PYTHON",
                        help="an interpreter with upstream gunicorn and h2 (repeatable; default %s)"
                        % " ".join(DEFAULT_UPSTREAMS))
    parser.add_argument("--no-upstream", action="store_true", help="run no upstream gunicorn")
    parser.add_argument("--hypercorn", action="append", metavar="[LABEL=]PYTHON",
                        help="an interpreter with hypercorn (repeatable; default %s for "
                        "gthread and asgi, none for gevent and eventlet)"
                        % " ".join(DEFAULT_HYPERCORNS))
    parser.add_argument("--no-hypercorn", action="store_true", help="run no hypercorn")
    parser.add_argument("--keep-servers", action="store_true",
                        help="start every server once for the whole benchmark, not per run")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for every gunicorn-style server (repeatable)")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between h2load runs")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a target is missed or one of ours had a flagged run")
    args = parser.parse_args(argv)

    for tool in ("h2load", "taskset", "curl"):
        if shutil.which(tool) is None:
            print("missing %s (apt-get install nghttp2-client util-linux curl)" % tool,
                  file=sys.stderr)
            return 2
    by_name = {r.name: r for r in ROWS}
    try:
        rows = [by_name[n.strip()] for n in args.rows.split(",") if n.strip()]
    except KeyError as exc:
        parser.error("unknown row %s; rows are %s" % (exc, ", ".join(by_name)))
    worker = args.worker
    default_hypercorns = DEFAULT_HYPERCORNS if worker in ("gthread", "asgi") else []
    contenders = parse_contenders(
        args.ours or ["ours=%s" % ROOT],
        [] if args.no_upstream else (args.upstream or DEFAULT_UPSTREAMS),
        [] if args.no_hypercorn else (args.hypercorn or default_hypercorns), args.python)
    upstream_target = UPSTREAM_TARGETS[worker]

    appdir = tempfile.mkdtemp(prefix="gunicorn-h2bench-")
    shutil.copy(APP_FILE, os.path.join(appdir, "bench_app.py"))
    shutil.copy(ASGI_APP_FILE, os.path.join(appdir, "bench_asgi_app.py"))
    ca = make_certificate(appdir)[0]
    with open(os.path.join(appdir, "hypercorn.toml"), "w") as f:
        f.write(HYPERCORN_CONFIG)
    servers: dict[str, Server] = {}
    cells: dict[tuple[str, str], Cell] = {}
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    commands: dict[str, list[str]] = {}

    def command(c: Contender) -> list[str]:
        threads = args.threads
        if c.kind == "upstream" and args.upstream_threads:
            threads = args.upstream_threads
        return server_command(c, free_port(), appdir, threads, args.server_arg, worker,
                              hypercorn_classes.get(c.label, "asyncio"))

    hypercorn_classes: dict[str, str] = {}
    try:
        for c in list(contenders):
            try:
                probe(c, appdir, worker)
            except SystemExit as exc:
                if c.kind != "upstream" or args.upstream:
                    raise
                # a default upstream without this worker (27.x has no eventlet)
                print("leaving out %s: %s" % (c.python, str(exc).splitlines()[0]))
                contenders.remove(c)
                continue
            c.label = c.label or (c.version if c.kind == "upstream" else c.kind)
            if c.kind == "hypercorn" and worker == "asgi":
                hypercorn_classes[c.label] = hypercorn_loop(c)
            commands[c.label] = command(c)
        labels = [c.label for c in contenders]
        if len(set(labels)) != len(labels):
            raise SystemExit("contender labels must differ: %s" % labels)
        print("contenders (server on CPU 0, h2load -t1 on CPU 1; bare = VmRSS of the "
              "interpreter before it imports anything):")
        for c in contenders:
            print("  %-10s %s %-8s %s (bare %.1f MiB)" % (c.label, c.kind, c.version,
                                                        c.module_file, c.bare_rss / MIB))
            print("             %s%s" % ("PYTHONPATH=%s " % c.pythonpath if c.pythonpath else "",
                                         shlex.join(commands[c.label][3:])))
        print("worker %s; h2load -D %gs --warm-up-time %gs, %d rounds (median), rows %s, %s; "
              "load average %.2f" % (worker, args.duration, args.warm_up, args.rounds,
                                     ",".join(r.name for r in rows),
                                     "servers kept for the whole benchmark" if args.keep_servers
                                     else "a fresh server per run", load_before[0]), flush=True)
        if args.keep_servers:
            for c in contenders:
                servers[c.label] = start_server(c, commands[c.label], appdir, ca)
        for rnd in range(args.rounds):
            shift = rnd % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            for row in rows:
                for c in order:
                    if args.keep_servers:
                        server = servers[c.label]
                    else:
                        commands[c.label] = command(c)  # a new port: no TIME_WAIT leftovers
                        server = servers[c.label] = start_server(c, commands[c.label], appdir, ca)
                    time.sleep(args.pause)
                    sample = run_h2load(server.port, row, args.duration, args.warm_up)
                    if server.proc.poll() is not None:
                        sample.errors = "; ".join(filter(None, [sample.errors, "server exited"]))
                    measure_memory(server, sample)
                    if not args.keep_servers:
                        stop_server(server.proc)
                        del servers[c.label]
                    cells.setdefault((c.label, row.name), Cell()).samples.append(sample)
                    print("  round %d  %-13s %-10s %9.0f req/s  peak RSS %6.1f MiB  %s"
                          % (rnd + 1, row.title, c.label, sample.rps, sample.hwm / MIB,
                             sample.errors), flush=True)
    finally:
        for server in servers.values():
            stop_server(server.proc)
        shutil.rmtree(appdir, ignore_errors=True)

    table, mem_table, missed, not_compared = build_tables(contenders, rows, cells,
                                                              upstream_target)
    flagged = [(label, row_name, i + 1, s.errors) for (label, row_name), cell in cells.items()
               for i, s in enumerate(cell.samples) if s.errors]
    intro = ("medians of %d rounds of h2load -D %gs (req/s; ! = a flagged run); ratios = ours "
             "against the faster upstream (target >= %gx) and hypercorn (target > %gx) of the "
             "same row, then in brackets the median of the same ratio taken within each round"
             % (args.rounds, args.duration, upstream_target, HYPERCORN_TARGET))
    mem_intro = ("peak RSS = sum over the server's processes (master and all descendants) of "
                 "VmHWM from /proc/<pid>/status, read at the end of each run%s; per row the "
                 "median over the rounds, then the largest of all runs (target: ours <= the "
                 "leaner upstream's)" % (", VmHWM covering everything since the server started"
                                         if args.keep_servers else
                                         " (a fresh server per run)"))
    print("\n" + intro + "\n")
    print(render_text(table))
    print("\n" + mem_intro + "\n")
    print(render_text(mem_table))
    if flagged:
        print("\nflagged runs:")
        for label, row_name, rnd, text in flagged:
            print("  %-10s %-13s round %d: %s" % (label, row_name, rnd, text))
    for title, texts in (("not compared", not_compared), ("missed targets", missed)):
        if texts:
            print("\n%s:" % title)
            for text in texts:
                print("  " + text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("Command: `%s`\n\n" % shlex.join(["python", *sys.argv]))
            f.write("Started %s; load average at start %.2f %.2f %.2f, at end %.2f %.2f %.2f.\n\n"
                    % (started, *load_before, *os.getloadavg()))
            f.write("Contenders (each pinned to CPU 0; h2load -t1 on CPU 1):\n\n")
            for c in contenders:
                f.write("- %s: %s %s from `%s` (bare interpreter VmRSS %.1f MiB): `%s%s`\n" % (
                    c.label, "hypercorn" if c.kind == "hypercorn" else "gunicorn", c.version,
                    c.module_file, c.bare_rss / MIB,
                    "PYTHONPATH=%s " % c.pythonpath if c.pythonpath else "",
                    shlex.join(commands[c.label][3:])))
            f.write("\n%s.\n\n%s\n\n%s.\n\n%s\n" % (intro[0].upper() + intro[1:],
                                                     render_markdown(table),
                                                     mem_intro[0].upper() + mem_intro[1:],
                                                     render_markdown(mem_table)))
            if flagged:
                f.write("\nFlagged runs:\n\n")
                for label, row_name, rnd, text in flagged:
                    f.write("- %s %s round %d: %s\n" % (label, row_name, rnd, text))
            for title, texts in (("Not compared", not_compared), ("Missed targets", missed)):
                if texts:
                    f.write("\n%s:\n\n%s" % (title, "".join("- %s\n" % t for t in texts)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
