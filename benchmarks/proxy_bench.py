"""Throughput and p99 latency through nginx: our workers against upstream gunicorn.

The deployment most people run: ``wrk`` -> nginx -> gunicorn.  Two ways for
nginx to talk to the server (``--modes``):

* ``proxy``: ``proxy_pass`` over HTTP/1.1 with a keep-alive upstream pool
  (``keepalive`` as large as the wrk connections, ``proxy_http_version 1.1``,
  empty ``Connection``);
* ``uwsgi``: ``uwsgi_pass`` with nginx's ``uwsgi_params``, the server started
  with ``--protocol uwsgi`` (a new upstream connection per request: uWSGI
  has no keep-alive).

Every contender serves ``benchmarks/bench_app.py`` with one worker
(``python -m gunicorn -w 1``, ``sync`` and ``gthread``) pinned to CPU 0; one
nginx (``worker_processes 1``) and ``wrk -t1`` share CPU 1.  nginx has a
``server`` block (its own port) per (mode, worker, contender), so all servers
run for the whole benchmark and the rounds interleave the contenders, their
order rotating each round.  Rows are those of ``server_bench.py``
(``hello``, ``64k``, ``echo-4k``, ``conn-per-req``, ``1000-conns``; default
the first three); ``conn-per-req`` closes the client side only, nginx still
reuses its upstream connections.

The table gives the median req/s and p99 per contender and, for each of ours,
the req/s ratio against the faster upstream of the same row and the median of
the per-round ratios.  Server start, route checks (through nginx), process
pinning, wrk parsing and the table come from ``server_bench.py``.

Contenders as in ``server_bench.py``: ``--ours LABEL=DIR`` (default this
checkout, run as ``PYTHONPATH=DIR python -m gunicorn``) and ``--upstream
[LABEL=]PYTHON`` (default ``/tmp/venv-g25/bin/python``, gunicorn 25.0.3,
which has ``--protocol uwsgi``).  A server that cannot start in a mode (for
instance a build without ``--protocol uwsgi``) stops the run with its log.

Usage (see benchmarks/README.md)::

    python benchmarks/proxy_bench.py [--duration 10] [--rounds 5]
        [--modes proxy,uwsgi] [--workers sync,gthread] [--rows hello,64k,echo-4k]
        [--ours ours=/work/main] [--upstream /tmp/venv-g25/bin/python]
        [--markdown FILE]

Needs ``nginx``, ``wrk`` and ``taskset`` (Debian ``nginx wrk util-linux``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the nginx configuration wrapper is the tests' one (tests/support/nginx.py)
sys.path.insert(1, os.path.dirname(HERE))

from server_bench import (  # noqa: E402  (a sibling script, not a package)
    APP_FILE,
    Cell,
    Contender,
    Row,
    check_server,
    fmt_ms,
    fmt_rps,
    free_port,
    make_rows,
    parse_contenders,
    per_round_ratio,
    probe,
    raise_fd_limit,
    render_text,
    report,
    run_wrk,
    start_server,
    stop_server,
)

from tests.support.nginx import UWSGI_PARAMS, UWSGI_PARAMS_TEXT, nginx_conf  # noqa: E402

DEFAULT_UPSTREAMS = ["/tmp/venv-g25/bin/python"]
MODES = ("proxy", "uwsgi")
# gunicorn arguments per mode; --keep-alive above nginx's upstream
# keepalive_timeout so nginx is the side that closes idle connections
MODE_ARGS = {"proxy": ["--keep-alive", "75"], "uwsgi": ["--protocol", "uwsgi"]}

# http-level directives around the server blocks (nginx_conf adds the
# temp paths and the main context)
NGINX_HTTP = """\
    # wrk keeps its connections for the whole run
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_buffer_size 64k;
    # a 64 KiB response stays in memory (no temp file)
    proxy_buffer_size 16k;
    proxy_buffers 16 16k;
    uwsgi_buffer_size 16k;
    uwsgi_buffers 16 16k;
"""

PROXY_BLOCK = """\
    upstream {name} {{
        server 127.0.0.1:{port};
        keepalive {keepalive};
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{listen} backlog=4096;
        location / {{
            proxy_pass http://{name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""

UWSGI_BLOCK = """\
    upstream {name} {{
        server 127.0.0.1:{port};
    }}
    server {{
        listen 127.0.0.1:{listen} backlog=4096;
        location / {{
            include {tmp}/uwsgi_params;
            uwsgi_param HTTP_X_FORWARDED_FOR $proxy_add_x_forwarded_for;
            uwsgi_pass {name};
        }}
    }}
"""


def nginx_config(tmp: str, targets: list[tuple[str, int, int]], keepalive: int,
                 connections: int) -> str:
    """The nginx.conf text for ``targets``: (mode, gunicorn port, nginx listen port) triples.

    ``keepalive`` is the idle upstream connections nginx keeps per proxy
    upstream; ``connections`` is nginx's ``worker_connections`` (client and
    upstream sockets together).
    """
    blocks = []
    for i, (mode, port, listen) in enumerate(targets):
        template = PROXY_BLOCK if mode == "proxy" else UWSGI_BLOCK
        blocks.append(template.format(name="up%d" % i, port=port, listen=listen, tmp=tmp,
                                      keepalive=keepalive))
    main = "master_process on;\nworker_rlimit_nofile %d;\n" % (connections * 2)
    return nginx_conf(tmp, NGINX_HTTP + "".join(blocks), worker_connections=connections,
                      main=main)


def build_table(contenders: list[Contender], keys: list[str], rows: list[Row],
                cells: dict[tuple[str, str, str], Cell]) -> tuple[list[str], list[list[str]]]:
    """Header and lines of the result table.

    ``keys`` are ``"MODE WORKER"`` strings; ``cells`` maps (contender label,
    key, row name) to the samples.  For each of ours: the ratio of its median
    req/s to the faster upstream's, and the median of the per-round ratios.
    No targets: the issue 9 targets are for the server alone, not behind nginx.
    """
    ours = [c for c in contenders if c.ours]
    ups = [c for c in contenders if not c.ours]
    header = ["mode worker", "row"]
    for c in contenders:
        header += ["%s req/s" % c.label, "%s p99 ms" % c.label]
    if ups:
        header += ["%s / faster upstream" % c.label for c in ours]
        header += ["%s per-round ratio" % c.label for c in ours]
    lines = []
    for key in keys:
        for row in rows:
            line = [key, row.title]
            for c in contenders:
                cell = cells.get((c.label, key, row.name), Cell())
                line += [fmt_rps(cell.rps), fmt_ms(cell.p99_ms)]
            if ups:
                up_rps = {u.label: cells.get((u.label, key, row.name), Cell()).rps for u in ups}
                best = max(ups, key=lambda u: up_rps[u.label] if up_rps[u.label] == up_rps[u.label]
                           else 0.0)
                for c in ours:
                    mine = cells.get((c.label, key, row.name), Cell()).rps
                    theirs = up_rps[best.label]
                    line.append("%.2fx (vs %s)" % (mine / theirs, best.label)
                                if theirs and theirs == theirs and mine == mine else "-")
                line += [per_round_ratio(cells, c, ups, key, row) for c in ours]
            lines.append(line)
    return header, lines


def start_nginx(nginx: str, tmp: str, conf: str) -> subprocess.Popen:
    """Check ``conf`` with ``nginx -t``, then start nginx in the foreground pinned to CPU 1.

    Raises SystemExit with nginx's message when the check fails.
    """
    path = os.path.join(tmp, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    if os.path.isfile(UWSGI_PARAMS):
        shutil.copy(UWSGI_PARAMS, os.path.join(tmp, "uwsgi_params"))
    else:
        with open(os.path.join(tmp, "uwsgi_params"), "w") as f:
            f.write(UWSGI_PARAMS_TEXT)
    check = subprocess.run([nginx, "-t", "-p", tmp, "-c", path], capture_output=True, text=True,
                           timeout=60)
    if check.returncode != 0:
        raise SystemExit("nginx -t failed:\n%s" % check.stderr)
    log = open(os.path.join(tmp, "nginx-stdout.log"), "wb")
    try:
        return subprocess.Popen(["taskset", "-c", "1", nginx, "-p", tmp, "-c", path],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def tail(path: str, size: int = 3000) -> str:
    """The last ``size`` bytes of a log file, decoded (empty when missing)."""
    try:
        with open(path, "rb") as f:
            return f.read()[-size:].decode("utf-8", "replace")
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--modes", default="proxy,uwsgi",
                        help="how nginx talks to the server: proxy (proxy_pass), uwsgi (uwsgi_pass)")
    parser.add_argument("--workers", default="sync,gthread", help="worker classes to run")
    parser.add_argument("--rows", default="hello,64k,echo-4k", help="rows to run, by name")
    parser.add_argument("--connections", type=int, default=50,
                        help="wrk connections of the ordinary rows")
    parser.add_argument("--many-connections", type=int, default=1000,
                        help="wrk connections of the 1000-conns row")
    parser.add_argument("--threads", type=int, default=1, help="--threads of every server")
    parser.add_argument("--keepalive", type=int, default=None,
                        help="idle upstream connections nginx keeps per proxy_pass upstream "
                        "(default: the wrk connections of the widest row, so the pool never "
                        "overflows and closes connections)")
    parser.add_argument("--ours", action="append", metavar="LABEL=DIR",
                        help="a source tree of this project (repeatable; default ours=%s)"
                        % os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--no-ours", action="store_true", help="run only upstream contenders")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for --ours trees (default: this one)")
    parser.add_argument("--upstream", action="append", metavar="[LABEL=]PYTHON",
                        help="an interpreter with upstream gunicorn (repeatable; default %s)"
                        % " ".join(DEFAULT_UPSTREAMS))
    parser.add_argument("--no-upstream", action="store_true", help="run only --ours trees")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra gunicorn argument for every server (repeatable)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx",
                        help="the nginx binary")
    parser.add_argument("--wrk-timeout", default="10s", help="wrk --timeout")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between wrk runs")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    args = parser.parse_args(argv)

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print("missing %s (apt-get install wrk util-linux)" % tool, file=sys.stderr)
            return 2
    if not os.access(args.nginx, os.X_OK):
        print("missing nginx (apt-get install nginx, or --nginx PATH)", file=sys.stderr)
        return 2
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            parser.error("unknown mode %r; modes are %s" % (mode, ", ".join(MODES)))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ours = [] if args.no_ours else (args.ours or ["ours=%s" % root])
    upstreams = [] if args.no_upstream else (args.upstream or DEFAULT_UPSTREAMS)
    contenders: list[Contender] = parse_contenders(ours, upstreams, args.python)
    if not contenders:
        parser.error("no contenders left")
    workers = [w.strip() for w in args.workers.split(",") if w.strip()]
    all_rows = {r.name: r for r in make_rows(args.connections, args.many_connections)}
    try:
        rows = [all_rows[n.strip()] for n in args.rows.split(",") if n.strip()]
    except KeyError as exc:
        parser.error("unknown row %s; rows are %s" % (exc, ", ".join(all_rows)))
    # nginx holds a client and an upstream socket per request in flight
    nginx_connections = max(r.connections for r in rows) * 3 + 1024
    raise_fd_limit(nginx_connections * 2 + 256)
    # a pool smaller than the concurrency closes (and reopens) upstream
    # connections all the time: measured, 2,000 TIME_WAITs in 2 s at 50 vs 32
    keepalive = args.keepalive or max(r.connections for r in rows)

    tmp = tempfile.mkdtemp(prefix="gunicorn-proxy-bench-")
    appdirs = {}
    for mode in modes:
        # one directory per mode: bench_app.py plus the server logs of that mode
        appdirs[mode] = os.path.join(tmp, mode)
        os.mkdir(appdirs[mode])
        shutil.copy(APP_FILE, os.path.join(appdirs[mode], "bench_app.py"))
    # (mode, worker, label) -> (server process, nginx port)
    servers: dict[tuple[str, str, str], tuple[subprocess.Popen, int]] = {}
    nginx_proc: subprocess.Popen | None = None
    cells: dict[tuple[str, str, str], Cell] = {}
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    keys = ["%s %s" % (mode, worker) for mode in modes for worker in workers]
    try:
        for c in contenders:
            probe(c, appdirs[modes[0]])
            c.label = c.label or c.version
        labels = [c.label for c in contenders]
        if len(set(labels)) != len(labels):
            raise SystemExit("contender labels must differ: %s" % labels)
        print("contenders:")
        for c in contenders:
            print("  %-10s gunicorn %-8s %s  (%s%s)" % (
                c.label, c.version, c.module_file, c.python,
                ", PYTHONPATH=%s" % c.pythonpath if c.pythonpath else ""))
        print("wrk -t1 -d%gs -> nginx (1 worker, upstream keepalive %d) -> gunicorn -w 1 "
              "--threads %d; %d rounds (median); modes %s; rows %s; server on CPU 0, nginx and "
              "wrk on CPU 1; load average %.2f"
              % (args.duration, keepalive, args.threads, args.rounds, ",".join(modes),
                 ",".join(r.name for r in rows), load_before[0]), flush=True)
        targets = []
        for mode in modes:
            for worker in workers:
                for c in contenders:
                    port, listen = free_port(), free_port()
                    proc = start_server(c, worker, port, appdirs[mode], args.threads,
                                        MODE_ARGS[mode] + args.server_arg)
                    servers[(mode, worker, c.label)] = (proc, listen)
                    targets.append((mode, port, listen))
        nginx_proc = start_nginx(args.nginx, tmp,
                                 nginx_config(tmp, targets, keepalive, nginx_connections))
        for (mode, worker, label), (proc, listen) in servers.items():
            try:
                if nginx_proc.poll() is not None:
                    raise RuntimeError("nginx exited with %s" % nginx_proc.returncode)
                check_server(listen, proc)
            except RuntimeError as exc:
                raise SystemExit("%s %s %s: %s\n--- server log\n%s\n--- nginx error log\n%s"
                                 % (mode, worker, label, exc,
                                    tail(os.path.join(appdirs[mode], "%s-%s.log" % (label, worker))),
                                    tail(os.path.join(tmp, "error.log")))) from None
            run_wrk(listen, all_rows["hello"], 1, args.wrk_timeout)  # warm-up
        for rnd in range(args.rounds):
            shift = rnd % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            for row in rows:
                for mode in modes:
                    for worker in workers:
                        for c in order:
                            _proc, listen = servers[(mode, worker, c.label)]
                            time.sleep(args.pause)
                            sample = run_wrk(listen, row, args.duration, args.wrk_timeout)
                            key = "%s %s" % (mode, worker)
                            cells.setdefault((c.label, key, row.name), Cell()).samples.append(
                                sample)
                            print("  round %d  %-14s %-13s %-10s %9.0f req/s  p99 %9.2f ms  %s"
                                  % (rnd + 1, key, row.name, c.label, sample.rps, sample.p99_ms,
                                     sample.errors), flush=True)
    finally:
        if nginx_proc is not None:
            stop_server(nginx_proc)
        for proc, _listen in servers.values():
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    header, lines = build_table(contenders, keys, rows, cells)
    print("\nmedians of %d rounds (req/s, p99 ms) through nginx; ratio = req/s against the "
          "faster upstream of the same row\n" % args.rounds)
    print(render_text(header, lines))
    setup = ("wrk -t1 -d%gs and nginx (1 worker) on CPU 1, server `-w 1 --threads %d` "
             "on CPU 0, median of %d interleaved rounds." % (args.duration, args.threads,
                                                             args.rounds))
    report(args.markdown, contenders, cells, header, lines, setup, started, load_before,
           lambda c: "gunicorn %s" % c.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
