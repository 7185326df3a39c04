"""Start-up checks of the greenlet workers: library versions, the
eventlet deprecation, and what is imported where."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.support.server import ROOT


def _run(code: str, extra_path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, ROOT) if p)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_old_gevent_is_refused_at_start(tmp_path):
    # sitecustomize runs before gunicorn: it makes the installed gevent look old
    (tmp_path / "sitecustomize.py").write_text("import gevent\ngevent.__version__ = '24.2.1'\n")
    (tmp_path / "app.py").write_text("def app(environ, start_response):\n    return []\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(tmp_path), ROOT)))
    env.pop("GUNICORN_CMD_ARGS", None)
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "-k", "gevent", "--bind",
                           "127.0.0.1:0", "app:app"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "gevent worker requires gevent 24.10.1 or newer (installed: 24.2.1)" in out
    assert "Listening at" not in out


def test_eventlet_import_warns_deprecation():
    proc = _run(textwrap.dedent("""
        import warnings
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            import gunicorn.workers.geventlet
        print([str(w.message) for w in seen if w.category is DeprecationWarning])
    """))
    assert proc.returncode == 0, proc.stderr
    assert "The eventlet worker is deprecated and will be removed in gunicorn 26.0" in proc.stdout


def test_worker_modules_do_not_patch_the_master():
    """Importing the worker classes (what the master does) patches nothing:
    monkey-patching happens in the worker process after fork."""
    proc = _run(textwrap.dedent("""
        import socket, sys, time
        from gunicorn.workers import ggevent, geventlet
        from gevent import monkey
        print(monkey.is_anything_patched(), socket.socket.__module__, time.sleep.__module__)
        print(ggevent.GeventWorker.serves_http2, geventlet.EventletWorker.serves_http2,
              ggevent.GeventPyWSGIWorker.serves_http2, "h2" in sys.modules)
    """))
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first == "False socket time"
    # gevent and eventlet serve HTTP/2 (ALPN offers h2), gevent_pywsgi does
    # not; the HTTP/2 layer (h2) is loaded in the worker only
    assert second == "True True False False"


def test_async_base_loads_no_thread_worker_and_no_greenlet():
    """The master imports ``base_async`` with the worker class: that import
    brings in neither the gthread worker's modules nor greenlet (every
    module the master loads is counted again in each forked worker)."""
    proc = _run(textwrap.dedent("""
        import sys
        import gunicorn.workers.base_async
        print(sorted(m for m in ("gunicorn.workers.gthread_http2", "gunicorn.workers.loop",
                                 "greenlet") if m in sys.modules))
    """))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
