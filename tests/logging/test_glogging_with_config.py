"""Logger and Statsd built from the real gunicorn.config.Config."""

from __future__ import annotations

import datetime
import logging
import socket
import types
from pathlib import Path

import gunicorn.config as config
from gunicorn.glogging import Logger
from gunicorn.instrument.statsd import Statsd


def test_defaults_build_a_logger() -> None:
    cfg = config.Config()
    assert cfg.logger_class is Logger
    log = cfg.logger_class(cfg)
    assert log.loglevel == logging.INFO
    assert log._access_enabled is False
    assert log._access_keys == ("h", "l", "u", "t", "r", "s", "b", "f", "a")


def test_settings_from_config(tmp_path: Path) -> None:
    cfg = config.Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("loglevel", "debug")
    cfg.set("access_log_format", "%(m)s %(U)s %({x-id}i)s")
    log = Logger(cfg)
    log.debug("debug line")
    resp = types.SimpleNamespace(status="200 OK", sent=3, headers=[])
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/p"}
    log.access(resp, [("X-ID", "abc")], environ, datetime.timedelta(0))
    assert (tmp_path / "access.log").read_text() == "PUT /p abc\n"
    assert "[DEBUG] debug line" in (tmp_path / "error.log").read_text()


def test_statsd_host_selects_statsd_logger() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        cfg = config.Config()
        cfg.set("statsd_host", "127.0.0.1:%d" % sock.getsockname()[1])
        cfg.set("statsd_prefix", "svc")
        cfg.set("dogstatsd_tags", "a:b")
        assert cfg.logger_class is Statsd
        log = cfg.logger_class(cfg)
        log.debug("2 workers", extra={"metric": "gunicorn.workers", "value": 2,
                                      "mtype": "gauge"})
        assert sock.recv(100) == b"svc.gunicorn.workers:2|g|#a:b"
    finally:
        sock.close()


def test_logconfig_dict_from_config(tmp_path: Path) -> None:
    cfg = config.Config()
    cfg.set("logconfig_dict", {
        "root": {"level": "INFO", "handlers": []},
        "handlers": {"f": {"class": "logging.FileHandler",
                           "filename": str(tmp_path / "d.log"), "formatter": "generic"}},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["f"],
                                       "propagate": False}},
    })
    log = Logger(cfg)
    log.info("via config")
    assert "[INFO] via config" in (tmp_path / "d.log").read_text()
