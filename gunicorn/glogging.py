"""Error and access logging for the arbiter and its workers.

``Logger(cfg)`` owns two standard-library loggers: ``gunicorn.error`` (server
messages) and ``gunicorn.access`` (one line per request). The settings of the
"Logging" section decide where they go: a file, stdout/stderr, syslog, or a
user logging configuration (``logconfig``, ``logconfig_dict``,
``logconfig_json``).

Access lines are ``access_log_format % atoms``; the atom table is in
``Logger.atoms``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
import logging
import logging.config
import logging.handlers
import os
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gunicorn import util

__all__ = [
    "CONFIG_DEFAULTS",
    "SYSLOG_FACILITIES",
    "Logger",
    "SafeAtoms",
    "loggers",
    "parse_syslog_address",
]

# Facility codes 0-11 in RFC 5424 section 6.2.1 order (names as in
# syslog.h); "security" is an old alias of "auth", and local0..local7 are
# codes 16..23.
_NUMBERED_FACILITIES = ("kern user mail daemon auth syslog lpr news uucp cron "
                        "authpriv ftp").split()
SYSLOG_FACILITIES: dict[str, int] = {
    **{name: code for code, name in enumerate(_NUMBERED_FACILITIES)},
    "security": _NUMBERED_FACILITIES.index("auth"),
    **{"local%d" % n: 16 + n for n in range(8)},
}

_GENERIC_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
_GENERIC_DATEFMT = "[%Y-%m-%d %H:%M:%S %z]"

# The base that logconfig_dict / logconfig_json are shallow-merged over
# (logging.config.dictConfig schema, version 1).
def _default_logger(name: str, handler: str) -> dict[str, Any]:
    return {"level": "INFO", "handlers": [handler], "propagate": True, "qualname": name}


def _default_stream_handler(stream: str) -> dict[str, Any]:
    return {"class": "logging.StreamHandler", "formatter": "generic",
            "stream": "ext://sys.%s" % stream}


CONFIG_DEFAULTS: dict[str, Any] = dict(
    version=1,
    disable_existing_loggers=False,
    root={"level": "INFO", "handlers": ["console"]},
    loggers={
        # Errors go to stderr, access lines to stdout.
        "gunicorn.error": _default_logger("gunicorn.error", "error_console"),
        "gunicorn.access": _default_logger("gunicorn.access", "console"),
    },
    handlers={
        "console": _default_stream_handler("stdout"),
        "error_console": _default_stream_handler("stderr"),
    },
    formatters={
        "generic": {"format": _GENERIC_FORMAT, "datefmt": _GENERIC_DATEFMT,
                    "class": "logging.Formatter"},
    },
)


def loggers() -> list[logging.Logger]:
    """Return every logger created so far in this process (not the root)."""
    names = list(logging.root.manager.loggerDict)
    return [logging.getLogger(name) for name in names]


class SafeAtoms(dict):
    """Access-log atoms made safe for ``%``-formatting.

    String values get ``"`` escaped as ``\\"`` so quoted fields stay parseable;
    a missing key or a ``None`` value formats as ``-``; ``{...}`` keys (header
    and environ atoms) are looked up case-insensitively.

    Args:
        atoms: mapping of atom name to value, as returned by ``Logger.atoms``.
    """

    def __init__(self, atoms: Mapping[str, Any]) -> None:
        dict.__init__(self)
        for key, value in atoms.items():
            if isinstance(value, str):
                value = value.replace('"', '\\"')
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        if key.startswith("{"):
            key = key.lower()
        try:
            value = dict.__getitem__(self, key)
        except KeyError:
            return "-"
        return "-" if value is None else value


def parse_syslog_address(addr: str) -> tuple[socket.SocketKind | None, str | tuple[str, int]]:
    """Parse a ``syslog_addr`` setting into ``(socktype, address)``.

    Accepted shapes: ``unix://PATH`` (optionally ``#dgram`` or ``#stream``;
    without a suffix the socket type is None, meaning "try datagram, then
    stream"), ``udp://HOST[:PORT]`` and ``tcp://HOST[:PORT]`` (``[v6]`` hosts
    allowed, port 514 by default, RFC 5426 section 3.1).

    Returns:
        ``(socket.SOCK_DGRAM | socket.SOCK_STREAM | None, path or (host, port))``
        ready for ``logging.handlers.SysLogHandler``.

    Raises:
        RuntimeError: unknown scheme or a port that is not a number.
    """
    if addr.startswith("unix://"):
        path, _, kind = addr[len("unix://"):].partition("#")
        socktype = {"dgram": socket.SOCK_DGRAM, "stream": socket.SOCK_STREAM}.get(kind)
        return socktype, path

    if addr.startswith("udp://"):
        socktype = socket.SOCK_DGRAM
        rest = addr[len("udp://"):]
    elif addr.startswith("tcp://"):
        socktype = socket.SOCK_STREAM
        rest = addr[len("tcp://"):]
    else:
        raise RuntimeError("invalid syslog address: %r" % addr)

    if rest.startswith("[") and "]" in rest:
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = rest.partition(":")
    host = host.lower() or "localhost"
    if not port_text:
        return socktype, (host, 514)  # the syslog port (RFC 5426 section 3.3)
    if port_text.isdigit():
        return socktype, (host, int(port_text))
    raise RuntimeError("%r is not a valid port number." % port_text)


def _lookup_header(headers: Any, name: str) -> Any:
    """Value of the last header called ``name`` (lowercase) in a list or dict."""
    if hasattr(headers, "items"):
        headers = headers.items()
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value
    return found


def _lookup_environ(environ: Mapping[str, Any], name: str) -> Any:
    """Case-insensitive environ lookup for ``{name}e`` atoms."""
    upper = name.upper()
    if upper in environ:
        return environ[upper]
    found = None
    for key, value in environ.items():
        if key.lower() == name:
            found = value
    return found


def _status_code(status: Any) -> Any:
    if isinstance(status, bytes):
        status = status.decode("latin-1")
    if isinstance(status, str):
        return status.split(None, 1)[0] if status else status
    return status


# Keys referenced by a %-format: "%(name)s" -> "name". Over-matching (for
# example inside "%%(x)s") only computes an extra atom.
_FORMAT_KEY = re.compile(r"%\(([^)]*)\)")


class _LazyAtoms(dict):
    """Atoms computed on first use, with the ``SafeAtoms`` rules.

    ``Logger.access`` fills it with the keys its format names, so the full
    table (every header and environ key) is never built on the request path.
    Other keys still resolve on lookup, for formatters that read
    ``record.args``.
    """

    __slots__ = ("_log", "_resp", "_req", "_environ", "_request_time")

    def __init__(self, log: Logger, resp: Any, req: Any, environ: Mapping[str, Any],
                 request_time: datetime.timedelta) -> None:
        dict.__init__(self)
        self._log = log
        self._resp = resp
        self._req = req
        self._environ = environ
        self._request_time = request_time

    def __missing__(self, key: str) -> Any:
        # dict.__getitem__ (C) serves keys already computed; only new keys
        # reach Python code.
        lookup = key.lower() if key.startswith("{") else key
        if lookup != key and dict.__contains__(self, lookup):
            value = dict.__getitem__(self, lookup)
        else:
            value = self._compute(lookup)
            if value is None:
                value = "-"
            elif isinstance(value, str):
                value = value.replace('"', '\\"')
        self[key] = value
        return value

    def _compute(self, key: str) -> Any:
        environ = self._environ
        if len(key) == 1:
            getter = _SIMPLE_ATOMS.get(key)
            if getter is None:
                return None
            return getter(self._log, self._resp, environ, self._request_time)
        if len(key) > 3 and key[0] == "{" and key[-2] == "}":
            name = key[1:-2]
            kind = key[-1]
            if kind == "i":
                req = self._req
                return _lookup_header(getattr(req, "headers", req) or (), name)
            if kind == "o":
                return _lookup_header(getattr(self._resp, "headers", None) or (), name)
            if kind == "e":
                return _lookup_environ(environ, name)
        return None


def _request_line(environ: Mapping[str, Any]) -> str:
    return "%s %s %s" % (
        environ.get("REQUEST_METHOD", "-"),
        environ.get("RAW_URI", "-"),
        environ.get("SERVER_PROTOCOL", "-"),
    )


def _whole_seconds(rt: datetime.timedelta) -> int:
    return rt.days * 86400 + rt.seconds


def _sent_text(resp: Any) -> str:
    sent = getattr(resp, "sent", None)
    return "-" if sent is None else str(sent)


# Single-letter atoms: (logger, resp, environ, request_time) -> value.
_SIMPLE_ATOMS: dict[str, Any] = {
    "h": lambda lg, resp, env, rt: env.get("REMOTE_ADDR", "-"),
    "l": lambda lg, resp, env, rt: "-",
    "u": lambda lg, resp, env, rt: lg._get_user(env) or "-",
    "t": lambda lg, resp, env, rt: lg.now(),
    "r": lambda lg, resp, env, rt: _request_line(env),
    "s": lambda lg, resp, env, rt: _status_code(resp.status),
    "m": lambda lg, resp, env, rt: env.get("REQUEST_METHOD"),
    "U": lambda lg, resp, env, rt: env.get("PATH_INFO"),
    "q": lambda lg, resp, env, rt: env.get("QUERY_STRING"),
    "H": lambda lg, resp, env, rt: env.get("SERVER_PROTOCOL"),
    "b": lambda lg, resp, env, rt: _sent_text(resp),
    "B": lambda lg, resp, env, rt: getattr(resp, "sent", None),
    "f": lambda lg, resp, env, rt: env.get("HTTP_REFERER", "-"),
    "a": lambda lg, resp, env, rt: env.get("HTTP_USER_AGENT", "-"),
    "T": lambda lg, resp, env, rt: _whole_seconds(rt),
    "M": lambda lg, resp, env, rt: _whole_seconds(rt) * 1000 + rt.microseconds // 1000,
    "D": lambda lg, resp, env, rt: _whole_seconds(rt) * 1000000 + rt.microseconds,
    "L": lambda lg, resp, env, rt: "%d.%06d" % (_whole_seconds(rt), rt.microseconds),
    "p": lambda lg, resp, env, rt: "<%d>" % os.getpid(),
}


class Logger:
    """The default ``logger_class``: error log, access log, syslog, logconfig.

    Args:
        cfg: a ``gunicorn.config.Config`` (or any object with the Logging
            settings as attributes: errorlog, loglevel, accesslog,
            access_log_format, capture_output, syslog, syslog_addr,
            syslog_prefix, syslog_facility, disable_redirect_access_to_syslog,
            logconfig, logconfig_dict, logconfig_json, proc_name, user, group).

    Raises:
        RuntimeError: a log file that cannot be written, a bad syslog address,
            or a logging configuration that cannot be loaded.
    """

    # --log-level names mapped to the logging module's numbers.
    LOG_LEVELS: dict[str, int] = {
        name: logging.getLevelName(name.upper())
        for name in ("critical", "error", "warning", "info", "debug")
    }
    loglevel: int = logging.INFO

    error_fmt: str = _GENERIC_FORMAT
    datefmt: str = _GENERIC_DATEFMT

    access_fmt: str = "%(message)s"
    syslog_fmt: str = "[%(process)d] %(message)s"

    atoms_wrapper_class: type = SafeAtoms

    def __init__(self, cfg: Any) -> None:
        # Both loggers keep their records to themselves; the handlers set up
        # below decide where the lines go.
        self.error_log, self.access_log = (
            logging.getLogger(name) for name in ("gunicorn.error", "gunicorn.access"))
        for own_log in (self.error_log, self.access_log):
            own_log.propagate = False
        self.error_handlers: list[logging.Handler] = []
        self.access_handlers: list[logging.Handler] = []
        self.logfile: Any = None
        self.lock = threading.Lock()
        self.cfg = cfg
        self._now_cache: tuple[int, str] = (-1, "")
        self._access_enabled = False
        self._access_format = ""
        self._access_keys: tuple[str, ...] = ()
        self._lazy_atoms = False
        self.setup(cfg)

    # -- configuration -----------------------------------------------------

    def setup(self, cfg: Any) -> None:
        """(Re)build the handlers from ``cfg``; safe to call again on reload.

        Handlers this class added before (tagged ``_gunicorn``) are removed
        and closed first, so a reload never duplicates output.

        Raises:
            RuntimeError: see the class docstring.
        """
        self.cfg = cfg
        self.loglevel = self.LOG_LEVELS.get(str(cfg.loglevel).lower(), logging.INFO)
        self.error_log.setLevel(self.loglevel)
        self.access_log.setLevel(logging.INFO)
        # a previous logconfig may have turned propagation on
        self.error_log.propagate = False
        self.access_log.propagate = False

        for log in (self.error_log, self.access_log):
            for handler in [h for h in log.handlers if getattr(h, "_gunicorn", False)]:
                _detach(log, handler)
        self.error_handlers = []
        self.access_handlers = []

        errorlog = cfg.errorlog
        if cfg.capture_output and errorlog != "-":
            self._capture_output(errorlog)

        self._set_handler(self.error_log, errorlog,
                          logging.Formatter(self.error_fmt, self.datefmt))

        if cfg.accesslog is not None:
            self._set_handler(self.access_log, cfg.accesslog,
                              fmt=logging.Formatter(self.access_fmt), stream=sys.stdout)

        if cfg.syslog:
            self._set_syslog_handler(self.error_log, cfg, self.syslog_fmt, "error")
            if not cfg.disable_redirect_access_to_syslog:
                self._set_syslog_handler(self.access_log, cfg, self.syslog_fmt, "access")

        if cfg.logconfig_dict:
            self._dict_config(cfg.logconfig_dict)
        elif cfg.logconfig_json:
            self._json_config(cfg.logconfig_json)
        elif cfg.logconfig:
            self._file_config(cfg.logconfig)

        self._prepare_access(cfg)

    def _prepare_access(self, cfg: Any) -> None:
        # Decided once per setup so access() does no config lookups.
        logconfig = bool(cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json)
        self._access_enabled = bool(
            cfg.accesslog or logconfig
            or (cfg.syslog and not cfg.disable_redirect_access_to_syslog)
        )
        self._access_format = cfg.access_log_format
        # Keys as written in the format (header atoms keep their case) so
        # the %-formatting finds every one already computed.
        self._access_keys = tuple(dict.fromkeys(_FORMAT_KEY.findall(self._access_format)))
        # Custom logging configs may have formatters that read every atom
        # from record.args, and subclasses may override atoms(): both get
        # the full table.
        self._lazy_atoms = (
            not logconfig
            and type(self).atoms is Logger.atoms
            and self.atoms_wrapper_class is SafeAtoms
        )

    def _capture_output(self, errorlog: str) -> None:
        util.check_is_writable(errorlog)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        if self.logfile is not None:
            self.logfile.close()
        self.logfile = open(errorlog, "a+")
        os.dup2(self.logfile.fileno(), sys.stdout.fileno())
        os.dup2(self.logfile.fileno(), sys.stderr.fileno())

    def _dict_config(self, logconfig_dict: Mapping[str, Any]) -> None:
        config = dict(CONFIG_DEFAULTS)
        config.update(logconfig_dict)
        try:
            logging.config.dictConfig(config)
        except (AttributeError, ImportError, ValueError, TypeError) as exc:
            # dictConfig wraps the real problem (a missing handler name...)
            cause = exc.__cause__
            raise RuntimeError("%s: %r" % (exc, cause) if cause else str(exc))

    def _json_config(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as fp:
                loaded = json.load(fp)
        except FileNotFoundError:
            raise RuntimeError("Error: log config '%s' not found" % path)
        except (OSError, ValueError) as exc:
            raise RuntimeError("Error: log config '%s' is not valid JSON: %s" % (path, exc))
        if not isinstance(loaded, dict):
            raise RuntimeError("Error: log config '%s' must hold a JSON object" % path)
        self._dict_config(loaded)

    def _file_config(self, path: str) -> None:
        if not os.path.exists(path):
            raise RuntimeError("Error: log config '%s' not found" % path)
        defaults = {"__file__": path, "here": os.path.dirname(path)}
        try:
            logging.config.fileConfig(path, defaults=defaults, disable_existing_loggers=False)
        except Exception as exc:  # configparser and logging raise many types
            raise RuntimeError("Error: log config '%s' could not be loaded: %s" % (path, exc))

    def _get_gunicorn_handler(self, log: logging.Logger) -> logging.Handler | None:
        """The first non-syslog handler this class added to ``log``, if any."""
        for handler in log.handlers:
            if getattr(handler, "_gunicorn", False) and not isinstance(
                    handler, logging.handlers.SysLogHandler):
                return handler
        return None

    def _set_handler(self, log: logging.Logger, output: str | None,
                     fmt: logging.Formatter, stream: Any = None) -> None:
        """Replace our file/stream handler on ``log`` by one writing to ``output``.

        Args:
            log: the target logger.
            output: ``"-"`` for ``stream`` (stderr when None), a file path, or
                None to only remove the old handler.
            fmt: formatter for the new handler.
            stream: the stream used when ``output`` is ``"-"``.

        Raises:
            RuntimeError: the file cannot be opened for appending.
        """
        previous = self._get_gunicorn_handler(log)
        if previous is not None:
            _detach(log, previous)
        if output is None:
            return
        handler: logging.Handler
        if output == "-":
            handler = logging.StreamHandler(stream)
        else:
            util.check_is_writable(output)
            handler = logging.FileHandler(output)
            self._chown(handler.baseFilename)
        handler.setFormatter(fmt)
        handler._gunicorn = True  # type: ignore[union-attr]
        log.addHandler(handler)
        if log is self.error_log:
            self.error_handlers.append(handler)
        elif log is self.access_log:
            self.access_handlers.append(handler)

    def _set_syslog_handler(self, log: logging.Logger, cfg: Any, fmt: str, name: str) -> None:
        """Add a syslog handler to ``log`` whose lines start ``gunicorn.<prefix>.<name>:``.

        Raises:
            RuntimeError: bad ``syslog_addr`` or the syslog socket cannot be opened.
        """
        prefix = cfg.syslog_prefix or (cfg.proc_name or "gunicorn").replace(":", ".")
        tag = "gunicorn.%s.%s" % (prefix, name)
        formatter = logging.Formatter("%s: %s" % (tag.replace("%", "%%"), fmt))
        facility = SYSLOG_FACILITIES.get(str(cfg.syslog_facility).lower(),
                                         logging.handlers.SysLogHandler.LOG_USER)
        socktype, address = parse_syslog_address(cfg.syslog_addr)
        try:
            handler = logging.handlers.SysLogHandler(address=address, facility=facility,
                                                     socktype=socktype)
        except OSError as exc:
            raise RuntimeError("Error: cannot open syslog at %s: %s" % (cfg.syslog_addr, exc))
        handler.setFormatter(formatter)
        handler._gunicorn = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        (self.error_handlers if name == "error" else self.access_handlers).append(handler)

    def _chown(self, path: str) -> None:
        # Workers may run as cfg.user/cfg.group and must be able to reopen.
        uid = getattr(self.cfg, "user", None)
        gid = getattr(self.cfg, "group", None)
        if not isinstance(uid, int) or not isinstance(gid, int):
            return
        if uid == os.geteuid() and gid == os.getegid():
            return
        try:
            util.chown(path, uid, gid)
        except OSError:
            pass

    # -- error log ---------------------------------------------------------

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at CRITICAL on ``gunicorn.error``."""
        self.error_log.critical(msg, *args, **kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at ERROR on ``gunicorn.error``."""
        self.error_log.error(msg, *args, **kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at WARNING on ``gunicorn.error``."""
        self.error_log.warning(msg, *args, **kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at INFO on ``gunicorn.error``."""
        self.error_log.info(msg, *args, **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at DEBUG on ``gunicorn.error``."""
        self.error_log.debug(msg, *args, **kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at ERROR with the current exception's traceback."""
        self.error_log.exception(msg, *args, **kwargs)

    def log(self, lvl: int | str, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at ``lvl``: a logging level number or a name such as ``"warning"``."""
        if isinstance(lvl, str):
            lvl = self.LOG_LEVELS.get(lvl.lower(), logging.INFO)
        self.error_log.log(lvl, msg, *args, **kwargs)

    # -- access log --------------------------------------------------------

    def atoms(self, resp: Any, req: Any, environ: Mapping[str, Any],
              request_time: datetime.timedelta) -> dict[str, Any]:
        """Build the full access-log atom table for one request.

        Args:
            resp: object with ``status`` ("200 OK" or 200), ``sent`` (bytes of
                body sent, or None) and ``headers`` (list of pairs or dict).
            req: object with ``headers``, or the header list itself.
            environ: the WSGI environ of the request.
            request_time: time spent on the request.

        Returns:
            A dict with every single-letter atom plus ``{name}i`` (request
            headers), ``{name}o`` (response headers) and ``{name}e`` (environ)
            keyed by lowercase name. Values are raw (not escaped).
        """
        atoms = {key: get(self, resp, environ, request_time)
                 for key, get in _SIMPLE_ATOMS.items()}
        req_headers = getattr(req, "headers", req) or ()
        if hasattr(req_headers, "items"):
            req_headers = req_headers.items()
        atoms.update({"{%s}i" % k.lower(): v for k, v in req_headers})
        resp_headers = getattr(resp, "headers", None) or ()
        if hasattr(resp_headers, "items"):
            resp_headers = resp_headers.items()
        atoms.update({"{%s}o" % k.lower(): v for k, v in resp_headers})
        atoms.update({"{%s}e" % k.lower(): v for k, v in environ.items()})
        return atoms

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any],
               request_time: datetime.timedelta) -> None:
        """Write one access-log line for a finished request.

        Does nothing unless accesslog, a logconfig setting, or syslog with
        access redirection is on. Arguments as for ``atoms``. Errors while
        building the line are logged on the error log, never raised.
        """
        if not self._access_enabled or not self.access_log.isEnabledFor(logging.INFO):
            return
        try:
            if self._lazy_atoms:
                safe_atoms: Any = _LazyAtoms(self, resp, req, environ, request_time)
                for key in self._access_keys:
                    safe_atoms[key]
            else:
                safe_atoms = self.atoms_wrapper_class(
                    self.atoms(resp, req, environ, request_time))
            self.access_log.info(self._access_format, safe_atoms)
        except Exception:
            self.error(traceback.format_exc())

    def now(self) -> str:
        """Current local time as an access-log timestamp, ``[%d/%b/%Y:%H:%M:%S %z]``."""
        second = int(time.time())
        cached = self._now_cache
        if cached[0] != second:
            cached = (second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)))
            self._now_cache = cached
        return cached[1]

    def _get_user(self, environ: Mapping[str, Any]) -> str | None:
        """User name from an HTTP Basic ``Authorization`` header (RFC 7617), or None."""
        auth = environ.get("HTTP_AUTHORIZATION")
        if not auth or not auth[:5].lower() == "basic":
            return None
        parts = auth.split(" ", 1)
        if len(parts) != 2:
            return None
        try:
            decoded = base64.b64decode(parts[1].strip().encode("utf-8")).decode("utf-8")
        except (TypeError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
            self.debug("Couldn't get username: %s", exc)
            return None
        return decoded.split(":", 1)[0]

    # -- files -------------------------------------------------------------

    def _file_handlers(self) -> Iterable[logging.FileHandler]:
        seen: set[int] = set()
        # Only real loggers: getLogger() would turn placeholders into loggers.
        existing = [lg for lg in list(logging.root.manager.loggerDict.values())
                    if isinstance(lg, logging.Logger)]
        for log in [logging.root, *existing]:
            for handler in log.handlers:
                if isinstance(handler, logging.FileHandler) and id(handler) not in seen:
                    seen.add(id(handler))
                    yield handler

    def reopen_files(self) -> None:
        """Reopen every log file (SIGUSR1), so rotated files are let go.

        Covers the captured stdout/stderr file and every ``FileHandler`` on
        every logger, including those from a logconfig setting.
        """
        with self.lock:
            cfg = self.cfg
            if cfg.capture_output and cfg.errorlog != "-":
                self._capture_output(cfg.errorlog)
            for handler in self._file_handlers():
                with _handler_locked(handler):
                    if handler.stream:
                        self._reopen_handler(handler)

    def _reopen_handler(self, handler: logging.FileHandler) -> None:
        # Close first: with the file renamed away by logrotate, _open()
        # creates a new one under the configured name.
        rotated = handler.stream
        handler.stream = None  # type: ignore[assignment]
        rotated.close()  # type: ignore[union-attr]
        handler.stream = handler._open()
        if getattr(handler, "_gunicorn", False):
            self._chown(handler.baseFilename)

    def close_on_exec(self) -> None:
        """Mark every log file descriptor close-on-exec (before a re-exec)."""
        for handler in self._file_handlers():
            with _handler_locked(handler):
                stream = handler.stream
                if stream:
                    util.close_on_exec(stream.fileno())


def _detach(log: logging.Logger, handler: logging.Handler) -> None:
    """Take ``handler`` off ``log`` and release its file or socket."""
    log.removeHandler(handler)
    handler.close()


@contextlib.contextmanager
def _handler_locked(handler: logging.Handler) -> Iterator[None]:
    """Hold a handler's I/O lock (the one ``emit`` takes) for the block."""
    handler.acquire()
    try:
        yield
    finally:
        handler.release()
