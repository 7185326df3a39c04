"""Resolve an ``APP_MODULE`` string (``module[:expression]``) to the application callable."""

from __future__ import annotations

import ast
import importlib
import logging
import os
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from gunicorn.errors import AppImportError

DEFAULT_ATTRIBUTE = "application"


class AppModuleNotFound(AppImportError, ImportError):
    """The module part named a ``.py`` file instead of a module (a hint is given)."""


def _parse_expression(expr: str) -> tuple[str, list[Any] | None, dict[str, Any] | None]:
    """Split ``name`` or ``name(literal, key=literal)`` into (name, args, kwargs).

    args and kwargs are None for a plain name. Raises AppImportError.
    """
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        raise AppImportError(
            "Failed to parse %r as an attribute name or function call." % expr) from None
    if isinstance(node, ast.Name):
        return node.id, None, None
    if not isinstance(node, ast.Call):
        raise AppImportError("Failed to parse %r as an attribute name or function call." % expr)
    if not isinstance(node.func, ast.Name):
        raise AppImportError("Function reference must be a simple name: %r" % expr)
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords):
        raise AppImportError("Failed to parse arguments as literal values: %r" % expr)
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    except (ValueError, SyntaxError, TypeError):
        raise AppImportError("Failed to parse arguments as literal values: %r" % expr) from None
    return node.func.id, args, kwargs  # type: ignore[return-value]


def _raised_at_call_site(func: Any, tb: TracebackType | None) -> bool:
    """True when a TypeError from calling ``func`` came from the call itself (bad
    arguments) rather than from code running inside ``func``."""
    code = getattr(func, "__code__", None)
    if code is None:
        # Classes and other callables: inspect their __init__ / __call__ code.
        if isinstance(func, type):
            target = getattr(func, "__init__", None)
        else:
            target = getattr(func, "__func__", None) or vars(type(func)).get("__call__")
        code = getattr(target, "__code__", None)
    while tb is not None:
        if code is not None and tb.tb_frame.f_code is code:
            return False
        tb = tb.tb_next
    return True


def import_app(module_and_expr: str) -> Callable[..., Any]:
    """Import ``module[:expression]`` and return the application it names.

    ``expression`` is an attribute name (default ``application``) or a call of
    one with literal arguments, e.g. ``app:create_app("prod", debug=False)``;
    the call's result is the application.

    Raises:
        AppImportError: "Failed to parse ..." for an expression that is not a
            name or a call with literal arguments; "Failed to find attribute
            ..." for a missing name; a one-line TypeError message when the
            factory was called with the wrong arguments; "Failed to find
            application object ..." when the result is None; "Application
            object must be callable." otherwise. A ``foo.py`` module argument
            raises :class:`AppModuleNotFound` (also an ImportError) with a
            "did you mean 'foo:NAME'?" hint.
        ImportError: the module itself could not be imported.
    """
    module_part, has_expr, expr = module_and_expr.partition(":")
    if not has_expr:
        expr = DEFAULT_ATTRIBUTE
    module_name = module_part.strip()
    name, args, kwargs = _parse_expression(expr)

    found = _lookup(_import_or_hint(module_name, name), name, module_name)
    app = found if args is None else _call_factory(found, args, kwargs or {})

    if app is None:
        raise AppImportError("Failed to find application object: %r" % expr)
    if callable(app):
        return app
    raise AppImportError("Application object must be callable.")


def _lookup(module: Any, name: str, module_name: str) -> Any:
    """``getattr`` that reports a missing name as AppImportError (traceback shown at DEBUG)."""
    try:
        return getattr(module, name)
    except AttributeError:
        if logging.root.level == logging.DEBUG:
            traceback.print_exc()
        raise AppImportError("Failed to find attribute %r in %r." % (name, module_name)) from None


def _import_or_hint(module_name: str, attr: str) -> Any:
    """Import a module; a path such as ``app.py`` gets a "did you mean" AppModuleNotFound."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        looks_like_file = module_name.endswith(".py") and os.path.exists(module_name)
        if not looks_like_file:
            raise
    dotted = module_name[:-len(".py")].replace(os.sep, ".")
    raise AppModuleNotFound(
        "Failed to find application, did you mean '%s:%s'?" % (dotted, attr))


def _call_factory(factory: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call an application factory; a TypeError about its own arguments becomes AppImportError."""
    try:
        return factory(*args, **kwargs)
    except TypeError as exc:
        inner = exc.__traceback__.tb_next if exc.__traceback__ else None
        if not _raised_at_call_site(factory, inner):
            raise
        summary = "".join(traceback.format_exception_only(TypeError, exc)).strip()
        raise AppImportError(summary) from None
