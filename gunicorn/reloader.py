"""Code reloaders for ``--reload``: a thread in each worker that calls back on change.

``reloader_engines`` maps the ``--reload-engine`` values to classes:
``poll`` checks mtimes every second, ``inotify`` uses the ``inotify_simple``
package (Linux), and ``auto`` picks inotify when that package is importable.
"""

from __future__ import annotations

import glob
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable

_COMPILED_EXT_RE = re.compile(r"py[co]$")

try:
    import inotify_simple
except ImportError:  # optional dependency
    inotify_simple = None

has_inotify = inotify_simple is not None and sys.platform.startswith("linux")

Callback = Callable[[str], None]


def _expand(patterns: Iterable[str]) -> list[str]:
    """Expand glob patterns; a pattern with no match is kept as a literal path."""
    out: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            out.extend(glob.glob(pattern, recursive=True))
        else:
            out.append(pattern)
    return out


def _pattern_dir(pattern: str) -> str:
    """The directory to watch for ``pattern``: its parent, or for a glob the
    longest leading part without wildcards (so files created later are seen)."""
    path = os.path.abspath(pattern)
    if not glob.has_magic(path):
        return os.path.dirname(path)
    parts = path.split(os.sep)
    for i, part in enumerate(parts):
        if glob.has_magic(part):
            return os.sep.join(parts[:i]) or os.sep
    return os.path.dirname(path)


def _module_files() -> list[str]:
    """Source files of every loaded module (``.pyc`` mapped back to ``.py``)."""
    files = []
    for module in tuple(sys.modules.values()):
        fname = getattr(module, "__file__", None)
        if fname:
            files.append(_COMPILED_EXT_RE.sub("py", fname))
    return files


class Reloader(threading.Thread):
    """Poll the mtime of every module file and the extra files.

    Args:
        extra_files: paths or glob patterns, re-expanded on every check.
        interval: seconds between checks.
        callback: called with the changed file name.
    """

    def __init__(
        self,
        extra_files: Iterable[str] | None = None,
        interval: float = 1,
        callback: Callback | None = None,
    ) -> None:
        super().__init__(name="gunicorn-reloader", daemon=True)
        self._extra_files = set(extra_files or ())
        self._interval = interval
        self._callback = callback

    def add_extra_file(self, filename: str) -> None:
        """Watch ``filename`` (a path or glob) too."""
        self._extra_files.add(filename)

    def get_files(self) -> list[str]:
        """Every file currently watched."""
        return _module_files() + _expand(self._extra_files)

    def run(self) -> None:
        mtimes: dict[str, float] = {}
        while True:
            for filename in self.get_files():
                try:
                    mtime = os.stat(filename).st_mtime
                except OSError:
                    continue
                old = mtimes.get(filename)
                if old is None:
                    mtimes[filename] = mtime
                elif mtime != old:
                    mtimes[filename] = mtime
                    if self._callback:
                        self._callback(filename)
            time.sleep(self._interval)


class InotifyReloader(threading.Thread):
    """Watch the directories of the module and extra files with inotify.

    Only events naming a watched file trigger the callback.

    Raises:
        ImportError: the ``inotify_simple`` package is not installed.
    """

    def __init__(
        self, extra_files: Iterable[str] | None = None, callback: Callback | None = None
    ) -> None:
        if inotify_simple is None:
            raise ImportError(
                "You must have the inotify_simple module installed to use the inotify reloader"
            )
        super().__init__(name="gunicorn-reloader", daemon=True)
        flags = inotify_simple.flags
        self._mask = (
            flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MODIFY
            | flags.MOVE_SELF | flags.MOVED_FROM | flags.MOVED_TO | flags.CLOSE_WRITE
            | flags.ATTRIB  # "touch FILE" is a common way to ask for a reload
        )
        self._inotify = inotify_simple.INotify()
        self._callback = callback
        self._extra_files = set(extra_files or ())
        self._wd_dirs: dict[int, str] = {}
        self._dirs: set[str] = set()

    def add_extra_file(self, filename: str) -> None:
        """Watch ``filename`` (a path or glob) too."""
        self._extra_files.add(filename)
        self._watch_dir(_pattern_dir(filename))
        for path in _expand([filename]):
            self._watch_dir(os.path.dirname(os.path.abspath(path)))

    def _watch_dir(self, dirname: str) -> None:
        if dirname in self._dirs or not os.path.isdir(dirname):
            return
        try:
            wd = self._inotify.add_watch(dirname, self._mask)
        except OSError:
            return
        self._dirs.add(dirname)
        self._wd_dirs[wd] = dirname

    def get_files(self) -> set[str]:
        """Absolute paths of every file currently watched."""
        return {os.path.abspath(f) for f in _module_files() + _expand(self._extra_files)}

    def run(self) -> None:
        for pattern in self._extra_files:
            self._watch_dir(_pattern_dir(pattern))
        for fname in self.get_files():
            self._watch_dir(os.path.dirname(fname))
        while True:
            events = self._inotify.read()
            watched = self.get_files()
            for fname in watched:
                self._watch_dir(os.path.dirname(fname))
            for event in events:
                dirname = self._wd_dirs.get(event.wd)
                if dirname is None:
                    continue
                path = os.path.join(dirname, event.name) if event.name else dirname
                if path in watched and self._callback:
                    self._callback(path)
                    break


preferred_reloader = InotifyReloader if has_inotify else Reloader

reloader_engines: dict[str, type[threading.Thread]] = {
    "auto": preferred_reloader,
    "poll": Reloader,
    "inotify": InotifyReloader,
}
