"""Validators: functions that turn a raw setting value into a checked one.

Raw values come from three places: argparse (always ``str``, or the flag's
``type``), configuration files (any Python object) and ``cfg.set()`` calls
from embedding code. Each validator accepts all three shapes and raises
TypeError, ValueError or :class:`gunicorn.errors.ConfigError` with a message
meant for the person who wrote the value.
"""

from __future__ import annotations

import glob
import grp
import inspect
import ipaddress
import os
import pwd
import re
import ssl
import sys
import warnings
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.errors import ConfigError

# HTTP versions accepted by ``http_protocols`` and their ALPN identifiers (RFC 7301).
# h3 was accepted (and ignored) by gunicorn 25; releases from 26.2 refuse it.
VALID_HTTP_PROTOCOLS: frozenset[str] = frozenset({"h1", "h2"})
ALPN_PROTOCOL_MAP: dict[str, str] = {"h1": "http/1.1", "h2": "h2"}

RELOAD_ENGINES: tuple[str, ...] = ("auto", "poll", "inotify")
PROXY_PROTOCOL_MODES: tuple[str, ...] = ("off", "v1", "v2", "auto")
HEADER_MAP_MODES: tuple[str, ...] = ("drop", "refuse", "dangerous")
ASGI_LOOPS: tuple[str, ...] = ("auto", "asyncio", "uvloop")
ASGI_LIFESPANS: tuple[str, ...] = ("auto", "on", "off")
PROTOCOLS: tuple[str, ...] = ("http", "uwsgi")
HTTP_PARSERS: tuple[str, ...] = ("auto", "python", "fast")
HTTP2_CLEARTEXT_MODES: tuple[str, ...] = ("off", "prior-knowledge", "upgrade", "both")

# RFC 9113 section 4.2: SETTINGS_MAX_FRAME_SIZE bounds.
HTTP2_MIN_FRAME_SIZE = 16384
HTTP2_MAX_FRAME_SIZE = 16777215

_OCTAL_RE = re.compile(r"0\d")
_STATSD_UNIX_PORT_RE = re.compile(r"^unix:(\d+)$")


def validate_bool(val: Any) -> bool | None:
    """Return a bool from a bool or a "true"/"false" string (any case); None stays None.

    Raises TypeError for other types and ValueError for other strings.
    """
    if val is None or isinstance(val, bool):
        return val
    if not isinstance(val, str):
        raise TypeError("Invalid type for casting: %s" % val)
    word = val.strip().lower()
    if word == "true":
        return True
    if word == "false":
        return False
    raise ValueError("Invalid boolean: %s" % val)


def validate_dict(val: Any) -> dict[Any, Any]:
    """Return ``val`` unchanged when it is a dict; raise TypeError otherwise."""
    if not isinstance(val, dict):
        raise TypeError("Value is not a dictionary: %s " % val)
    return val


def validate_pos_int(val: Any) -> int:
    """Return a non-negative int.

    Strings are read with ``int(x, 0)`` so "0o22" and "0x10" work.
    Raises ValueError for a negative number or an unparsable string.
    """
    # int() also turns True/False into plain 1/0.
    num = int(val.strip(), 0) if isinstance(val, str) else int(val)
    if num >= 0:
        return num
    raise ValueError("Value must be positive: %s" % val)


def validate_http2_frame_size(val: Any) -> int:
    """Return an HTTP/2 max frame size in bytes, within 16384..16777215 (RFC 9113 section 4.2).

    Raises ValueError when out of range.
    """
    num = validate_pos_int(val)
    if not HTTP2_MIN_FRAME_SIZE <= num <= HTTP2_MAX_FRAME_SIZE:
        raise ValueError(
            "http2_max_frame_size must be between %d and %d, got %d"
            % (HTTP2_MIN_FRAME_SIZE, HTTP2_MAX_FRAME_SIZE, num))
    return num


def validate_ssl_version(val: Any) -> Any:
    """Return ``val`` unchanged; warn on stderr when it differs from the default.

    ``ssl_version`` is deprecated: protocol selection belongs to the
    ``ssl_context`` hook.
    """
    if val != ssl.PROTOCOL_TLS and str(val) != str(int(ssl.PROTOCOL_TLS)):
        sys.stderr.write(
            "Warning: option `ssl_version` is deprecated and it is ignored. "
            "Use ssl_context instead.\n")
    return val


def validate_string(val: Any) -> str | None:
    """Return the stripped string; None stays None; raise TypeError for non-strings."""
    if isinstance(val, str):
        return val.strip()
    if val is None:
        return None
    raise TypeError("Not a string: %s" % val)


def validate_file_exists(val: Any) -> str | None:
    """Return ``val`` when the path exists; None stays None; ValueError otherwise."""
    if val is not None and not os.path.exists(val):
        raise ValueError("File %s does not exists." % val)
    return val


def validate_list_string(val: Any) -> list[str]:
    """Return a list of stripped strings; a bare string becomes a one-item list; falsy -> []."""
    if not val:
        return []
    items = (val,) if isinstance(val, str) else val
    return [validate_string(item) for item in items]  # type: ignore[misc]


def validate_list_of_existing_files(val: Any) -> list[str]:
    """Like :func:`validate_list_string`, and every path must exist (ValueError)."""
    return [validate_file_exists(v) for v in validate_list_string(val)]  # type: ignore[misc]


def validate_list_of_files_or_patterns(val: Any) -> list[str]:
    """Like :func:`validate_list_of_existing_files`, but glob patterns pass unexpanded.

    A plain path must exist (ValueError).  A pattern (``*``, ``?``, ``[``) is
    kept as written so the reloader can expand it again on every check; one
    that matches nothing yet only gives a RuntimeWarning.
    """
    entries = validate_list_string(val)
    for entry in entries:
        if not glob.has_magic(entry):
            validate_file_exists(entry)
        elif not glob.glob(entry, recursive=True):
            warnings.warn("Pattern %s currently matches no files." % entry,
                          RuntimeWarning, stacklevel=2)
    return entries


def validate_string_to_list(val: Any) -> list[str]:
    """Split a comma-separated string into stripped, non-empty items.

    A list or tuple is accepted as already split.
    """
    if isinstance(val, (list, tuple)):
        return [validate_string(v) for v in val if v and v.strip()]  # type: ignore[misc]
    text = validate_string(val)
    if not text:
        return []
    return [item.strip() for item in text.split(",") if item.strip()]


def validate_string_to_addr_list(val: Any) -> list[str]:
    """Return a list of str, each an IP address, a strict CIDR network, or ``*``.

    The items stay strings (uvicorn's worker relies on that); use
    ``Config.forwarded_allow_networks()`` for parsed networks.
    Raises ValueError for an item that is neither (e.g. "10.0.0.1/8", host bits set).
    """
    items = validate_string_to_list(val)
    for item in items:
        if item != "*":
            ipaddress.ip_network(item)
    return items


def validate_class(val: Any) -> Any:
    """Return a class unchanged, call a function (or method) and use its result,
    and strip a string (a dotted path or short name resolved later)."""
    if inspect.isfunction(val) or inspect.ismethod(val):
        val = val()
    if isinstance(val, type):
        return val
    return validate_string(val)


def _import_dotted(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise TypeError(
            "Value '%s' is not import string. Format: module[.submodules...].object" % path)
    try:
        module = __import__(module_name, fromlist=[attr])
    except ImportError as e:
        raise TypeError(str(e))
    try:
        return getattr(module, attr)
    except AttributeError:
        raise TypeError("Can not load '%s' from '%s'" % (attr, module_name))


def validate_callable(arity: int) -> Callable[[Any], Callable[..., Any]]:
    """Return a validator for callables taking exactly ``arity`` positional parameters.

    The value may be a callable or a dotted "module.attr" string, which is
    imported. ``arity`` -1 skips the parameter count check. Parameters with
    defaults count (``util.get_arity``). Raises TypeError for an import
    failure, a non-callable or a wrong arity.
    """

    def _validate_callable(val: Any) -> Callable[..., Any]:
        if isinstance(val, str):
            val = _import_dotted(val.strip())
        if not callable(val):
            raise TypeError("Value is not callable: %s" % val)
        if arity != -1:
            actual = util.get_arity(val)
            if actual != arity:
                raise TypeError(
                    "Value must have an arity of: %s (%r takes %d positional argument%s)"
                    % (arity, getattr(val, "__qualname__", val), actual, "" if actual == 1 else "s"))
        return val

    _validate_callable.arity = arity  # type: ignore[attr-defined]
    return _validate_callable


def _account_id(val: Any, current: Callable[[], int], by_name: Callable[[str], int],
                kind: str) -> int:
    """Shared rules of --user/--group: None is ``current()``, an int or digits
    are an id as is, anything else is a name for ``by_name`` (KeyError ->
    ConfigError "No such <kind>")."""
    if val is None:
        return current()
    if isinstance(val, int):
        return val
    text = str(val).strip()
    if text.isdigit():
        return int(text)
    try:
        return by_name(text)
    except KeyError:
        raise ConfigError("No such %s: '%s'" % (kind, text)) from None


def validate_user(val: Any) -> int:
    """Return a uid: None means the effective uid, digits are a uid, a name is looked up.

    Raises ConfigError for an unknown user name.
    """
    return _account_id(val, os.geteuid, lambda name: pwd.getpwnam(name).pw_uid, "user")


def validate_group(val: Any) -> int:
    """Return a gid: None means the effective gid, digits are a gid, a name is looked up.

    Raises ConfigError for an unknown group name.
    """
    return _account_id(val, os.getegid, lambda name: grp.getgrnam(name).gr_gid, "group")


def validate_post_request(val: Any) -> Callable[[Any, Any, Any, Any], Any]:
    """Return a ``post_request(worker, req, environ, resp)`` callable.

    Callables taking 2 (worker, req) or 3 (worker, req, environ) arguments are
    wrapped so that the server can always pass four. Raises TypeError otherwise.
    """
    func = validate_callable(-1)(val)
    arity = util.get_arity(func)
    if arity == 4:
        return func
    if arity == 3:
        def post_request3(worker: Any, req: Any, environ: Any, _resp: Any) -> Any:
            return func(worker, req, environ)
        post_request3.__qualname__ = getattr(func, "__qualname__", "post_request")
        return post_request3
    if arity == 2:
        def post_request2(worker: Any, req: Any, _environ: Any, _resp: Any) -> Any:
            return func(worker, req)
        post_request2.__qualname__ = getattr(func, "__qualname__", "post_request")
        return post_request2
    raise TypeError("Value must have an arity of: 4 (or 2 or 3), got %d" % arity)


def validate_chdir(val: Any) -> str:
    """Return the absolute form of ``val`` (relative to the working directory).

    Raises ConfigError when the directory does not exist.
    """
    text = validate_string(val)
    if text is None:
        raise TypeError("chdir must be a path, got None")
    path = os.path.abspath(os.path.normpath(os.path.join(util.getcwd(), text)))
    if not os.path.exists(path):
        raise ConfigError("can't chdir to %r" % text)
    return path


def validate_statsd_address(val: Any) -> Any:
    """Return a parsed statsd address: ``(host, port)`` (default port 8125) or a unix path.

    ``unix:NNN`` keeps meaning host "unix", port NNN, as it did before unix
    sockets were supported. None stays None. Raises TypeError when unparsable.
    """
    text = validate_string(val)
    if text is None:
        return None
    legacy = _STATSD_UNIX_PORT_RE.match(text)
    if legacy:
        return ("unix", int(legacy.group(1)))
    try:
        return util.parse_address(text, default_port="8125")
    except RuntimeError:
        raise TypeError("Value must be one of ('host:port', 'unix://PATH')")


def validate_reload_engine(val: Any) -> str:
    """Return one of "auto", "poll", "inotify"; raise ConfigError otherwise."""
    if val not in RELOAD_ENGINES:
        raise ConfigError("Invalid reload_engine: %r" % val)
    return val


def validate_proxy_protocol(val: Any) -> str:
    """Return the PROXY protocol mode: "off", "v1", "v2" or "auto".

    Also accepted: bools and "true"/"1"/"yes" (auto), "false"/"0"/"no"/"none"
    and None (off). Raises ValueError for anything else.
    """
    if val is None or isinstance(val, bool):
        return "auto" if val else "off"
    if isinstance(val, int):
        val = str(val)
    spelled = validate_string(val).lower()  # type: ignore[union-attr]
    mode = _PROXY_PROTOCOL_ALIASES.get(spelled, spelled)
    if mode in PROXY_PROTOCOL_MODES:
        return mode
    raise ValueError(
        "Invalid proxy_protocol: %r (expected one of: %s)" % (val, ", ".join(PROXY_PROTOCOL_MODES)))


# Boolean-ish spellings accepted for --proxy-protocol.
_PROXY_PROTOCOL_ALIASES = {
    **dict.fromkeys(("true", "1", "yes", "on"), "auto"),
    **dict.fromkeys(("false", "0", "no", "none", ""), "off"),
}


def validate_http_protocols(val: Any) -> list[str]:
    """Return the ordered list of HTTP protocols named by a comma list such as "h2,h1".

    None or an empty string means ``["h1"]``. As in gunicorn 25.0 the value
    must be a str: a list (or any other type) raises TypeError. An unknown
    or repeated protocol raises ValueError.
    """
    if val is None:
        return ["h1"]
    if not isinstance(val, str):
        raise TypeError("http_protocols must be a comma-separated string such as "
                        "'h2,h1', got %r" % (val,))
    result: list[str] = []
    for item in val.split(","):
        proto = item.strip().lower()
        if not proto:
            continue
        if proto not in VALID_HTTP_PROTOCOLS:
            raise ValueError(
                "Invalid protocol %r in http_protocols (valid: %s)"
                % (proto, ", ".join(sorted(VALID_HTTP_PROTOCOLS))))
        if proto in result:
            raise ValueError("Duplicate HTTP protocol %r in http_protocols" % proto)
        result.append(proto)
    return result or ["h1"]


def validate_http2_max_concurrent_streams(val: Any) -> int:
    """A non-negative int, as ``validate_pos_int`` (gunicorn 25.0 accepts 0).

    0 is a legal SETTINGS_MAX_CONCURRENT_STREAMS value: the peer may then open
    no stream until the setting is raised (RFC 9113 section 6.5.2).
    ValueError for a negative number, TypeError/ValueError for a non-number.
    """
    return validate_pos_int(val)


def validate_http2_window_size(val: Any) -> int:
    """An int in 0..2**31-1, the largest flow-control window (RFC 9113
    section 6.9.2).  ValueError otherwise."""
    value = validate_pos_int(val)
    if value > 2 ** 31 - 1:
        raise ValueError("http2_initial_window_size must be at most 2147483647, got %r" % (val,))
    return value


def _choice(setting: str, choices: tuple[str, ...], val: Any, exc: type[Exception] = ValueError) -> str:
    if not isinstance(val, str):
        raise TypeError("%s must be a string, got %r" % (setting, val))
    text = val.strip().lower()
    if text not in choices:
        raise exc("Invalid %s: %r (expected one of: %s)" % (setting, val, ", ".join(choices)))
    return text


def validate_header_map_behaviour(val: Any) -> str:
    """Return "drop", "refuse" or "dangerous" (the handling of header names with ``_``)."""
    if val is None:
        raise TypeError("Value expected to be string, got: None")
    return _choice("header map behaviour", HEADER_MAP_MODES, val)


def validate_asgi_loop(val: Any) -> str:
    """Return "auto", "asyncio" or "uvloop"."""
    return _choice("asgi_loop", ASGI_LOOPS, val)


def validate_asgi_lifespan(val: Any) -> str:
    """Return "auto", "on" or "off"."""
    return _choice("asgi_lifespan", ASGI_LIFESPANS, val)


def validate_protocol(val: Any) -> str:
    """Return "http" or "uwsgi" (the wire protocol spoken on the listeners)."""
    return _choice("protocol", PROTOCOLS, val)


_warned_fast_parser = False


def validate_http_parser(val: Any) -> str:
    """Return "auto", "python" or "fast".

    "fast" without an accelerated parser (``gunicorn_h1c``) installed warns
    once on stderr; the built-in parser is then used.
    """
    global _warned_fast_parser
    choice = _choice("http_parser", HTTP_PARSERS, val)
    if choice == "fast" and not _warned_fast_parser:
        import importlib.util

        if importlib.util.find_spec("gunicorn_h1c") is None:
            _warned_fast_parser = True
            sys.stderr.write("Warning: http_parser = 'fast' but no accelerated parser is "
                             "installed; using the built-in parser.\n")
    return choice


def validate_http2_cleartext(val: Any) -> str:
    """Return "off", "prior-knowledge", "upgrade" or "both" (h2c modes, RFC 9113 section 3.3)."""
    if val is None or val is False:
        return "off"
    return _choice("http2_cleartext", HTTP2_CLEARTEXT_MODES, val)


def auto_int(_: Any, x: str | None = None) -> int:
    """argparse type for modes such as umask: "022" is octal, "0o22"/"0x12"/"18" as written.

    Called as ``auto_int(value)`` by argparse.
    """
    text = _ if x is None else x
    if _OCTAL_RE.match(text):
        text = text.replace("0", "0o", 1)
    return int(text, 0)
