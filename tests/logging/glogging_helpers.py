"""Shared helpers for the logging tests: a stand-in for the Logging settings."""

from __future__ import annotations

import os
import types
from typing import Any

DEFAULT_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

# The Logging settings with their 25.0 defaults (reference section 1.3).
LOGGING_DEFAULTS: dict[str, Any] = {
    "errorlog": "-",
    "loglevel": "info",
    "accesslog": None,
    "access_log_format": DEFAULT_ACCESS_FORMAT,
    "capture_output": False,
    "syslog": False,
    "syslog_addr": "udp://localhost:514",
    "syslog_prefix": None,
    "syslog_facility": "user",
    "disable_redirect_access_to_syslog": False,
    "logconfig": None,
    "logconfig_dict": {},
    "logconfig_json": None,
    "proc_name": "gunicorn",
    "statsd_host": None,
    "statsd_prefix": "",
    "dogstatsd_tags": "",
}


def stand_in_cfg(**overrides: Any) -> types.SimpleNamespace:
    """An object with the Logging settings as attributes."""
    values = dict(LOGGING_DEFAULTS, user=os.geteuid(), group=os.getegid())
    values.update(overrides)
    return types.SimpleNamespace(**values)
