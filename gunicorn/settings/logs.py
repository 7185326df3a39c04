"""Settings of the "Logging" section: error log, access log, syslog and statsd."""

from __future__ import annotations

import sys

from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    validate_bool,
    validate_class,
    validate_dict,
    validate_statsd_address,
    validate_string,
)

SECTION = "Logging"


def _default_syslog_addr() -> str:
    # Where the local syslog daemon listens differs between platforms.
    if sys.platform == "darwin":
        return "unix:///var/run/syslog"
    if sys.platform.startswith(("freebsd", "dragonfly")):
        return "unix:///var/run/log"
    if sys.platform.startswith("openbsd"):
        return "unix:///dev/log"
    return "udp://localhost:514"


AccessLog = define(
    "AccessLog",
    name="accesslog",
    section=SECTION,
    cli=["--access-logfile"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    File to write the access log to; ``-`` means standard output.

    Unset means no access log (unless a logging configuration adds one).
    """,
)

DisableRedirectAccessToSyslog = define(
    "DisableRedirectAccessToSyslog",
    name="disable_redirect_access_to_syslog",
    section=SECTION,
    cli=["--disable-redirect-access-to-syslog"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Keep access log lines out of syslog when ``syslog`` is on.
    """,
)

AccessLogFormat = define(
    "AccessLogFormat",
    name="access_log_format",
    section=SECTION,
    cli=["--access-logformat"],
    meta="STRING",
    validator=validate_string,
    default='%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"',
    desc="""
    Format of access log lines, as ``%(atom)s`` placeholders.

    Atoms: ``h`` remote address, ``l`` a dash, ``u`` user name, ``t`` date,
    ``r`` request line, ``m`` method, ``U`` path, ``q`` query string, ``H``
    protocol, ``s`` status, ``B`` body length, ``b`` body length or ``-``,
    ``f`` referer, ``a`` user agent, ``T`` seconds, ``D`` microseconds,
    ``M`` milliseconds, ``L`` decimal seconds, ``p`` process id, and
    ``{name}i`` / ``{name}o`` / ``{name}e`` for request headers, response
    headers and environ keys.
    """,
)

ErrorLog = define(
    "ErrorLog",
    name="errorlog",
    section=SECTION,
    cli=["--error-logfile", "--log-file"],
    meta="FILE",
    validator=validate_string,
    default="-",
    desc="""
    File to write the error log to; ``-`` means standard error.
    """,
)

Loglevel = define(
    "Loglevel",
    name="loglevel",
    section=SECTION,
    cli=["--log-level"],
    meta="LEVEL",
    validator=validate_string,
    default="info",
    desc="""
    Least severe level written to the error log.

    One of ``debug``, ``info``, ``warning``, ``error``, ``critical``.
    """,
)

CaptureOutput = define(
    "CaptureOutput",
    name="capture_output",
    section=SECTION,
    cli=["--capture-output"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Send the processes' standard output and error to the error log file.
    """,
)

LoggerClass = define(
    "LoggerClass",
    name="logger_class",
    section=SECTION,
    cli=["--logger-class"],
    meta="STRING",
    validator=validate_class,
    default="gunicorn.glogging.Logger",
    desc="""
    Class that does the logging: a dotted path or ``egg:DIST#NAME``.

    The default logger switches to the statsd-enabled one when
    ``statsd_host`` is set. ``simple`` is an alias for the default.
    """,
)

LogConfig = define(
    "LogConfig",
    name="logconfig",
    section=SECTION,
    cli=["--log-config"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    Logging configuration in the ``logging.config.fileConfig`` ini format.
    """,
)

LogConfigDict = define(
    "LogConfigDict",
    name="logconfig_dict",
    section=SECTION,
    validator=validate_dict,
    default={},
    desc="""
    Logging configuration as a ``logging.config.dictConfig`` dictionary.

    Merged over the server's own logging defaults. It wins over
    ``logconfig_json`` and ``logconfig``.
    """,
)

LogConfigJson = define(
    "LogConfigJson",
    name="logconfig_json",
    section=SECTION,
    cli=["--log-config-json"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    JSON file holding a ``logging.config.dictConfig`` dictionary.
    """,
)

SyslogTo = define(
    "SyslogTo",
    name="syslog_addr",
    section=SECTION,
    cli=["--log-syslog-to"],
    meta="SYSLOG_ADDR",
    validator=validate_string,
    default=_default_syslog_addr(),
    default_doc="the platform's local syslog socket, or udp://localhost:514",
    desc="""
    Where syslog messages go.

    ``unix://PATH#TYPE`` for a local socket (TYPE is ``stream`` or
    ``dgram``, optional), ``udp://HOST:PORT`` or ``tcp://HOST:PORT``.
    """,
)

Syslog = define(
    "Syslog",
    name="syslog",
    section=SECTION,
    cli=["--log-syslog"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Also send log messages to syslog.
    """,
)

SyslogPrefix = define(
    "SyslogPrefix",
    name="syslog_prefix",
    section=SECTION,
    cli=["--log-syslog-prefix"],
    meta="SYSLOG_PREFIX",
    validator=validate_string,
    default=None,
    desc="""
    Program name syslog lines are tagged with; defaults to the process name.
    """,
)

SyslogFacility = define(
    "SyslogFacility",
    name="syslog_facility",
    section=SECTION,
    cli=["--log-syslog-facility"],
    meta="SYSLOG_FACILITY",
    validator=validate_string,
    default="user",
    desc="""
    Syslog facility name, such as ``user``, ``daemon`` or ``local0``.
    """,
)

EnableStdioInheritance = define(
    "EnableStdioInheritance",
    name="enable_stdio_inheritance",
    section=SECTION,
    cli=["-R", "--enable-stdio-inheritance"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Keep standard input and output open (unless they are terminals) when running as a daemon.

    Set ``PYTHONUNBUFFERED`` too if output should appear at once.
    """,
)

StatsdHost = define(
    "StatsdHost",
    name="statsd_host",
    section=SECTION,
    cli=["--statsd-host"],
    meta="STATSD_ADDR",
    validator=validate_statsd_address,
    default=None,
    desc="""
    StatsD server to send metrics to: ``HOST:PORT`` (port 8125 by default) or ``unix://PATH``.

    Setting it turns metrics on.
    """,
)

DogstatsdTags = define(
    "DogstatsdTags",
    name="dogstatsd_tags",
    section=SECTION,
    cli=["--dogstatsd-tags"],
    meta="DOGSTATSD_TAGS",
    validator=validate_string,
    default="",
    desc="""
    Comma-separated ``key:value`` tags added to every metric (DogStatsD format).
    """,
)

StatsdPrefix = define(
    "StatsdPrefix",
    name="statsd_prefix",
    section=SECTION,
    cli=["--statsd-prefix"],
    meta="STATSD_PREFIX",
    validator=validate_string,
    default="",
    desc="""
    Prefix for metric names; a ``.`` is added after it when missing.
    """,
)

BacklogMetric = define(
    "BacklogMetric",
    name="enable_backlog_metric",
    section=SECTION,
    cli=["--enable-backlog-metric"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Report the number of connections waiting in the listen queue (``gunicorn.backlog``).

    Linux only; read through ``TCP_INFO``.
    """,
)
