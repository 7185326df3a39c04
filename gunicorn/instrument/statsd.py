"""A logger that also sends metrics to a statsd (or DogStatsD) server.

Metric lines follow the statsd text protocol: ``<prefix><name>:<value>|<type>``
with type ``g`` (gauge), ``c`` (counter, with ``|@<sampling rate>``), ``ms``
(timer) or ``h`` (histogram), plus ``|#<tags>`` when ``dogstatsd_tags`` is set
(DogStatsD datagram format). One metric per datagram.
"""

from __future__ import annotations

import datetime
import logging
import socket
from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger

__all__ = [
    "COUNTER_TYPE",
    "GAUGE_TYPE",
    "HISTOGRAM_TYPE",
    "METRIC_VAR",
    "MTYPE_VAR",
    "TIMER_TYPE",
    "VALUE_VAR",
    "Statsd",
]

# Keys of the ``extra`` dict that turn a log call into a metric ...
METRIC_VAR, VALUE_VAR, MTYPE_VAR = "metric", "value", "mtype"
# ... and the ``mtype`` values understood there.
GAUGE_TYPE, COUNTER_TYPE, HISTOGRAM_TYPE, TIMER_TYPE = "gauge", "counter", "histogram", "timer"

# mtype -> name of the Statsd method that sends it.
_SENDER_FOR_MTYPE = {
    GAUGE_TYPE: "gauge",
    COUNTER_TYPE: "increment",
    HISTOGRAM_TYPE: "histogram",
    TIMER_TYPE: "timer",
}


def _status_code(status: Any) -> int | None:
    """The numeric code of a status such as "200 OK" (str or bytes) or 200; None if unreadable."""
    text = status.decode("latin-1") if isinstance(status, bytes) else status
    if isinstance(text, str):
        text = (text.split(None, 1) or [""])[0]
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _normalize_prefix(prefix: str | None) -> str:
    """``"app"`` and ``"app..."`` both give ``"app."``; empty stays empty."""
    stem = (prefix or "").rstrip(".")
    return stem + "." if stem else ""


def _open_socket(address: Any) -> socket.socket:
    """A datagram socket connected to ``address``.

    Args:
        address: a unix socket path (str) or ``(host, port)``; the host may be
            a name, an IPv4 or an IPv6 address.

    Raises:
        OSError: name resolution or connect failed.
    """
    if isinstance(address, (str, bytes)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        target: Any = address
    else:
        host, port = address
        port = int(port)
        # the family of the first resolved address; connect() then resolves
        # the name itself within that family
        family = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0][0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        target = (host, port)
    try:
        sock.connect(target)
        # A metric must never block a worker.
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Statsd(Logger):
    """``Logger`` plus statsd metrics (selected when ``statsd_host`` is set).

    Args:
        cfg: as for ``Logger``, plus ``statsd_host`` (``(host, port)`` or a
            unix socket path, as ``validate_statsd_address`` returns),
            ``statsd_prefix`` and ``dogstatsd_tags``.

    Metrics sent by this class: ``gunicorn.requests`` and
    ``gunicorn.request.status.<code>`` (counters), ``gunicorn.request.duration``
    (timer, milliseconds), ``gunicorn.log.critical|error|warning|exception``
    (counters). Any log call whose ``extra`` has ``metric``, ``value`` and
    ``mtype`` (gauge, counter, histogram or timer) sends that metric too,
    which is how the arbiter reports ``gunicorn.workers``. Sending never
    raises: failures are logged once on the error log until a send succeeds.
    """

    def __init__(self, cfg: Any) -> None:
        self.sock: socket.socket | None = None
        self.prefix = ""
        self.dogstatsd_tags = ""
        self._tags_suffix = b""
        self._send_failing = False
        Logger.__init__(self, cfg)

    def setup(self, cfg: Any) -> None:
        """Set up logging as ``Logger.setup`` and (re)connect the statsd socket."""
        Logger.setup(self, cfg)
        self.prefix = _normalize_prefix(getattr(cfg, "statsd_prefix", ""))
        self.dogstatsd_tags = getattr(cfg, "dogstatsd_tags", "") or ""
        self._tags_suffix = (b"|#" + self.dogstatsd_tags.encode("ascii", "replace")
                             if self.dogstatsd_tags else b"")
        old, self.sock = self.sock, None
        if old is not None:
            old.close()
        address = getattr(cfg, "statsd_host", None)
        if address is None:
            return
        try:
            self.sock = _open_socket(address)
        except OSError as exc:
            Logger.warning(self, "Cannot open statsd socket to %s: %s", address, exc)

    # -- log methods that count themselves -------------------------------

    def _log_and_count(self, level: str, msg: object, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> None:
        # Metric from ``extra`` first, then the line, then the per-level counter.
        self._metric_from_extra(kwargs)
        getattr(Logger, level)(self, msg, *args, **kwargs)
        self.increment("gunicorn.log." + level, 1)

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at CRITICAL and count ``gunicorn.log.critical``."""
        self._log_and_count("critical", msg, args, kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at ERROR and count ``gunicorn.log.error``."""
        self._log_and_count("error", msg, args, kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at WARNING and count ``gunicorn.log.warning``."""
        self._log_and_count("warning", msg, args, kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log with a traceback and count ``gunicorn.log.exception``."""
        self._log_and_count("exception", msg, args, kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at INFO (through ``log`` so ``extra`` metrics are sent)."""
        self.log(logging.INFO, msg, *args, **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at DEBUG (through ``log`` so ``extra`` metrics are sent)."""
        self.log(logging.DEBUG, msg, *args, **kwargs)

    def log(self, lvl: int | str, msg: object, *args: Any, **kwargs: Any) -> None:
        """Send the metric described by ``extra`` (if any), then log ``msg`` if non-empty."""
        # An empty message is a pure metric call (the arbiter's worker gauge).
        line = (lambda: Logger.log(self, lvl, msg, *args, **kwargs)) if msg else None
        try:
            self._metric_from_extra(kwargs)
            if line is not None:
                line()
        except Exception:
            Logger.warning(self, "Failed to log to statsd", exc_info=True)

    def _metric_from_extra(self, kwargs: Mapping[str, Any]) -> None:
        extra = kwargs.get("extra") or {}
        metric, value = extra.get(METRIC_VAR), extra.get(VALUE_VAR)
        sender = _SENDER_FOR_MTYPE.get(extra.get(MTYPE_VAR) or "")
        # 0 is a real reading (26.1.0 fix): only a missing value is skipped.
        if metric and value is not None and sender is not None:
            getattr(self, sender)(metric, value)

    # -- access ------------------------------------------------------------

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any],
               request_time: datetime.timedelta) -> None:
        """Write the access line (see ``Logger.access``) and send request metrics."""
        Logger.access(self, resp, req, environ, request_time)
        if self.sock is None:
            return
        duration_ms = ((request_time.days * 86400 + request_time.seconds) * 1000
                       + request_time.microseconds / 1000.0)
        self.timer("gunicorn.request.duration", duration_ms)
        self.increment("gunicorn.requests", 1)
        code = _status_code(resp.status)
        if code is not None:
            self.increment("gunicorn.request.status.%d" % code, 1)

    # -- metric primitives -------------------------------------------------

    def gauge(self, name: str, value: float) -> None:
        """Send gauge ``name`` = ``value``."""
        self._sock_send("%s%s:%s|g" % (self.prefix, name, value))

    def increment(self, name: str, value: float, sampling_rate: float = 1.0) -> None:
        """Add ``value`` to counter ``name``; ``sampling_rate`` in (0, 1] is sent as ``|@rate``."""
        self._sock_send("%s%s:%s|c|@%s" % (self.prefix, name, value, sampling_rate))

    def decrement(self, name: str, value: float, sampling_rate: float = 1.0) -> None:
        """Subtract ``value`` from counter ``name``."""
        self._sock_send("%s%s:-%s|c|@%s" % (self.prefix, name, value, sampling_rate))

    def timer(self, name: str, value: float) -> None:
        """Record a duration of ``value`` milliseconds for ``name``."""
        self._sock_send("%s%s:%s|ms" % (self.prefix, name, value))

    def histogram(self, name: str, value: float) -> None:
        """Record ``value`` in histogram ``name``."""
        self._sock_send("%s%s:%s|h" % (self.prefix, name, value))

    def _sock_send(self, msg: str | bytes) -> None:
        sock = self.sock
        if sock is None:
            return
        try:
            data = msg.encode("ascii", "replace") if isinstance(msg, str) else msg
            sock.send(data + self._tags_suffix)
        except Exception:
            # Report the first failure only; statsd being down is not fatal.
            if not self._send_failing:
                self._send_failing = True
                Logger.warning(self, "Error sending message to statsd", exc_info=True)
            return
        self._send_failing = False
