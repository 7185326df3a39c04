"""BaseApplication / Application / WSGIApplication in-process: embedding, loading, run()."""

from __future__ import annotations

import os
import sys

import pytest

from gunicorn import debug, util
from gunicorn.app.base import Application, BaseApplication
from gunicorn.app.wsgiapp import WSGIApplication


def hello(environ, start_response):
    start_response("200 OK", [])
    return [b"hello"]


class FakeArbiter:
    """Stands in for gunicorn.arbiter.Arbiter: records the app and runs a callback."""

    instances: list[FakeArbiter] = []
    behaviour = None

    def __init__(self, app):
        self.app = app
        FakeArbiter.instances.append(self)

    def run(self):
        if FakeArbiter.behaviour is not None:
            FakeArbiter.behaviour(self)


@pytest.fixture
def fake_arbiter(monkeypatch):
    # run() starts gunicorn.app.base.Arbiter (imported at module level, as upstream)
    from gunicorn.app import base as app_base

    monkeypatch.setattr(app_base, "Arbiter", FakeArbiter)
    FakeArbiter.instances = []
    FakeArbiter.behaviour = None
    return FakeArbiter


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Restore cwd, sys.path and argv; start in an empty directory without GUNICORN_CMD_ARGS."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.setattr(sys, "argv", ["gunicorn"])
    return tmp_path


class Embedded(BaseApplication):
    """The documented custom-application pattern."""

    def __init__(self, app, options=None):
        self.options = options or {}
        self.application = app
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        return self.application


class TestEmbedding:
    def test_options_and_wsgi(self, fake_arbiter, isolated):
        app = Embedded(hello, {"bind": "127.0.0.1:9999", "workers": 3, "unknown": 1})
        assert app.cfg.bind == ["127.0.0.1:9999"]
        assert app.cfg.workers == 3
        assert app.wsgi() is hello
        assert app.callable is hello
        assert app.wsgi() is hello
        assert app.usage is None and app.prog is None and app.logger is None

    def test_argv_is_not_parsed(self, fake_arbiter, isolated, monkeypatch):
        monkeypatch.setattr(sys, "argv", ["prog", "--workers", "9", "--bogus-flag"])
        assert Embedded(hello).cfg.workers == 1

    def test_run_uses_arbiter(self, fake_arbiter, isolated):
        app = Embedded(hello)
        app.run()
        assert [a.app for a in fake_arbiter.instances] == [app]

    def test_run_runtime_error_exits_1(self, fake_arbiter, isolated, capsys):
        def boom(arbiter):
            raise RuntimeError("worker class not found")

        fake_arbiter.behaviour = boom
        with pytest.raises(SystemExit) as exc:
            Embedded(hello).run()
        assert exc.value.code == 1
        assert "Error: worker class not found" in capsys.readouterr().err

    def test_bad_option_exits_1(self, isolated, capsys):
        with pytest.raises(SystemExit) as exc:
            Embedded(hello, {"workers": "lots"})
        assert exc.value.code == 1
        assert "\nError: " in capsys.readouterr().err

    def test_reload_reapplies_config(self, isolated, monkeypatch):
        app = Embedded(hello, {"workers": 2})
        app.options["workers"] = 5
        app.options["spew"] = True
        calls = []
        monkeypatch.setattr(debug, "spew", lambda: calls.append(1))
        app.reload()
        assert app.cfg.workers == 5
        assert calls == [1]

    def test_abstract_methods(self):
        base = BaseApplication.__new__(BaseApplication)
        for name, args in (("init", (None, None, None)), ("load", ()), ("load_config", ())):
            with pytest.raises(NotImplementedError):
                getattr(base, name)(*args)


class InitDefaults(Application):
    """An Application whose init() supplies defaults (weaker than every other source)."""

    def init(self, parser, opts, args):
        return {"WORKERS": 7, "backlog": 99, "proc_name": "from-init"}

    def load(self):
        return hello


class TestApplication:
    def test_init_dict_is_weakest(self, isolated, monkeypatch):
        (isolated / "gunicorn.conf.py").write_text("backlog = 50\n")
        monkeypatch.setenv("GUNICORN_CMD_ARGS", "--name from-env")
        app = InitDefaults()
        assert app.cfg.workers == 7
        assert app.cfg.backlog == 50
        assert app.cfg.proc_name == "from-env"
        monkeypatch.setattr(sys, "argv", ["gunicorn", "-w", "2"])
        assert InitDefaults().cfg.workers == 2

    def test_chdir_inserts_sys_path(self, isolated, monkeypatch):
        sub = isolated / "sub"
        sub.mkdir()
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--chdir", str(sub)])
        InitDefaults()
        assert os.getcwd() == str(sub)
        assert sys.path[0] == str(sub)

    def test_config_from_module_name(self, isolated, monkeypatch):
        (isolated / "my_gconf_mod.py").write_text("workers = 4\n")
        monkeypatch.syspath_prepend(str(isolated))
        app = InitDefaults()
        namespace = app.load_config_from_module_name_or_filename("python:my_gconf_mod")
        assert namespace["workers"] == 4 and app.cfg.workers == 4
        sys.modules.pop("my_gconf_mod", None)

    def test_config_file_runs_as___config__(self, isolated):
        (isolated / "c.py").write_text("workers = 3\nNAME = __name__\n")
        app = InitDefaults()
        namespace = app.load_config_from_file(str(isolated / "c.py"))
        assert namespace["NAME"] == "__config__"
        assert app.cfg.workers == 3

    def test_print_config_exits_0(self, isolated, monkeypatch, capsys, fake_arbiter):
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--print-config"])
        app = InitDefaults()
        with pytest.raises(SystemExit) as exc:
            app.run()
        assert exc.value.code == 0
        assert "workers" in capsys.readouterr().out
        assert fake_arbiter.instances == []

    def test_daemon_with_notify_socket_warns(self, isolated, monkeypatch, capsys, fake_arbiter):
        calls = []
        monkeypatch.setattr(util, "daemonize", lambda inherit: calls.append(inherit))
        monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
        monkeypatch.setattr(sys, "argv", ["gunicorn", "-D", "-R"])
        InitDefaults().run()
        assert calls == [True]
        assert "daemon = True" in capsys.readouterr().err
        assert len(fake_arbiter.instances) == 1

    def test_spew_installed_on_run(self, isolated, monkeypatch, fake_arbiter):
        calls = []
        monkeypatch.setattr(debug, "spew", lambda: calls.append(1))
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--spew"])
        InitDefaults().run()
        assert calls == [1]

    def test_pythonpath_applied_before_serving(self, isolated, monkeypatch, fake_arbiter):
        lib = isolated / "lib"
        lib.mkdir()
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--pythonpath", "lib, other"])
        InitDefaults().run()
        assert str(lib) in sys.path and str(isolated / "other") in sys.path


class TestWSGIApplication:
    def test_app_uri_and_proc_name(self, isolated, monkeypatch):
        (isolated / "wapp_mod1.py").write_text("def app(e, s):\n    return [b'x']\n")
        monkeypatch.setattr(sys, "argv", ["gunicorn", "wapp_mod1:app"])
        app = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn")
        assert app.app_uri == "wapp_mod1:app"
        assert app.cfg.default_proc_name == "wapp_mod1:app"
        assert app.wsgi()({}, None) == [b"x"]
        sys.modules.pop("wapp_mod1", None)

    def test_wsgi_app_setting(self, isolated, monkeypatch):
        (isolated / "gunicorn.conf.py").write_text("wsgi_app = 'x:y'\n")
        assert WSGIApplication().app_uri == "x:y"

    def test_no_app(self, isolated, capsys):
        with pytest.raises(SystemExit) as exc:
            WSGIApplication()
        assert exc.value.code == 1
        assert "No application module specified." in capsys.readouterr().err

    def test_paste(self, isolated, monkeypatch):
        pytest.importorskip("paste.deploy")
        (isolated / "pasteapp_mod.py").write_text(
            "def make_app(global_conf, **local):\n"
            "    def app(environ, start_response):\n"
            "        return [repr(sorted(global_conf.items())).encode()]\n"
            "    return app\n")
        (isolated / "app.ini").write_text(
            "[app:main]\npaste.app_factory = pasteapp_mod:make_app\n\n"
            "[loggers]\nkeys = root\n")
        monkeypatch.syspath_prepend(str(isolated))
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--paste", "app.ini",
                                          "--paste-global", "FOO=bar"])
        app = WSGIApplication()
        assert app.cfg.default_proc_name == str(isolated / "app.ini")
        assert app.cfg.logconfig == str(isolated / "app.ini")
        body = app.wsgi()({}, None)[0]
        assert b"('FOO', 'bar')" in body
        sys.modules.pop("pasteapp_mod", None)

    def test_paste_missing_file(self, isolated, monkeypatch, capsys):
        monkeypatch.setattr(sys, "argv", ["gunicorn", "--paste", "nope.ini"])
        with pytest.raises(SystemExit):
            WSGIApplication()
        assert "not found" in capsys.readouterr().err


def test_paste_serve_runner(isolated, fake_arbiter):
    from gunicorn.app.pasterapp import serve

    (isolated / "server.ini").write_text("[server:main]\nuse = egg:gunicorn#main\n")
    seen = []
    fake_arbiter.behaviour = lambda arb: seen.append(arb.app)
    serve(hello, {"__file__": str(isolated / "server.ini")}, host="127.0.0.1", port="9123",
          workers="3")
    app = seen[0]
    assert app.cfg.bind == ["127.0.0.1:9123"]
    assert app.cfg.workers == 3
    assert app.cfg.default_proc_name == str(isolated / "server.ini")
    assert app.wsgi() is hello


def test_spew_traces_lines(capsys):
    def traced():
        x = 1
        return x + 1

    debug.spew(trace_names=[__name__], show_values=True)
    try:
        traced()
    finally:
        debug.unspew()
    out = capsys.readouterr().out
    assert "x = 1" in out and "return x + 1" in out
    assert "\tx: 1" in out
