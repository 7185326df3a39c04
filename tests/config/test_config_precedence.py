"""Precedence of configuration sources, checked through ``--print-config`` subprocesses.

Strongest first: command line > GUNICORN_CMD_ARGS > config file > defaults.
"""

from __future__ import annotations

import itertools

import pytest

from tests.config.cli_helpers import APP_SOURCE, run_gunicorn

SOURCES = ("file", "env", "cli")
# Two settings of different shapes: an int and a store_true flag.
VALUES = {"file": "2", "env": "3", "cli": "4"}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP_SOURCE)
    return tmp_path


def _run(project, present, extra_file="", extra_env="", extra_cli=()):
    cfgfile = project / "conf_file.py"
    cfgfile.write_text("workers = %s\n%s" % (VALUES["file"], extra_file))
    args = ["--print-config"]
    env = {}
    if "file" in present:
        args += ["-c", str(cfgfile)]
    if "env" in present:
        env["GUNICORN_CMD_ARGS"] = ("--workers %s " % VALUES["env"]) + extra_env
    if "cli" in present:
        args += ["--workers", VALUES["cli"], *extra_cli]
    args.append("app:app")
    result = run_gunicorn(*args, cwd=str(project), env=env)
    assert result.returncode == 0, result.stderr
    return result.config


@pytest.mark.parametrize("present", [
    combo for n in range(len(SOURCES) + 1) for combo in itertools.combinations(SOURCES, n)
], ids=lambda c: "+".join(c) or "defaults")
def test_workers_matrix(project, present):
    config = _run(project, present)
    expected = VALUES[present[-1]] if present else "1"
    assert config["workers"] == expected


@pytest.mark.parametrize("present", [
    combo for n in range(len(SOURCES) + 1) for combo in itertools.combinations(SOURCES, n)
], ids=lambda c: "+".join(c) or "defaults")
def test_string_setting_matrix(project, present):
    """The same precedence for a string setting, each source naming its own value."""
    config = _run(project, present, extra_file="proc_name = 'from-file'\n",
                  extra_env="--name from-env", extra_cli=("--name", "from-cli"))
    expected = {"file": "from-file", "env": "from-env", "cli": "from-cli"}
    assert config["proc_name"] == (expected[present[-1]] if present else "None")


def test_sources_merge_setting_by_setting(project):
    (project / "conf_file.py").write_text("")
    cfg = project / "c.py"
    cfg.write_text("workers = 2\nbacklog = 10\nkeepalive = 9\n")
    result = run_gunicorn("--print-config", "-c", str(cfg), "--backlog", "11", "app:app",
                          cwd=str(project), env={"GUNICORN_CMD_ARGS": "--keep-alive 12 -t 5"})
    assert result.returncode == 0, result.stderr
    values = result.config
    assert values["workers"] == "2"      # file only
    assert values["backlog"] == "11"     # cli beats file
    assert values["keepalive"] == "12"   # env beats file
    assert values["timeout"] == "5"      # env only


def test_default_config_file_in_cwd(project):
    (project / "gunicorn.conf.py").write_text("workers = 6\n")
    assert run_gunicorn("--print-config", "app:app", cwd=str(project)).config["workers"] == "6"


def test_explicit_config_replaces_default_file(project):
    (project / "gunicorn.conf.py").write_text("workers = 6\nbacklog = 7\n")
    (project / "other.py").write_text("workers = 8\n")
    config = run_gunicorn("--print-config", "-c", "other.py", "app:app", cwd=str(project)).config
    assert config["workers"] == "8"
    assert config["backlog"] == "2048"


def test_config_named_in_env(project):
    (project / "gunicorn.conf.py").write_text("workers = 6\n")
    (project / "env_conf.py").write_text("workers = 9\n")
    (project / "cli_conf.py").write_text("workers = 10\n")
    env = {"GUNICORN_CMD_ARGS": "-c env_conf.py"}
    assert run_gunicorn("--print-config", "app:app", cwd=str(project),
                        env=env).config["workers"] == "9"
    assert run_gunicorn("--print-config", "-c", "cli_conf.py", "app:app", cwd=str(project),
                        env=env).config["workers"] == "10"


def test_config_file_may_not_name_another_config(project):
    (project / "c.py").write_text("config = 'elsewhere.py'\nworkers = 3\n")
    config = run_gunicorn("--print-config", "-c", "c.py", "app:app", cwd=str(project)).config
    assert config["workers"] == "3"


def test_append_settings_from_cli_replace_file(project):
    (project / "c.py").write_text("bind = ['127.0.0.1:1', '127.0.0.1:2']\n")
    config = run_gunicorn("--print-config", "-c", "c.py", "-b", "127.0.0.1:3", "-b", "unix:/tmp/x",
                          "app:app", cwd=str(project)).config
    assert config["bind"] == "['127.0.0.1:3', 'unix:/tmp/x']"


def test_environment_defaults(project):
    config = run_gunicorn("--print-config", "app:app", cwd=str(project), env={
        "PORT": "5005", "WEB_CONCURRENCY": "5", "FORWARDED_ALLOW_IPS": "10.0.0.1,10.0.0.0/24",
    }).config
    assert config["bind"] == "['0.0.0.0:5005']"
    assert config["workers"] == "5"
    assert config["forwarded_allow_ips"] == "['10.0.0.1', '10.0.0.0/24']"
    # and the command line still wins over them
    config = run_gunicorn("--print-config", "-w", "2", "-b", ":1", "app:app", cwd=str(project),
                          env={"PORT": "5005", "WEB_CONCURRENCY": "5"}).config
    assert (config["workers"], config["bind"]) == ("2", "[':1']")


def test_wsgi_app_from_config_file(project):
    (project / "gunicorn.conf.py").write_text("wsgi_app = 'app:app'\n")
    result = run_gunicorn("--check-config", cwd=str(project))
    assert result.returncode == 0, result.stderr
    # a positional APP_MODULE wins over wsgi_app
    result = run_gunicorn("--check-config", "nosuchmodule:app", cwd=str(project))
    assert result.returncode == 1
