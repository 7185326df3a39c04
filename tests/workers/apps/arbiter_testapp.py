"""WSGI app for the arbiter and worker process tests.

Paths: ``/sleep?s=N`` sleeps N seconds, ``/pid`` returns the worker pid,
``/env?k=NAME`` returns an environment variable, ``/error`` raises,
``/partial`` raises after sending headers, ``/cwd`` the working directory,
``/ids`` "uid gid groups", ``/loadpid`` the pid that imported this module,
``/threads-sleep?s=N`` sleeps N seconds next to a second sleeping thread,
``/sleep-noabort?s=N`` blocks SIGABRT and sleeps, anything else returns ``ok``.
"""

import os
import signal
import threading
import time
from urllib.parse import parse_qs

LOAD_PID = os.getpid()


def _helper_thread_sleep(delay):
    time.sleep(delay)


def app(environ, start_response):
    path = environ["PATH_INFO"]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/sleep":
        delay = float(qs.get("s", ["1"])[0])
        time.sleep(delay)
        body = b"slept %.1f" % delay
    elif path == "/threads-sleep":
        delay = float(qs.get("s", ["1"])[0])
        helper = threading.Thread(target=_helper_thread_sleep, args=(delay,),
                                  name="arb-helper", daemon=True)
        helper.start()
        time.sleep(delay)
        body = b"slept"
    elif path == "/sleep-noabort":
        delay = float(qs.get("s", ["1"])[0])
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGABRT])
        time.sleep(delay)
        body = b"slept"
    elif path == "/pid":
        body = str(os.getpid()).encode()
    elif path == "/loadpid":
        body = str(LOAD_PID).encode()
    elif path == "/cwd":
        body = os.getcwd().encode()
    elif path == "/ids":
        body = ("%d %d %s" % (os.getuid(), os.getgid(),
                              ",".join(str(g) for g in sorted(os.getgroups())))).encode()
    elif path == "/env":
        body = os.environ.get(qs["k"][0], "<unset>").encode()
    elif path == "/error":
        raise RuntimeError("boom-secret-detail")
    elif path == "/partial":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            yield b"first"
            raise RuntimeError("after headers")

        return gen()
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
