"""Command-line behaviour of configuration loading (subprocesses, no arbiter needed)."""

from __future__ import annotations

import re

import pytest

from tests.config.cli_helpers import APP_SOURCE, run_gunicorn


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP_SOURCE)
    return tmp_path


def test_version(project):
    for flag in ("--version", "-v"):
        result = run_gunicorn(flag, cwd=str(project))
        assert result.returncode == 0
        assert result.stdout.strip() == "gunicorn (version 25.0.3)"


def test_help_lists_flags(project):
    result = run_gunicorn("--help", cwd=str(project))
    assert result.returncode == 0
    assert result.stdout.startswith("usage: gunicorn [OPTIONS] [APP_MODULE]")
    for flag in ("--bind", "--workers", "--worker-class", "--limit-request-field_size",
                 "--http2-cleartext", "--no-control-socket", "--dirty-workers"):
        assert flag in result.stdout


def test_no_application(project):
    result = run_gunicorn(cwd=str(project))
    assert result.returncode == 1
    assert "\nError: No application module specified." in result.stderr


def test_print_config_shape(project):
    result = run_gunicorn("--print-config", "app:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 120
    keys = [line.split(" = ", 1)[0].rstrip() for line in lines]
    assert keys == sorted(keys)
    assert len({line.index(" = ") for line in lines}) == 1
    config = result.config
    assert config["print_config"] == "True"
    assert config["default_proc_name"] == "app:app"
    assert config["bind"] == "['127.0.0.1:8000']"
    assert re.fullmatch(r"<\w+\.on_starting\(\)>", config["on_starting"])


def test_check_config_ok(project):
    result = run_gunicorn("--check-config", "app:app", cwd=str(project))
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("app_uri, message", [
    ("nosuchmodule:app", "No module named 'nosuchmodule'"),
    ("app:missing", "Failed to find attribute 'missing' in 'app'."),
    ("app:app(", "Failed to parse"),
    ("app.py", "did you mean 'app:application'?"),
    ("app:NOT_CALLABLE", "Application object must be callable."),
    ("app:none_app", "Failed to find application object"),
    ("app:factory(1, 2, 3)", "TypeError: factory() takes"),
])
def test_check_config_bad_app(project, app_uri, message):
    (project / "app.py").write_text(APP_SOURCE + "NOT_CALLABLE = 3\nnone_app = None\n"
                                    "def factory():\n    return application\n")
    result = run_gunicorn("--check-config", app_uri, cwd=str(project))
    assert result.returncode == 1
    assert "Error while loading the application" in result.stderr
    assert message in result.stderr


def test_check_config_factory_error_inside_keeps_traceback(project):
    (project / "app.py").write_text("def factory():\n    return len(1)\n")
    result = run_gunicorn("--check-config", "app:factory()", cwd=str(project))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "len(1)" in result.stderr


def test_check_config_bad_config_file(project):
    (project / "bad.py").write_text("raise ValueError('boom')\n")
    result = run_gunicorn("--check-config", "-c", "bad.py", "app:app", cwd=str(project))
    assert result.returncode == 1
    assert "Failed to read config file: bad.py" in result.stderr
    assert "ValueError: boom" in result.stderr


def test_missing_config_file(project):
    result = run_gunicorn("--check-config", "-c", "missing.py", "app:app", cwd=str(project))
    assert result.returncode == 1
    assert "Error: 'missing.py' doesn't exist" in result.stderr


@pytest.mark.parametrize("source, name", [
    ("workers = 'many'\n", "workers"),
    ("bind = 5\n", "bind"),
    ("forwarded_allow_ips = '10.0.0.1/8'\n", "forwarded_allow_ips"),
    ("header_map = 'keep'\n", "header_map"),
    ("http2_max_frame_size = 10\n", "http2_max_frame_size"),
    ("user = 'no-such-user-xyz'\n", "user"),
])
def test_invalid_value_in_config_file(project, source, name):
    (project / "c.py").write_text(source)
    result = run_gunicorn("--check-config", "-c", "c.py", "app:app", cwd=str(project))
    assert result.returncode == 1
    assert "Invalid value for %s: " % name in result.stderr
    assert "\nError: " in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--reload-engine", "watchman"], "Error: Invalid reload_engine: 'watchman'"),
    (["--chdir", "/no/such/dir"], "Error: can't chdir to '/no/such/dir'"),
    (["--http-protocols", "h1,h1"], "Error: Duplicate HTTP protocol"),
    (["-u", "no-such-user-xyz"], "Error: No such user: 'no-such-user-xyz'"),
])
def test_invalid_value_on_cli(project, args, message):
    result = run_gunicorn("--check-config", *args, "app:app", cwd=str(project))
    assert result.returncode == 1
    assert message in result.stderr


def test_argparse_type_error(project):
    result = run_gunicorn("--check-config", "-w", "many", "app:app", cwd=str(project))
    assert result.returncode == 2
    assert "invalid int value" in result.stderr


def test_python_module_config(project):
    pkg = project / "settings_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "gconf.py").write_text("workers = 5\nproc_name = 'from-module'\n")
    config = run_gunicorn("--print-config", "-c", "python:settings_pkg.gconf", "app:app",
                          cwd=str(project)).config
    assert (config["workers"], config["proc_name"]) == ("5", "from-module")


def test_file_prefix_and_non_py_extension(project):
    (project / "conf.txt").write_text("workers = 4\n")
    result = run_gunicorn("--print-config", "-c", "file:conf.txt", "app:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    assert result.config["workers"] == "4"
    assert "valid Python extension" in result.stderr


def test_unknown_globals_ignored(project):
    (project / "c.py").write_text("import os\nsomething_else = 1\nworkers = 2\n")
    result = run_gunicorn("--print-config", "-c", "c.py", "app:app", cwd=str(project))
    assert result.returncode == 0 and result.config["workers"] == "2"


def test_chdir_then_default_config_and_app(project):
    sub = project / "site"
    sub.mkdir()
    (sub / "siteapp.py").write_text(APP_SOURCE)
    (sub / "gunicorn.conf.py").write_text("chdir = %r\nworkers = 3\n" % str(sub))
    # chdir from the CLI is applied after the config file, so the app is found there.
    result = run_gunicorn("--check-config", "--chdir", str(sub), "siteapp:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    # A config file in the starting directory that changes chdir also works.
    (project / "gunicorn.conf.py").write_text("chdir = %r\n" % str(sub))
    result = run_gunicorn("--print-config", "siteapp:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    assert result.config["chdir"] == str(sub)


def test_pythonpath(project):
    lib = project / "lib"
    lib.mkdir()
    (lib / "libapp.py").write_text(APP_SOURCE)
    other = project / "other"
    other.mkdir()
    (other / "otherapp.py").write_text(APP_SOURCE)
    result = run_gunicorn("--check-config", "--pythonpath", "%s,%s" % (lib, other), "libapp:app",
                          cwd=str(project))
    assert result.returncode == 0, result.stderr
    result = run_gunicorn("--check-config", "--pythonpath", str(lib), "otherapp:app",
                          cwd=str(project))
    assert result.returncode == 1


def test_raw_env_visible_to_app_at_check(project):
    (project / "envapp.py").write_text(
        "import os\nassert os.environ['MY_FLAG'] == 'a=b'\n" + APP_SOURCE)
    result = run_gunicorn("--check-config", "-e", "MY_FLAG=a=b", "envapp:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    result = run_gunicorn("--check-config", "envapp:app", cwd=str(project))
    assert result.returncode == 1


def test_bad_raw_env(project):
    result = run_gunicorn("--check-config", "-e", "NOEQUALS", "app:app", cwd=str(project))
    assert result.returncode == 1
    assert "NOEQUALS" in result.stderr


def test_hook_arity_checked(project):
    (project / "c.py").write_text("def on_starting():\n    pass\n")
    result = run_gunicorn("--check-config", "-c", "c.py", "app:app", cwd=str(project))
    assert result.returncode == 1
    assert "Invalid value for on_starting" in result.stderr
    assert "Error: Value must have an arity of: 1" in result.stderr


def test_hooks_accepted(project):
    (project / "c.py").write_text(
        "def on_starting(server): pass\n"
        "def post_request(worker, req): pass\n"
        "def nworkers_changed(server, new, old=None): pass\n"
        "pre_fork = 'os.path.samefile'\n")
    result = run_gunicorn("--print-config", "-c", "c.py", "app:app", cwd=str(project))
    assert result.returncode == 0, result.stderr
    config = result.config
    assert config["on_starting"] == "<on_starting()>"
    assert config["pre_fork"] == "<samefile()>"


def test_dirty_settings_warn_once(project):
    (project / "c.py").write_text(
        "dirty_workers = 2\ndirty_apps = ['x:Y']\n"
        "def on_dirty_starting(arbiter): pass\n")
    result = run_gunicorn("--print-config", "-c", "c.py", "--dirty-workers", "3", "app:app",
                          cwd=str(project))
    assert result.returncode == 0, result.stderr
    assert result.config["dirty_workers"] == "3"
    warnings = [line for line in result.stderr.splitlines() if "not supported" in line]
    assert len(warnings) == 3
    assert sum("'dirty_workers'" in w for w in warnings) == 1
    # defaults alone are silent
    assert "not supported" not in run_gunicorn("--print-config", "app:app",
                                               cwd=str(project)).stderr


def test_later_settings_accepted(project):
    (project / "c.py").write_text(
        "http_parser = 'python'\nhttp2_cleartext = 'both'\nwebsocket_max_message_size = 1024\n"
        "control_socket = '/tmp/x.ctl'\ncontrol_socket_mode = 0o660\n"
        "control_socket_disable = True\n")
    config = run_gunicorn("--print-config", "-c", "c.py", "--http-parser", "fast", "app:app",
                          cwd=str(project)).config
    assert config["http_parser"] == "fast"
    assert config["http2_cleartext"] == "both"
    assert config["websocket_max_message_size"] == "1024"
    assert config["control_socket_mode"] == str(0o660)
    assert config["control_socket_disable"] == "True"


def test_fast_parser_fallback_warning(project):
    result = run_gunicorn("--print-config", "--http-parser", "fast", "app:app", cwd=str(project))
    assert result.returncode == 0
    assert result.config["http_parser"] == "fast"
    assert result.stderr.count("no accelerated parser") == 1


def test_umask_octal_on_cli(project):
    config = run_gunicorn("--print-config", "-m", "027", "app:app", cwd=str(project)).config
    assert config["umask"] == str(0o27)


def test_proxy_protocol_flag_forms(project):
    def value(*args):
        # nargs="?": the flag must not be followed by the positional APP_MODULE
        return run_gunicorn("--print-config", "app:app", *args, cwd=str(project)).config[
            "proxy_protocol"]

    assert value() == "off"
    assert value("--proxy-protocol") == "auto"
    assert value("--proxy-protocol", "v2") == "v2"


