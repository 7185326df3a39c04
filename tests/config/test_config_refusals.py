"""Settings this release recognises but cannot honour yet are refused at start.

``--protocol uwsgi`` with a worker that runs an HTTP server of its own
(tornado, gevent_pywsgi) stops the server before it binds, with one clear
``Error:`` line, no traceback, and exit status 1: the status of any other bad
configuration, such as a worker class that does not exist.  The other
workers serve uWSGI (tests/uwsgi).  Every gunicorn
25.0 built-in worker class is available; the refusal of a built-in worker
whose module is missing (a trimmed installation) is checked in-process.
Real ``python -m gunicorn`` processes; each is always stopped.
"""

from __future__ import annotations

import os

import pytest

from gunicorn import workers
from gunicorn.app.base import BaseApplication
from gunicorn.errors import ConfigError
from tests.config.cli_helpers import APP_SOURCE
from tests.support.client import parse_response_head, raw_request
from tests.support.server import run_server

UWSGI_REFUSAL = "Error: protocol 'uwsgi' is not supported by the worker class"
# workers whose HTTP server is tornado's or gevent's own
NO_UWSGI = ["tornado", "gevent_pywsgi"]
BUILT_IN = ["sync", "gthread", "gevent", "gevent_wsgi", "gevent_pywsgi", "eventlet", "tornado",
            "asgi"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP_SOURCE)
    return tmp_path


def _run_to_exit(*args: str, cwd: str, env: dict[str, str] | None = None,
                 timeout: float = 30) -> tuple[int, str]:
    """Start gunicorn and wait for it to exit by itself; (status, output).

    A server that starts instead of refusing would run until the timeout:
    the test then fails, and the server is stopped by run_server.
    """
    with run_server(*args, cwd=cwd, env=env, wait_ready=False) as srv:
        status = srv.proc.wait(timeout=timeout)
        # the pump thread may still be copying the last lines
        srv._reader.join(timeout=10)
        return status, srv.output()


def _assert_refused(status: int, output: str, message: str) -> None:
    assert status == 1, output
    assert message in output, output
    assert "Traceback" not in output, output
    assert "Listening at" not in output and "Booting worker" not in output, output
    # one line says it all
    assert len([line for line in output.splitlines() if line.startswith("Error:")]) == 1


# -- --protocol uwsgi ----------------------------------------------------------------


@pytest.mark.parametrize("worker", NO_UWSGI)
def test_protocol_uwsgi_refused_on_the_command_line(project, worker):
    status, output = _run_to_exit("--worker-class", worker, "--protocol", "uwsgi", "app:app",
                                  cwd=str(project))
    _assert_refused(status, output, UWSGI_REFUSAL)
    assert "use sync, gthread, gevent, eventlet or asgi" in output


@pytest.mark.parametrize("worker", NO_UWSGI)
def test_protocol_uwsgi_refused_in_a_config_file(project, worker):
    (project / "gunicorn.conf.py").write_text('protocol = "uwsgi"\nworker_class = %r\n' % worker)
    status, output = _run_to_exit("app:app", cwd=str(project))
    _assert_refused(status, output, UWSGI_REFUSAL)


def test_protocol_uwsgi_refused_from_gunicorn_cmd_args(project):
    status, output = _run_to_exit("app:app", cwd=str(project),
                                  env={"GUNICORN_CMD_ARGS": "--protocol uwsgi -k tornado"})
    _assert_refused(status, output, UWSGI_REFUSAL)


@pytest.mark.parametrize("worker", NO_UWSGI)
def test_protocol_uwsgi_refused_by_check_config(project, worker):
    status, output = _run_to_exit("--worker-class", worker, "--check-config", "--protocol",
                                  "uwsgi", "app:app", cwd=str(project))
    _assert_refused(status, output, UWSGI_REFUSAL)


@pytest.mark.parametrize("worker", ["sync", "gthread", "gevent", "eventlet", "asgi"])
def test_protocol_uwsgi_accepted_by_check_config(project, worker):
    status, output = _run_to_exit("--worker-class", worker, "--check-config", "--protocol",
                                  "uwsgi", "app:app", cwd=str(project))
    assert (status, output) == (0, "")


def test_protocol_http_still_checks_ok(project):
    status, output = _run_to_exit("--check-config", "--protocol", "http", "app:app",
                                  cwd=str(project))
    assert status == 0, output
    assert output == ""


def test_command_line_protocol_http_beats_a_uwsgi_config_file(project):
    (project / "gunicorn.conf.py").write_text('protocol = "uwsgi"\nworker_class = "tornado"\n')
    status, output = _run_to_exit("--check-config", "--protocol", "http", "app:app",
                                  cwd=str(project))
    assert (status, output) == (0, "")


def test_bad_worker_class_has_the_same_exit_status(project):
    """The status every refusal above uses is the one of a bad worker class."""
    status, output = _run_to_exit("-k", "no_such_module.NoWorker", "app:app", cwd=str(project))
    assert status == 1, output
    assert "Error: class uri 'no_such_module.NoWorker' invalid or not found" in output
    assert "Listening at" not in output and "Booting worker" not in output


# -- a built-in worker whose module is missing ------------------------------------------


@pytest.fixture
def without_tornado(monkeypatch):
    """Pretend the tornado worker module is not installed (a trimmed package)."""
    present = workers._module_present
    monkeypatch.setattr(workers, "_module_present",
                        lambda module: module != "gunicorn.workers.gtornado" and present(module))


@pytest.mark.parametrize("uri", ["tornado", "gunicorn.workers.gtornado.TornadoWorker",
                                 "egg:gunicorn#tornado"])
def test_missing_built_in_worker_refused_with_the_available_ones(without_tornado, uri):
    from gunicorn import util

    with pytest.raises(util.WorkerNotAvailable) as exc:
        util.load_class(uri)
    message = str(exc.value)
    assert "not available in this release" in message
    assert ("Available: sync, gthread, gevent, gevent_wsgi, gevent_pywsgi, eventlet, asgi, "
            "or an installed third-party worker class") in message
    assert "tornado" in message.split("Available")[0]


def test_every_built_in_worker_is_available():
    from gunicorn import util
    from gunicorn.workers.base import Worker

    assert workers.available_workers() == BUILT_IN
    assert workers.coming_workers() == []
    for short in BUILT_IN:
        assert workers.unavailable_worker_message(short) is None
        assert issubclass(util.load_class(short), Worker)
    # a loggers lookup is not a worker lookup
    with pytest.raises(RuntimeError, match="class uri"):
        util.load_class("gevent", section="gunicorn.loggers")


APPS_WORKER = '''\
from gunicorn.workers.sync import SyncWorker


class TaggedWorker(SyncWorker):
    """A third-party worker class: the sync worker under another name."""
'''


def test_installed_third_party_worker_class_runs(project):
    (project / "thirdparty_worker.py").write_text(APPS_WORKER)
    env = {"PYTHONPATH": str(project) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with run_server("-k", "thirdparty_worker.TaggedWorker", "app:app", cwd=str(project),
                    env=env) as srv:
        assert "Using worker: thirdparty_worker.TaggedWorker" in srv.output()
        reply = raw_request(srv.host, srv.port, b"GET / HTTP/1.0\r\n\r\n")
        status, _, _, body = parse_response_head(reply)
        assert (status, body) == (200, b"ok")


# -- the same refusals for embedding applications (no argv) ---------------------------


class Embedded(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        raise AssertionError("never loaded: the server must not start")


@pytest.mark.parametrize("options, message", [
    ({"protocol": "uwsgi", "worker_class": "tornado"},
     "protocol 'uwsgi' is not supported by the worker class 'tornado'"),
])
def test_embedding_application_refused(options, message, capsys):
    with pytest.raises(SystemExit) as exc:
        Embedded(options)
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "Error: " + message in err and "Traceback" not in err


def test_setting_changed_after_validation_is_refused_by_the_arbiter(capsys, monkeypatch):
    """An embedder that changes cfg after construction still gets the refusal
    (Arbiter.setup checks again) before anything is bound."""
    monkeypatch.setenv("SERVER_SOFTWARE", "x")  # the arbiter exports its own
    app = Embedded({"bind": "127.0.0.1:0", "worker_class": "tornado"})
    app.cfg.set("protocol", "uwsgi")
    with pytest.raises(SystemExit) as exc:
        app.run()
    assert exc.value.code == 1
    assert "Error: protocol 'uwsgi' is not supported" in capsys.readouterr().err


def test_check_supported_unit():
    from gunicorn.config import Config

    cfg = Config()
    cfg.check_supported()
    cfg.set("protocol", "uwsgi")
    assert cfg.protocol == "uwsgi"
    cfg.check_supported()  # the sync worker serves it
    for worker_class in ["tornado", "gevent_pywsgi", "gevent_wsgi", "egg:gunicorn#tornado",
                         "gunicorn.workers.gtornado.TornadoWorker"]:
        cfg.set("worker_class", worker_class)
        with pytest.raises(ConfigError, match="not supported by the worker class"):
            cfg.check_supported()
        with pytest.raises(ConfigError):
            cfg.validate()
    cfg.set("protocol", "http")
    for worker_class in BUILT_IN + ["uvicorn_worker.UvicornWorker",
                                    "gunicorn.workers.sync.SyncWorker"]:
        cfg.set("worker_class", worker_class)
        cfg.check_supported()
