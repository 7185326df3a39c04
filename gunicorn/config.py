"""Runtime configuration: the :class:`Config` object and the public settings API.

The settings themselves are data in :mod:`gunicorn.settings` (one module per
section). This module keeps the import paths other code relies on:
``gunicorn.config.Config``, ``Setting``, ``KNOWN_SETTINGS``,
``make_settings``, every ``validate_*`` function, ``auto_int`` and each
setting class by name (``gunicorn.config.Bind``, ``gunicorn.config.ReusePort``).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shlex
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from gunicorn import __version__, util
from gunicorn.errors import ConfigError
from gunicorn.settings import KNOWN_SETTINGS, SECTIONS
from gunicorn.settings.base import Setting, SettingMeta, UnsupportedSetting, make_settings
from gunicorn.settings.control import default_control_socket_path
from gunicorn.settings.validators import (
    ALPN_PROTOCOL_MAP,
    VALID_HTTP_PROTOCOLS,
    auto_int,
    validate_asgi_lifespan,
    validate_asgi_loop,
    validate_bool,
    validate_callable,
    validate_chdir,
    validate_class,
    validate_dict,
    validate_file_exists,
    validate_group,
    validate_header_map_behaviour,
    validate_http2_cleartext,
    validate_http2_frame_size,
    validate_http2_max_concurrent_streams,
    validate_http2_window_size,
    validate_http_parser,
    validate_http_protocols,
    validate_list_of_existing_files,
    validate_list_of_files_or_patterns,
    validate_list_string,
    validate_pos_int,
    validate_post_request,
    validate_protocol,
    validate_proxy_protocol,
    validate_reload_engine,
    validate_ssl_version,
    validate_statsd_address,
    validate_string,
    validate_string_to_addr_list,
    validate_string_to_list,
    validate_user,
)
from gunicorn.workers import serves_uwsgi, unavailable_worker_message

_T = TypeVar("_T")

# gunicorn 25.0 module constant: the ``sys.platform`` the defaults were chosen for
PLATFORM: str = sys.platform

DEFAULT_LOGGER_CLASS = "gunicorn.glogging.Logger"
STATSD_LOGGER_CLASS = "gunicorn.instrument.statsd.Statsd"
THREAD_WORKER_CLASS = "gunicorn.workers.gthread.ThreadWorker"

# ``\=`` escapes an equals sign inside a paste global's key.
_UNESCAPED_EQUALS = re.compile(r"(?<!\\)=")


def get_default_config_file() -> str | None:
    """Return ``<cwd>/gunicorn.conf.py`` when that file exists, else None."""
    path = os.path.join(os.path.abspath(os.getcwd()), "gunicorn.conf.py")
    return path if os.path.exists(path) else None


def _is_sync(uri: Any) -> bool:
    return isinstance(uri, str) and (uri == "sync" or uri.endswith("SyncWorker"))


def _load_prepared_class(uri: Any, hook: str, **lookup: str) -> type:
    """``util.load_class(uri, **lookup)``, then call the class's ``hook()`` if it has one."""
    loaded = util.load_class(uri, **lookup)
    prepare = getattr(loaded, hook, None)
    if prepare is not None:
        prepare()
    return loaded


class _SettingsMap(dict):
    """``Config.settings``: a dict that keeps the value mirror honest.

    Replacing an entry (tests and embedders put stand-ins with a ``get()``
    there) re-points ``cfg.<name>`` at the new object.
    """

    def __init__(self, namespace: dict[str, Any], settings: dict[str, Any]) -> None:
        super().__init__(settings)
        self._namespace = namespace

    def __setitem__(self, name: str, setting: Any) -> None:
        namespace = getattr(self, "_namespace", None)
        old = self.get(name)
        if isinstance(old, Setting):
            old.bind_mirror(None)
        super().__setitem__(name, setting)
        if namespace is None:
            return
        if isinstance(setting, Setting):
            setting.bind_mirror(namespace)
        else:
            # no mirror: __getattr__ then asks the object's get()
            namespace.pop(name, None)

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class Config:
    """The resolved configuration of one server.

    ``cfg.<name>`` returns the value of setting ``<name>`` (AttributeError for
    an unknown name); ``cfg.set(name, value)`` validates and stores a value.
    Assigning ``cfg.<name> = value`` for a setting name raises AttributeError
    ("Invalid access!") so that every change goes through a validator.

    Args:
        usage: argparse usage string for :meth:`parser`.
        prog: program name; defaults to the basename of ``sys.argv[0]``.

    Attributes:
        settings: ``{name: Setting}``.
        usage, prog: as given.
        env_orig: copy of ``os.environ`` taken at construction (used to read
            ``GUNICORN_CMD_ARGS`` and to restore variables on reload).
        generation: int bumped by every change of a setting's value (through
            ``set()`` or ``Setting.value``); see :meth:`derived`.
    """

    def __init__(self, usage: str | None = None, prog: str | None = None) -> None:
        self.settings: dict[str, Setting] = _SettingsMap(self.__dict__, make_settings())
        self.usage = usage
        self.prog = prog or os.path.basename(sys.argv[0])
        self.env_orig = os.environ.copy()
        # Derived values keyed on the identity of the raw value they came from,
        # so a later ``set()`` (which stores a new object) invalidates them.
        self._derived: dict[str, tuple[Any, Any]] = {}
        self.generation = 0
        self._views: dict[str, tuple[int, Any]] = {}
        # Mirror every value into this instance's __dict__: ``cfg.<name>`` is then
        # an ordinary attribute read on the hot path. Derived properties with a
        # setting's name (worker_class, sendfile, ...) still win, being data
        # descriptors on the class.
        namespace = self.__dict__
        for setting in self.settings.values():
            setting.bind_mirror(namespace)

    # Pickling and copying rebuild the value mirror on the new object.
    _PLAIN_ATTRS = ("usage", "prog", "env_orig")

    def __getstate__(self) -> dict[str, Any]:
        state = {k: self.__dict__[k] for k in self._PLAIN_ATTRS}
        state["settings"] = dict(self.settings)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        namespace = self.__dict__
        namespace.update(state)
        namespace["settings"] = _SettingsMap(namespace, state["settings"])
        namespace["_derived"] = {}
        namespace["generation"] = 0
        namespace["_views"] = {}
        for setting in self.settings.values():
            setting.bind_mirror(namespace)

    def __copy__(self) -> Config:
        state = self.__getstate__()
        state["settings"] = {name: s.copy() for name, s in self.settings.items()}
        dup = Config.__new__(Config)
        dup.__setstate__(state)
        return dup

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: unknown names, or settings
        # added to ``self.settings`` after construction.
        try:
            setting = self.__dict__["settings"][name]
        except KeyError:
            raise AttributeError("No configuration setting for: %s" % name) from None
        # anything with get() may be stored as a setting (duck-typed like upstream)
        return setting.get()

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "settings" and name in self.__dict__.get("settings", ()):
            raise AttributeError("Invalid access!")
        super().__setattr__(name, value)

    def __str__(self) -> str:
        width = max(len(k) for k in self.settings)
        lines = []
        for key in sorted(self.settings):
            value = self.settings[key].value
            if callable(value):
                value = "<%s()>" % getattr(value, "__qualname__", type(value).__qualname__)
            lines.append("%s = %s" % (key.ljust(width), value))
        return "\n".join(lines)

    def set(self, name: str, value: Any) -> None:
        """Validate ``value`` and store it as setting ``name``.

        Raises AttributeError for an unknown name, and the validator's error
        (TypeError, ValueError, ConfigError) for a bad value.
        """
        try:
            setting = self.settings[name]
        except KeyError:
            raise AttributeError("No configuration setting for: %s" % name) from None
        setting.set(value)

    def check_supported(self) -> None:
        """Refuse recognised settings whose feature this release does not have.

        Raises ConfigError, with one line naming what is available, for a
        ``worker_class`` naming one of gunicorn 25.0's built-in workers that
        is not installed here, and for ``protocol = "uwsgi"`` with the
        tornado worker (tornado's own HTTP server speaks HTTP only). Refusing
        at start is better than failing on every request.
        """
        # get(): a setting replaced by a duck-typed stand-in still answers
        worker_class = self.settings["worker_class"].get()
        refusal = unavailable_worker_message(worker_class)
        if refusal is not None:
            raise ConfigError(refusal)
        if self.settings["protocol"].get() == "uwsgi" and not serves_uwsgi(worker_class):
            raise ConfigError(
                "protocol 'uwsgi' is not supported by the worker class %r (it runs its "
                "own HTTP server); use sync, gthread, gevent, eventlet or asgi"
                % (getattr(worker_class, "__name__", worker_class),))

    def validate(self) -> None:
        """Check settings that only make sense together, once all are loaded.

        Each value was already checked by its own validator. Raises
        ConfigError for a feature this release does not have yet (see
        :meth:`check_supported`) and when ``http_protocols`` lists ``h2``
        but the h2 package (>= 4.1.0) is not installed; warns on stderr when
        ``h2`` can never be negotiated (no TLS and ``http2_cleartext`` off).
        """
        self.check_supported()
        if "h2" not in (self.http_protocols or ()):
            return
        if not _h2_package_usable():
            raise ConfigError(
                "http_protocols includes h2 but the h2 package (>= 4.1.0) is not "
                "installed; install gunicorn[http2] or remove h2 from http_protocols")
        if not _http2_server_available():
            # this release has no HTTP/2 server yet: ALPN keeps offering http/1.1
            sys.stderr.write(
                "Warning: http_protocols includes h2 but this release does not serve "
                "HTTP/2 yet; clients are answered over HTTP/1.1.\n")
            sys.stderr.flush()
            return
        if not self.is_ssl and getattr(self, "http2_cleartext", "off") == "off":
            sys.stderr.write(
                "Warning: http_protocols includes h2 but TLS is off and http2_cleartext "
                "is off, so HTTP/2 will never be negotiated.\n")
            sys.stderr.flush()

    def get_cmd_args_from_env(self) -> list[str]:
        """Return ``GUNICORN_CMD_ARGS`` (as it was at construction) split like a shell would."""
        raw = self.env_orig.get("GUNICORN_CMD_ARGS")
        return shlex.split(raw) if raw else []

    def parser(self) -> argparse.ArgumentParser:
        """Return an argparse parser with ``-v/--version``, a positional ``args`` and every flag.

        Options not given parse to None, so callers can tell them apart.
        """
        parser = argparse.ArgumentParser(usage=self.usage, prog=self.prog)
        parser.add_argument(
            "-v", "--version", action="version", default=argparse.SUPPRESS,
            version="%(prog)s (version " + __version__ + ")\n",
            help="show program's version number and exit")
        parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
        for setting in sorted(self.settings.values(), key=lambda s: s.order):
            setting.add_option(parser)
        return parser

    def derived(self, key: str, build: Callable[[Config], _T]) -> _T:
        """Return ``build(self)``, computed once per :attr:`generation`.

        For per-worker views of many settings (the HTTP parser's limits and
        field policy, ...) that the request path would otherwise rebuild:
        any later change of a setting makes the next call build afresh.
        *key* names the view (str); the value lives as long as this Config.
        """
        generation = self.generation
        cached = self._views.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        result = build(self)
        self._views[key] = (generation, result)
        return result

    def _memo(self, key: str, source: Any, compute: Any) -> Any:
        cached = self._derived.get(key)
        if cached is not None and cached[0] is source:
            return cached[1]
        result = compute(source)
        self._derived[key] = (source, result)
        return result

    def _runs_threaded_instead(self, uri: Any) -> bool:
        # The sync worker cannot use threads; gunicorn then runs gthread.
        return _is_sync(uri) and self.threads > 1

    @property
    def worker_class_str(self) -> str:
        """Worker class as text: the configured URI, "gthread" for sync with threads > 1,
        or the class name when a class object was given."""
        uri = self.settings["worker_class"].value
        if not isinstance(uri, str):
            return uri.__name__
        return "gthread" if self._runs_threaded_instead(uri) else uri

    @property
    def worker_class(self) -> type:
        """The worker class, loaded with ``util.load_class``; its ``setup()`` is called if present.

        ``sync`` with ``threads`` > 1 loads the threaded worker. Raises
        RuntimeError when the class cannot be loaded.
        """
        configured = self.settings["worker_class"].value
        chosen = THREAD_WORKER_CLASS if self._runs_threaded_instead(configured) else configured
        return _load_prepared_class(chosen, "setup")

    @property
    def address(self) -> list[Any]:
        """Parsed ``bind`` addresses: ``(host, port)`` tuples, unix paths (str) or fds (int)."""
        return self._memo(
            "address", self.settings["bind"].value,
            lambda binds: [util.parse_address(util.bytes_to_str(b)) for b in binds])

    @property
    def uid(self) -> int:
        """User id for the workers."""
        return self.settings["user"].value

    @property
    def gid(self) -> int:
        """Group id for the workers."""
        return self.settings["group"].value

    @property
    def proc_name(self) -> str:
        """``proc_name`` when set, else ``default_proc_name``."""
        name = self.settings["proc_name"].value
        return name if name is not None else self.settings["default_proc_name"].value

    @property
    def logger_class(self) -> type:
        """The logger class; the default becomes the statsd logger when ``statsd_host`` is set.

        "simple" means the default. Calls the class's ``install()`` if present.
        """
        wanted = self.settings["logger_class"].value
        if wanted in ("simple", DEFAULT_LOGGER_CLASS):
            # With statsd configured the default logger also sends metrics.
            statsd_on = self.settings["statsd_host"].value is not None
            wanted = STATSD_LOGGER_CLASS if statsd_on else DEFAULT_LOGGER_CLASS
        return _load_prepared_class(wanted, "install", default=DEFAULT_LOGGER_CLASS,
                                    section="gunicorn.loggers")

    @property
    def is_ssl(self) -> Any:
        """Truthy when TLS is configured (``certfile`` or ``keyfile`` set)."""
        return self.settings["certfile"].value or self.settings["keyfile"].value

    @property
    def ssl_options(self) -> dict[str, Any]:
        """``{name: value}`` for every setting of the "SSL" section."""
        names = self._memo("ssl_names", None, lambda _: [
            n for n, s in self.settings.items() if s.section == "SSL"])
        return {n: self.settings[n].value for n in names}

    @property
    def env(self) -> dict[str, str]:
        """``raw_env`` as a dict. Raises RuntimeError for an entry without ``=``."""
        return dict(self._memo("env", self.settings["raw_env"].value, _parse_env))

    @property
    def sendfile(self) -> bool:
        """Whether sendfile() may be used: the setting when set, else ``$SENDFILE``, else True."""
        value = self.settings["sendfile"].value
        if value is not None:
            return bool(value)
        env = os.environ.get("SENDFILE")
        if env is not None:
            return env.lower() in ("y", "1", "yes", "true")
        return True

    @property
    def reuse_port(self) -> bool:
        """The ``reuse_port`` setting."""
        return self.settings["reuse_port"].value

    @property
    def paste_global_conf(self) -> dict[str, str] | None:
        """``raw_paste_global_conf`` as a dict, split on the first unescaped ``=``.

        ``\\=`` is unescaped in keys and values. Raises RuntimeError for an
        entry without ``=``.
        """
        raw = self.settings["raw_paste_global_conf"].value
        if raw is None:
            return None
        return dict(self._memo("paste_global_conf", raw, _parse_paste_globals))

    def forwarded_allow_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``forwarded_allow_ips`` parsed as networks, ``*`` left out (cached until changed)."""
        return self._memo("forwarded_allow_networks", self.settings["forwarded_allow_ips"].value,
                          _networks)

    def proxy_allow_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``proxy_allow_ips`` parsed as networks, ``*`` left out (cached until changed)."""
        return self._memo("proxy_allow_networks", self.settings["proxy_allow_ips"].value,
                          _networks)


def _networks(addrs: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(a) for a in addrs if a != "*"]


def _parse_env(raw_env: list[str] | None) -> dict[str, str]:
    env: dict[str, str] = {}
    for entry in raw_env or ():
        text = util.bytes_to_str(entry)
        key, sep, value = text.partition("=")
        if not sep:
            raise RuntimeError("environment setting %r invalid" % text)
        env[key] = value
    return env


def _parse_paste_globals(raw: list[str]) -> dict[str, str]:
    conf: dict[str, str] = {}
    for entry in raw:
        text = util.bytes_to_str(entry)
        parts = _UNESCAPED_EQUALS.split(text, maxsplit=1)
        if len(parts) != 2:
            raise RuntimeError("environment setting %r invalid" % text)
        conf[parts[0].replace("\\=", "=")] = parts[1].replace("\\=", "=")
    return conf


def _natural_name(setting_name: str) -> str:
    return "".join(part.capitalize() for part in setting_name.split("_"))


def _export_setting_classes() -> list[str]:
    # Publish each setting class under its class name and, where different,
    # under the CamelCase of its setting name (``threads`` -> ``Threads``).
    names = []
    namespace = globals()
    for cls in KNOWN_SETTINGS:
        for alias in (cls.__name__, _natural_name(cls.name or "")):
            if alias and alias not in namespace:
                namespace[alias] = cls
                names.append(alias)
    return names


_SETTING_CLASS_NAMES = _export_setting_classes()


def _http2_server_available() -> bool:
    """True when a worker of this release serves HTTP/2 (``gunicorn.http2.server_ready()``)."""
    from gunicorn import http2

    return http2.server_ready()


def _h2_package_usable() -> bool:
    """True when the ``h2`` package is importable and at least version 4.1.0."""
    try:
        import h2
    except ImportError:
        return False
    parts = re.findall(r"\d+", getattr(h2, "__version__", "0"))[:2]
    return tuple(int(p) for p in parts) >= (4, 1)

# private name later releases use for the same helper
_get_default_control_socket = default_control_socket_path

__all__ = [
    "ALPN_PROTOCOL_MAP",
    "Config",
    "KNOWN_SETTINGS",
    "PLATFORM",
    "SECTIONS",
    "Setting",
    "SettingMeta",
    "UnsupportedSetting",
    "VALID_HTTP_PROTOCOLS",
    "auto_int",
    "default_control_socket_path",
    "get_default_config_file",
    "make_settings",
    "reloader_engines",  # noqa: F822 - provided by the module __getattr__ below
    "validate_asgi_lifespan",
    "validate_asgi_loop",
    "validate_bool",
    "validate_callable",
    "validate_chdir",
    "validate_class",
    "validate_dict",
    "validate_file_exists",
    "validate_group",
    "validate_header_map_behaviour",
    "validate_http2_cleartext",
    "validate_http2_frame_size",
    "validate_http2_max_concurrent_streams",
    "validate_http2_window_size",
    "validate_http_parser",
    "validate_http_protocols",
    "validate_list_of_existing_files",
    "validate_list_of_files_or_patterns",
    "validate_list_string",
    "validate_pos_int",
    "validate_post_request",
    "validate_protocol",
    "validate_proxy_protocol",
    "validate_reload_engine",
    "validate_ssl_version",
    "validate_statsd_address",
    "validate_string",
    "validate_string_to_addr_list",
    "validate_string_to_list",
    "validate_user",
    *_SETTING_CLASS_NAMES,
]


def __getattr__(name: str) -> Any:
    """``reloader_engines`` (gunicorn 25 exports it here) is loaded on first
    use: the inotify engine imports ctypes and subprocess, which a server
    without ``--reload`` never needs (PEP 562)."""
    if name == "reloader_engines":
        from gunicorn.reloader import reloader_engines

        return reloader_engines
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
