"""``--spew``: a line tracer that prints every executed line of Python.

Installed with :func:`spew`, removed with :func:`unspew`. Output goes to
stdout as ``module:lineno: source line``; with ``show_values`` the names
used on the line and their reprs follow.
"""

from __future__ import annotations

import inspect
import linecache
import re
import sys
import threading
from types import FrameType
from typing import Any

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Spew:
    """Trace function for ``sys.settrace``.

    Args:
        trace_names: only trace modules whose ``__name__`` is in this list
            (all modules when None).
        show_values: also print the values of names appearing on each line.
    """

    def __init__(self, trace_names: list[str] | None = None, show_values: bool = True) -> None:
        self.trace_names = trace_names
        self.show_values = show_values

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Spew:
        if event != "line":
            return self
        module = frame.f_globals.get("__name__", "?")
        if self.trace_names is not None and module not in self.trace_names:
            return self
        filename = frame.f_code.co_filename
        lineno = frame.f_lineno
        line = linecache.getline(filename, lineno).rstrip()
        if not line:
            # Source unavailable (C extension, exec'd string): show where we are.
            line = "[%s:%s]" % (filename, lineno)
        print("%s:%s: %s" % (module, lineno, line))
        if self.show_values:
            seen = set()
            for name in _NAME_RE.findall(line):
                if name in seen:
                    continue
                seen.add(name)
                if name in frame.f_locals:
                    value = frame.f_locals[name]
                elif name in frame.f_globals:
                    value = frame.f_globals[name]
                else:
                    continue
                if inspect.ismodule(value) or inspect.isroutine(value) or inspect.isclass(value):
                    continue
                try:
                    shown = repr(value)
                except Exception:
                    shown = "<unrepresentable %s>" % type(value).__name__
                print("\t%s: %s" % (name, shown[:200]))
        return self


def spew(trace_names: list[str] | None = None, show_values: bool = False) -> None:
    """Install a :class:`Spew` tracer in this thread and in threads started later."""
    tracer = Spew(trace_names, show_values)
    sys.settrace(tracer)
    threading.settrace(tracer)


def unspew() -> None:
    """Remove the tracer installed by :func:`spew`."""
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
