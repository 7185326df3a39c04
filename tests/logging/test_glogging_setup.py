"""Logger.setup: files, levels, handler replacement, logconfig*, reopen, capture_output."""

from __future__ import annotations

import datetime
import fcntl
import json
import logging
import os
import re
import stat
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from glogging_helpers import stand_in_cfg

from gunicorn import glogging
from gunicorn.glogging import CONFIG_DEFAULTS, SYSLOG_FACILITIES, Logger, loggers

ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(
    r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\] \[(\d+)\] \[([A-Z]+)\] (.*)$")


def resp() -> Any:
    return types.SimpleNamespace(status="200 OK", sent=5, headers=[])


def environ(path: str = "/") -> dict[str, str]:
    return {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path,
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}


RT = datetime.timedelta(milliseconds=3)


def gunicorn_handlers(log: logging.Logger) -> list[logging.Handler]:
    return [h for h in log.handlers if getattr(h, "_gunicorn", False)]


def test_class_attributes() -> None:
    assert Logger.LOG_LEVELS == {"critical": 50, "error": 40, "warning": 30, "info": 20,
                                 "debug": 10}
    assert Logger.loglevel == logging.INFO
    assert Logger.error_fmt == "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
    assert Logger.datefmt == "[%Y-%m-%d %H:%M:%S %z]"
    assert Logger.access_fmt == "%(message)s"
    assert Logger.syslog_fmt == "[%(process)d] %(message)s"
    assert Logger.atoms_wrapper_class is glogging.SafeAtoms
    assert SYSLOG_FACILITIES["local7"] == 23 and SYSLOG_FACILITIES["auth"] == 4
    assert len(SYSLOG_FACILITIES) == 21


def test_config_defaults_shape() -> None:
    assert CONFIG_DEFAULTS["version"] == 1
    assert CONFIG_DEFAULTS["root"] == {"level": "INFO", "handlers": ["console"]}
    assert CONFIG_DEFAULTS["loggers"]["gunicorn.error"]["handlers"] == ["error_console"]
    assert CONFIG_DEFAULTS["loggers"]["gunicorn.access"]["handlers"] == ["console"]
    assert CONFIG_DEFAULTS["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert CONFIG_DEFAULTS["handlers"]["error_console"]["stream"] == "ext://sys.stderr"
    generic = CONFIG_DEFAULTS["formatters"]["generic"]
    assert generic["format"] == Logger.error_fmt and generic["datefmt"] == Logger.datefmt


def test_instance_attributes() -> None:
    cfg = stand_in_cfg()
    log = Logger(cfg)
    assert log.cfg is cfg
    assert log.error_log is logging.getLogger("gunicorn.error")
    assert log.access_log is logging.getLogger("gunicorn.access")
    assert log.error_log.propagate is False and log.access_log.propagate is False
    assert log.access_log.level == logging.INFO
    assert log.logfile is None
    assert isinstance(log.error_handlers, list) and isinstance(log.access_handlers, list)
    with log.lock:
        pass
    assert log in [log] and loggers()


def test_error_log_to_file_with_level(tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    log = Logger(stand_in_cfg(errorlog=str(path), loglevel="debug"))
    log.debug("dbg %s", 1)
    log.info("inf")
    log.warning("warn")
    log.error("err")
    log.critical("crit")
    log.log("warning", "by name")
    log.log(logging.ERROR, "by number")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("caught")
    text = path.read_text()
    matches = [ERROR_LINE.match(line) for line in text.splitlines() if ERROR_LINE.match(line)]
    got = [(m.group(2), m.group(3)) for m in matches]
    assert got == [("DEBUG", "dbg 1"), ("INFO", "inf"), ("WARNING", "warn"), ("ERROR", "err"),
                   ("CRITICAL", "crit"), ("WARNING", "by name"), ("ERROR", "by number"),
                   ("ERROR", "caught")]
    assert matches[0].group(1) == str(os.getpid())
    assert "ValueError: boom" in text


def test_loglevel_filters(tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    log = Logger(stand_in_cfg(errorlog=str(path), loglevel="WARNING"))
    log.info("hidden")
    log.debug("hidden")
    log.warning("shown")
    assert "hidden" not in path.read_text()
    assert "shown" in path.read_text()


def test_error_log_dash_is_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    log = Logger(stand_in_cfg(accesslog="-"))
    log.info("to stderr")
    log.access(resp(), [], environ("/x"), RT)
    out, err = capsys.readouterr()
    assert "[INFO] to stderr" in err
    assert '"GET /x HTTP/1.1" 200 5' in out and "to stderr" not in out


def test_access_log_to_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = Logger(stand_in_cfg(accesslog=str(path), access_log_format="%(m)s %(U)s %(s)s"))
    log.access(resp(), [], environ("/a"), RT)
    log.access(resp(), [], environ("/b"), RT)
    assert path.read_text() == "GET /a 200\nGET /b 200\n"


def test_setup_again_replaces_handlers(tmp_path: Path) -> None:
    cfg = stand_in_cfg(errorlog=str(tmp_path / "e1.log"), accesslog=str(tmp_path / "a1.log"))
    log = Logger(cfg)
    foreign = logging.NullHandler()
    log.error_log.addHandler(foreign)
    assert len(gunicorn_handlers(log.error_log)) == 1
    assert len(gunicorn_handlers(log.access_log)) == 1
    first = gunicorn_handlers(log.error_log)[0]
    cfg2 = stand_in_cfg(errorlog=str(tmp_path / "e2.log"), accesslog=None)
    log.setup(cfg2)
    assert log.cfg is cfg2
    handlers = gunicorn_handlers(log.error_log)
    assert len(handlers) == 1 and handlers[0] is not first
    assert handlers[0].baseFilename == str(tmp_path / "e2.log")  # type: ignore[attr-defined]
    assert gunicorn_handlers(log.access_log) == []
    assert foreign in log.error_log.handlers
    assert first.stream is None  # type: ignore[attr-defined]  # old file closed
    log.info("second")
    assert "second" in (tmp_path / "e2.log").read_text()
    assert "second" not in (tmp_path / "e1.log").read_text()


def test_two_loggers_do_not_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "e.log"
    Logger(stand_in_cfg(errorlog=str(path)))
    log = Logger(stand_in_cfg(errorlog=str(path)))
    log.info("once")
    assert path.read_text().count("once") == 1


def test_unwritable_log_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="isn't writable"):
        Logger(stand_in_cfg(errorlog=str(tmp_path / "missing-dir" / "e.log")))
    with pytest.raises(RuntimeError, match="isn't writable"):
        Logger(stand_in_cfg(accesslog=str(tmp_path / "missing-dir" / "a.log")))


def test_log_files_chowned_to_configured_user(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, int]] = []
    monkeypatch.setattr(glogging.util, "chown", lambda p, u, g: calls.append((p, u, g)))
    Logger(stand_in_cfg(errorlog=str(tmp_path / "same.log")))
    assert calls == []
    uid, gid = os.geteuid() + 1000, os.getegid() + 1000
    Logger(stand_in_cfg(errorlog=str(tmp_path / "e.log"), accesslog=str(tmp_path / "a.log"),
                        user=uid, group=gid))
    assert sorted(calls) == sorted([(str(tmp_path / "e.log"), uid, gid),
                                    (str(tmp_path / "a.log"), uid, gid)])


def test_chown_errors_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(*args: Any) -> None:
        raise PermissionError("no")

    monkeypatch.setattr(glogging.util, "chown", deny)
    Logger(stand_in_cfg(errorlog=str(tmp_path / "e.log"), user=os.geteuid() + 1))


def test_reopen_files_after_rotation(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    error = tmp_path / "error.log"
    log = Logger(stand_in_cfg(accesslog=str(access), errorlog=str(error),
                              access_log_format="%(U)s"))
    log.access(resp(), [], environ("/before"), RT)
    log.info("before")
    os.rename(access, tmp_path / "access.log.1")
    os.rename(error, tmp_path / "error.log.1")
    log.access(resp(), [], environ("/still-old"), RT)
    log.reopen_files()
    log.access(resp(), [], environ("/after"), RT)
    log.info("after")
    assert (tmp_path / "access.log.1").read_text() == "/before\n/still-old\n"
    assert access.read_text() == "/after\n"
    assert "before" in (tmp_path / "error.log.1").read_text()
    assert "after" in error.read_text() and "before" not in error.read_text()


def test_reopen_files_covers_logconfig_handlers(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    cfg = stand_in_cfg(logconfig_dict={
        "handlers": {"app": {"class": "logging.FileHandler", "filename": str(path),
                             "formatter": "generic"}},
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"myapp": {"level": "INFO", "handlers": ["app"], "propagate": False}},
    })
    log = Logger(cfg)
    logging.getLogger("myapp").info("one")
    os.rename(path, tmp_path / "app.log.1")
    log.reopen_files()
    logging.getLogger("myapp").info("two")
    assert "one" in (tmp_path / "app.log.1").read_text()
    assert "two" in path.read_text()


def test_close_on_exec(tmp_path: Path) -> None:
    log = Logger(stand_in_cfg(errorlog=str(tmp_path / "e.log")))
    handler = gunicorn_handlers(log.error_log)[0]
    fd = handler.stream.fileno()  # type: ignore[attr-defined]
    fcntl.fcntl(fd, fcntl.F_SETFD, 0)
    log.close_on_exec()
    assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC


# -- logconfig_dict / logconfig_json / logconfig (ini) -------------------------------


def test_logconfig_dict_merged_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "dict.log"
    cfg = stand_in_cfg(logconfig_dict={
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "generic"}},
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": {"level": "DEBUG", "handlers": ["file"],
                                       "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": ["file"],
                                        "propagate": False}},
    })
    log = Logger(cfg)
    log.debug("dict debug")
    log.access(resp(), [], environ("/dict"), RT)
    text = path.read_text()
    # "generic" formatter comes from CONFIG_DEFAULTS
    assert re.search(r"\[\d+\] \[DEBUG\] dict debug", text)
    assert '"GET /dict HTTP/1.1" 200 5' in text


@pytest.mark.parametrize("bad", [
    {"handlers": {"x": {"class": "no.such.Handler"}}},
    {"root": {"level": "NOT-A-LEVEL"}},
    {"formatters": {"f": {"class": "logging.NoSuchFormatter"}}},
])
def test_logconfig_dict_errors(bad: dict[str, Any]) -> None:
    # shallow merge: a "handlers" key replaces the defaults the root refers to

    with pytest.raises(RuntimeError):
        Logger(stand_in_cfg(logconfig_dict=bad))


def test_logconfig_json(tmp_path: Path) -> None:
    path = tmp_path / "json.log"
    conf = tmp_path / "log.json"
    conf.write_text(json.dumps({
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "generic"}},
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["file"],
                                       "propagate": False}},
    }))
    log = Logger(stand_in_cfg(logconfig_json=str(conf)))
    log.info("from json")
    assert "[INFO] from json" in path.read_text()


@pytest.mark.parametrize("content,match", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"handlers": {"x": {"class": "no.such.Handler"}}}', "handler"),
])
def test_logconfig_json_errors(tmp_path: Path, content: str, match: str) -> None:
    conf = tmp_path / "log.json"
    conf.write_text(content)
    with pytest.raises(RuntimeError, match=match):
        Logger(stand_in_cfg(logconfig_json=str(conf)))


def test_logconfig_json_missing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not found"):
        Logger(stand_in_cfg(logconfig_json=str(tmp_path / "nope.json")))


def test_logconfig_dict_beats_json_and_ini(tmp_path: Path) -> None:
    # the json/ini paths do not exist: they would raise if they were used
    Logger(stand_in_cfg(logconfig_dict={"root": {"level": "INFO"}},
                        logconfig_json=str(tmp_path / "nope.json"),
                        logconfig=str(tmp_path / "nope.ini")))


INI = """\
[loggers]
keys=root, gunicorn.error

[handlers]
keys=file

[formatters]
keys=plain

[logger_root]
level=INFO
handlers=

[logger_gunicorn.error]
level=INFO
handlers=file
propagate=0
qualname=gunicorn.error

[handler_file]
class=logging.FileHandler
formatter=plain
args=('%(here)s/ini.log', 'a')

[formatter_plain]
format=INI %(levelname)s %(message)s
"""


def test_logconfig_ini_with_here_default(tmp_path: Path) -> None:
    conf = tmp_path / "logging.ini"
    conf.write_text(INI)
    log = Logger(stand_in_cfg(logconfig=str(conf)))
    log.info("from ini")
    assert (tmp_path / "ini.log").read_text() == "INI INFO from ini\n"


def test_logconfig_ini_missing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Error: log config '.*nope.ini' not found"):
        Logger(stand_in_cfg(logconfig=str(tmp_path / "nope.ini")))


def test_logconfig_ini_broken(tmp_path: Path) -> None:
    conf = tmp_path / "broken.ini"
    conf.write_text("[loggers]\nkeys=root\n")
    with pytest.raises(RuntimeError, match="could not be loaded"):
        Logger(stand_in_cfg(logconfig=str(conf)))


# -- capture_output (in a child process: it dup2()s fds 1 and 2) ----------------------


CAPTURE_SCRIPT = textwrap.dedent("""
    import os, sys, types
    from gunicorn.glogging import Logger
    path = sys.argv[1]
    cfg = types.SimpleNamespace(
        errorlog=path, loglevel="info", accesslog=None,
        access_log_format="%(h)s", capture_output=True, syslog=False,
        syslog_addr="udp://localhost:514", syslog_prefix=None, syslog_facility="user",
        disable_redirect_access_to_syslog=False, logconfig=None, logconfig_dict={},
        logconfig_json=None, proc_name="t", user=os.geteuid(), group=os.getegid())
    log = Logger(cfg)
    print("printed to stdout", flush=True)
    sys.stderr.write("written to stderr\\n"); sys.stderr.flush()
    os.write(1, b"raw fd 1\\n")
    log.info("logged line")
    os.rename(path, path + ".1")
    log.reopen_files()
    print("after reopen", flush=True)
    log.info("logged after reopen")
""")


def test_capture_output(tmp_path: Path) -> None:
    path = tmp_path / "captured.log"
    proc = subprocess.run([sys.executable, "-c", CAPTURE_SCRIPT, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    before = (tmp_path / "captured.log.1").read_text()
    for text in ("printed to stdout", "written to stderr", "raw fd 1", "[INFO] logged line"):
        assert text in before
    after = path.read_text()
    assert "after reopen" in after and "logged after reopen" in after
    assert "printed to stdout" not in after


def test_capture_output_ignored_for_stderr() -> None:
    log = Logger(stand_in_cfg(capture_output=True))
    assert log.logfile is None


def test_file_permissions_untouched(tmp_path: Path) -> None:
    path = tmp_path / "e.log"
    Logger(stand_in_cfg(errorlog=str(path)))
    assert stat.S_ISREG(path.stat().st_mode)


def test_logconfig_dict_shallow_merge_error_is_clear() -> None:
    bad = {"handlers": {"file": {"class": "logging.NullHandler"}}}
    with pytest.raises(RuntimeError, match="Unable to configure.*console"):
        Logger(stand_in_cfg(logconfig_dict=bad))
