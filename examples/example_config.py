"""An example ``gunicorn.conf.py``.

Load it with ``gunicorn -c examples/example_config.py --chdir examples hello:app``.
A config file is plain Python: every module-level name that matches a setting is
applied, anything else is ignored. Command-line flags still win over this file.
Each server hook below only logs, so copy the ones you need and drop the rest.
"""

import multiprocessing
import os

# -- Server socket -----------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
backlog = 2048

# -- Worker processes --------------------------------------------------------
# A common starting point is (2 x CPUs) + 1 for sync workers.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
worker_connections = 1000
timeout = 30
graceful_timeout = 30
keepalive = 2
max_requests = 0
max_requests_jitter = 0

# -- Logging -----------------------------------------------------------------
errorlog = "-"
loglevel = "info"
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# -- Process naming ----------------------------------------------------------
proc_name = None

# -- Server mechanics --------------------------------------------------------
daemon = False
pidfile = None
umask = 0
# Run workers as another account (the master must start as root for this):
# user = "www-data"
# group = "www-data"


# -- Server hooks ------------------------------------------------------------
# "server" is the Arbiter, "worker" a Worker instance, "req" the parsed request.

def on_starting(server):
    """Master, once: before the listeners are created."""
    server.log.info("on_starting: master is starting")


def on_reload(server):
    """Master, on SIGHUP: after the configuration has been reloaded."""
    server.log.info("on_reload: configuration reloaded")


def when_ready(server):
    """Master, once: listeners are bound and workers are about to start."""
    server.log.info("when_ready: server is ready, spawning workers")


def pre_fork(server, worker):
    """Master, before each fork of a worker."""
    server.log.debug("pre_fork: about to fork worker %s", worker.age)


def post_fork(server, worker):
    """Worker, right after fork and before the worker initialises."""
    server.log.info("post_fork: worker spawned (pid: %s)", worker.pid)


def post_worker_init(worker):
    """Worker, after the application has been loaded."""
    worker.log.info("post_worker_init: worker %s loaded the app", worker.pid)


def worker_int(worker):
    """Worker, on SIGINT or SIGQUIT (a quick shutdown)."""
    worker.log.info("worker_int: worker %s received INT or QUIT", worker.pid)


def worker_abort(worker):
    """Worker, on SIGABRT: the master sends it when the worker timed out."""
    worker.log.info("worker_abort: worker %s received SIGABRT", worker.pid)


def pre_exec(server):
    """Master's child, just before re-executing the binary on SIGUSR2."""
    server.log.info("pre_exec: forked child, re-executing")


def pre_request(worker, req):
    """Worker, before the application sees a request."""
    worker.log.debug("pre_request: %s %s", req.method, req.path)


def post_request(worker, req, environ, resp):
    """Worker, after a request has been handled (also when the app failed)."""
    worker.log.debug("post_request: %s %s -> %s", req.method, req.path, resp.status)


def child_exit(server, worker):
    """Master, after it has reaped an exited worker."""
    server.log.info("child_exit: worker %s exited", worker.pid)


def worker_exit(server, worker):
    """Worker, just before the worker process exits."""
    server.log.info("worker_exit: worker %s is exiting", worker.pid)


def nworkers_changed(server, new_value, old_value):
    """Master, whenever the number of workers changes (old_value is None at start)."""
    server.log.info("nworkers_changed: %s -> %s", old_value, new_value)


def on_exit(server):
    """Master, just before the server exits."""
    server.log.info("on_exit: master is exiting")


def ssl_context(config, default_ssl_context_factory):
    """Build the TLS context; only called when certfile/keyfile are set.

    Start from the default context and adjust it, e.g. to require TLS 1.3.
    """
    import ssl

    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context
