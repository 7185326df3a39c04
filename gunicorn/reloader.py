"""Code reloaders for ``--reload``: a thread in each worker that calls back on change.

``reloader_engines`` maps the ``--reload-engine`` values to classes:
``poll`` checks mtimes every second, ``inotify`` uses the ``inotify_simple``
package (Linux), and ``auto`` picks inotify when that package is importable.
Both derive from :class:`ReloaderBase`, the thread with the watch list.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
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


def symlink_target_dir(filename: str) -> str | None:
    """Directory of the file that the symlink ``filename`` resolves to.

    Returns None when ``filename`` is missing or not a symlink. Writing
    through a link changes the target, so inotify reports the change in the
    target's directory, which must then be watched as well.
    """
    try:
        mode = os.lstat(filename).st_mode
    except OSError:
        return None
    if not stat.S_ISLNK(mode):
        return None
    return os.path.dirname(os.path.realpath(filename))


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


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


class ReloaderBase(threading.Thread):
    """What every engine shares: the daemon thread, the callback and the watch list.

    Subclasses implement ``run()``; the thread is a daemon, so it never keeps
    a worker alive.

    Args:
        extra_files: paths or glob patterns to watch besides the source files
            of loaded modules. Literal paths go to ``_extra_files``, patterns
            to ``_extra_patterns``, expanded again on every :meth:`get_files`
            call so that files created after start-up are seen.
        interval: seconds between checks, for engines that poll.
        callback: called with the changed file's name (str).
    """

    def __init__(
        self,
        extra_files: Iterable[str] | None = None,
        interval: float = 1,
        callback: Callback | None = None,
    ) -> None:
        super().__init__(name="gunicorn-reloader", daemon=True)
        self._interval = interval
        self._callback = callback
        self._extra_files: set[str] = set()
        self._extra_patterns: set[str] = set()
        for entry in extra_files or ():
            self._remember(entry)

    def _remember(self, entry: str) -> None:
        target = self._extra_patterns if glob.has_magic(entry) else self._extra_files
        target.add(entry)

    def add_extra_file(self, filename: str) -> None:
        """Watch ``filename`` (a path or glob) too."""
        self._remember(filename)

    def _extra_paths(self) -> list[str]:
        paths = list(self._extra_files)
        for pattern in self._extra_patterns:
            paths += sorted(glob.glob(pattern, recursive=True))
        return paths

    def get_files(self) -> list[str] | set[str]:
        """Every file currently watched: loaded modules, extra files, pattern matches."""
        return _module_files() + self._extra_paths()


class Reloader(ReloaderBase):
    """Poll the mtime of every module file and the extra files.

    Args:
        extra_files: paths or glob patterns (patterns re-expanded on every check).
        interval: seconds between checks.
        callback: called with the changed file name.
    """

    def _scan(self, known: dict[str, float]) -> None:
        # The first sighting of a file only records its mtime; any later
        # difference (also a clock going backwards) counts as a change.
        for path in self.get_files():
            current = _mtime(path)
            if current is None:
                continue
            if known.setdefault(path, current) == current:
                continue
            known[path] = current
            if self._callback:
                self._callback(path)

    def run(self) -> None:
        """Thread body: scan every ``interval`` s, forever (daemon thread)."""
        known: dict[str, float] = {}
        while True:
            self._scan(known)
            time.sleep(self._interval)


class InotifyReloader(ReloaderBase):
    """Watch the directories of the module and extra files with inotify.

    Only events naming a watched file (or the target of a watched symlink)
    trigger the callback.

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
        super().__init__(extra_files, callback=callback)
        flags = inotify_simple.flags
        self._mask = (
            flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MODIFY
            | flags.MOVE_SELF | flags.MOVED_FROM | flags.MOVED_TO | flags.CLOSE_WRITE
            | flags.ATTRIB  # "touch FILE" is a common way to ask for a reload
        )
        self._inotify = inotify_simple.INotify()
        self._wd_dirs: dict[int, str] = {}
        self._dirs: set[str] = set()
        # watched from now on, not only once the thread runs: a change made
        # between start() and the thread's first scan is not lost
        for entry in (*self._extra_files, *self._extra_patterns):
            self._watch_entry(entry)

    def add_extra_file(self, filename: str) -> None:
        """Watch ``filename`` (a path or glob) too."""
        super().add_extra_file(filename)
        self._watch_entry(filename)

    def _watch_entry(self, filename: str) -> None:
        """Watch the directories a path or glob (and its matches) live in."""
        self._watch_dir(_pattern_dir(filename))
        matches = glob.glob(filename, recursive=True) if glob.has_magic(filename) else [filename]
        for path in matches:
            self._watch_file_dirs(path)

    def _watch_file_dirs(self, path: str) -> None:
        self._watch_dir(os.path.dirname(os.path.abspath(path)))
        target_dir = symlink_target_dir(path)
        if target_dir is not None:
            self._watch_dir(target_dir)

    def _watch_dir(self, dirname: str) -> None:
        if dirname in self._dirs or not os.path.isdir(dirname):
            return
        # A directory that vanished or hit the watch limit is simply skipped.
        with contextlib.suppress(OSError):
            self._wd_dirs[self._inotify.add_watch(dirname, self._mask)] = dirname
            self._dirs.add(dirname)

    def get_files(self) -> set[str]:
        """Absolute paths of every file currently watched."""
        return {os.path.abspath(f) for f in _module_files() + self._extra_paths()}

    def get_dirs(self) -> set[str]:
        """Directories being watched so far."""
        return set(self._dirs)

    def _refresh(self) -> set[str]:
        """Watch the directories of every current file; return the paths that count."""
        files = self.get_files()
        relevant = set(files)
        for path in files:
            self._watch_file_dirs(path)
            if os.path.islink(path):
                relevant.add(os.path.realpath(path))
        return relevant

    def start(self) -> None:
        """Watch the directories of every module loaded so far, then start
        the thread: a file changed right after ``start()`` returns (before
        the thread first runs) is not missed."""
        self._refresh()
        super().start()

    def run(self) -> None:
        """Thread body: block on inotify events, report a watched file, forever."""
        self._refresh()
        while True:
            events = self._inotify.read()
            relevant = self._refresh()
            for event in events:
                dirname = self._wd_dirs.get(event.wd)
                if dirname is None:
                    continue
                path = os.path.join(dirname, event.name) if event.name else dirname
                if path in relevant and self._callback:
                    self._callback(path)
                    break


preferred_reloader = InotifyReloader if has_inotify else Reloader

reloader_engines: dict[str, type[ReloaderBase]] = {
    "auto": preferred_reloader,
    "poll": Reloader,
    "inotify": InotifyReloader,
}
