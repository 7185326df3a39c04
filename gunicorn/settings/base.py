"""The ``Setting`` type and the registry every setting is recorded in.

A setting is a class whose attributes are data (name, section, CLI flags,
validator, default, description). Defining a subclass with a ``name``
registers it in :data:`KNOWN_SETTINGS`, in definition order, so third-party
code that subclasses ``gunicorn.config.Setting`` keeps working. The section
modules use :func:`define`, which builds the same classes from keyword data.
"""

from __future__ import annotations

import argparse
import copy
import sys
import textwrap
import types
from collections.abc import Callable
from typing import Any

# Every registered Setting subclass, in registration order.
KNOWN_SETTINGS: list[type[Setting]] = []

# Module under which the setting classes are published (``gunicorn.config.Bind``).
PUBLIC_MODULE = "gunicorn.config"


class SettingMeta(type):
    """Metaclass that registers each concrete setting and normalises its text.

    A class counts as concrete when it defines ``name`` itself. Registration
    assigns ``order`` (the index in :data:`KNOWN_SETTINGS`), wraps the
    validator as a staticmethod, and derives ``short`` from the first line of
    the dedented ``desc``.
    """

    def __new__(mcs, clsname: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> SettingMeta:
        if not any(isinstance(b, SettingMeta) for b in bases) or "name" not in attrs:
            return super().__new__(mcs, clsname, bases, attrs)
        # ``value`` is a property of Setting; a class-level value would shadow it.
        attrs.pop("value", None)
        validator = attrs.get("validator")
        if validator is not None and not isinstance(validator, staticmethod):
            attrs["validator"] = staticmethod(validator)
        # A function default (server hooks) must not become a bound method.
        for key in ("default", "default_factory"):
            if isinstance(attrs.get(key), types.FunctionType):
                attrs[key] = staticmethod(attrs[key])
        desc = textwrap.dedent(attrs.get("desc") or "").strip()
        attrs["desc"] = desc
        attrs["short"] = desc.splitlines()[0] if desc else ""
        attrs["order"] = len(KNOWN_SETTINGS)
        cls = super().__new__(mcs, clsname, bases, attrs)
        KNOWN_SETTINGS.append(cls)  # type: ignore[arg-type]
        return cls


class Setting(metaclass=SettingMeta):
    """One configuration setting: its metadata (class attributes) and its value.

    Class attributes: ``name`` (setting key), ``section`` (documentation
    group), ``cli`` (list of flags or None), ``validator`` (callable that
    converts and checks a raw value), ``type`` (argparse type), ``meta``
    (argparse metavar), ``action`` (argparse action, "store" when None),
    ``default`` (raw default, validated on construction), ``short`` and
    ``desc`` (help text), ``nargs``, ``const``, ``order`` (registration index),
    ``default_doc`` (optional text shown instead of the default),
    ``default_factory`` (optional callable computing the default per instance).
    """

    name: str | None = None
    section: str | None = None
    cli: list[str] | None = None
    validator: Callable[[Any], Any] | None = None
    type: Any = None
    meta: str | None = None
    action: str | None = None
    default: Any = None
    short: str | None = None
    desc: str | None = None
    nargs: Any = None
    const: Any = None
    order: int = -1
    default_doc: str | None = None
    default_factory: Callable[[], Any] | None = None

    # Where ``value`` lives, plus an optional dict (the owning Config's
    # ``__dict__``) that mirrors it so ``cfg.<name>`` is a plain attribute read.
    _value: Any = None
    _sink: dict[str, Any] | None = None

    @property
    def value(self) -> Any:
        """The current (validated) value."""
        return self._value

    @value.setter
    def value(self, val: Any) -> None:
        """Store an already validated value (and mirror it on the Config)."""
        self._value = val
        sink = self._sink
        if sink is not None:
            sink[self.name] = val  # type: ignore[index]
            # Config.generation: caches derived from the whole configuration
            # (parser settings, environ bases) notice the change by it.
            sink["generation"] = sink.get("generation", 0) + 1

    def bind_mirror(self, sink: dict[str, Any] | None) -> None:
        """Mirror this setting's value into ``sink[name]`` from now on (None stops)."""
        self._sink = sink
        if sink is not None:
            sink[self.name] = self._value  # type: ignore[index]

    def __init__(self) -> None:
        # default_factory: a default that depends on when the Config is built
        # (``chdir`` follows the working directory of that moment).
        if self.default_factory is not None:
            self.set(self.default_factory())
        elif self.default is not None:
            self.set(self.default)

    def add_option(self, parser: argparse.ArgumentParser) -> None:
        """Add this setting's flags to ``parser``; a no-op for settings without a CLI.

        The argparse default is always None so that "not given" can be told
        apart from any real value when the layers of configuration are merged.
        """
        if not self.cli:
            return
        kwargs: dict[str, Any] = {
            "dest": self.name,
            "action": self.action or "store",
            "default": None,
            "help": ("%s [%s]" % (self.short, self.default)).replace("%", "%%"),
        }
        if kwargs["action"] == "store":
            kwargs["type"] = self.type or str
        optional = {"metavar": self.meta, "nargs": self.nargs, "const": self.const}
        kwargs.update((key, value) for key, value in optional.items() if value is not None)
        parser.add_argument(*self.cli, **kwargs)

    def copy(self) -> Setting:
        """Return a shallow copy (the value object is shared until the next ``set``).

        The copy is not mirrored into any Config.
        """
        dup = copy.copy(self)
        dup._sink = None
        return dup

    def get(self) -> Any:
        """Return the current (validated) value."""
        return self.value

    def set(self, val: Any) -> None:
        """Validate ``val`` and store the result.

        Raises TypeError when the setting has no validator, and whatever the
        validator raises (TypeError, ValueError, ConfigError) for a bad value.
        """
        validator = self.validator
        if not callable(validator):
            raise TypeError("Invalid validator: %s" % self.name)
        self.value = validator(val)

    def __lt__(self, other: Setting) -> bool:
        return self.section == other.section and self.order < other.order

    def __repr__(self) -> str:
        cls = type(self)
        return "<%s.%s object at %x with value %r>" % (
            cls.__module__, cls.__name__, id(self), self.value)


class UnsupportedSetting(Setting):
    """A setting that is accepted for compatibility but has no effect here.

    The first time a value other than the default is set in this process, a
    warning naming the setting is written to stderr.
    """

    _warned: set[str] = set()
    unsupported_reason: str = "it is not supported by this server"

    def set(self, val: Any) -> None:
        """Validate and store *val* like any setting, warning once if it is not the default."""
        super().set(val)
        name = self.name or ""
        if name in UnsupportedSetting._warned:
            return
        default = self.default
        if self.value is default or self.value == self.validator(default):  # type: ignore[misc]
            return
        UnsupportedSetting._warned.add(name)
        sys.stderr.write(
            "WARNING: setting %r is accepted but ignored: %s.\n" % (name, self.unsupported_reason))
        sys.stderr.flush()


def define(
    clsname: str,
    *,
    name: str,
    section: str,
    validator: Callable[[Any], Any],
    default: Any = None,
    desc: str,
    cli: list[str] | None = None,
    type: Any = None,  # noqa: A002 - mirrors the attribute name
    meta: str | None = None,
    action: str | None = None,
    nargs: Any = None,
    const: Any = None,
    default_doc: str | None = None,
    base: type[Setting] = Setting,
    **extra: Any,
) -> type[Setting]:
    """Create and register a Setting subclass from keyword data.

    Args:
        clsname: public class name (exported as ``gunicorn.config.<clsname>``).
        name: setting key (``cfg.<name>``).
        section: documentation section, e.g. "Server Socket".
        validator: converts and checks raw values; its errors reach the user.
        default: raw default, validated each time a Setting is created.
        desc: help text; the first line becomes ``short``.
        cli, type, meta, action, nargs, const: argparse details.
        default_doc: text documenting a default computed at import time.
        base: Setting or a subclass such as :class:`UnsupportedSetting`.

    Returns the new class (already appended to :data:`KNOWN_SETTINGS`).
    """
    attrs: dict[str, Any] = {
        "__module__": PUBLIC_MODULE,
        "__qualname__": clsname,
        "__doc__": "Setting ``%s``: %s" % (name, textwrap.dedent(desc).strip().splitlines()[0]),
        "name": name,
        "section": section,
        "validator": validator,
        "default": default,
        "desc": desc,
        "cli": cli,
        "type": type,
        "meta": meta,
        "action": action,
        "nargs": nargs,
        "const": const,
        "default_doc": default_doc,
    }
    attrs.update(extra)
    return SettingMeta(clsname, (base,), attrs)  # type: ignore[return-value]


def make_settings(ignore: list[str] | tuple[str, ...] | set[str] | None = None) -> dict[str, Setting]:
    """Return ``{name: Setting instance}`` for every known setting not in ``ignore``.

    Each instance holds its validated default.
    """
    skip = set(ignore or ())
    return {cls.name: cls() for cls in KNOWN_SETTINGS if cls.name not in skip}  # type: ignore[misc]
