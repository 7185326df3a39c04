"""PID file management for the master process (``-p/--pid``)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile

# errno values of ``kill(pid, 0)``: ESRCH means no such process (the file is
# stale); EPERM means it exists but belongs to someone else (still alive).
_NO_SUCH_PROCESS = errno.ESRCH
_NOT_OURS = errno.EPERM


def _errno_of(exc: OSError) -> int | None:
    """The error number of ``exc``, also when it was built as ``OSError(code)``."""
    if exc.errno is not None:
        return exc.errno
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, int) else None


def _read_pid(path: str) -> int | None:
    """The positive integer stored in ``path``; None for a missing file or other content.

    Raises OSError for read failures other than a missing file.
    """
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        if _errno_of(exc) == errno.ENOENT:
            return None
        raise
    try:
        pid = int(text)
    except ValueError:
        return None
    return pid if pid > 0 else None


def _process_exists(pid: int) -> bool:
    """Probe ``pid`` with signal 0 (POSIX kill(2)); raises OSError for unexpected errors."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        code = _errno_of(exc)
        if code == _NOT_OURS:
            return True
        if code == _NO_SUCH_PROCESS:
            return False
        raise
    return True


class Pidfile:
    """A file holding the master's pid, written atomically.

    Args:
        fname: path of the PID file. An empty value makes ``create`` pick a
            temporary name.
    """

    def __init__(self, fname: str) -> None:
        self.fname = fname
        self.pid: int | None = None

    def create(self, pid: int) -> None:
        """Write ``pid`` to the file (mkstemp + rename, mode 0644).

        Raises:
            RuntimeError: another live process owns the file ("Already running
                on PID ..."), or its directory does not exist.
        """
        holder = self.validate()
        if holder == os.getpid():
            # The file already names us: it is ours, and unlink() must
            # still remove it at exit.
            self.pid = holder
            return
        if holder:
            raise RuntimeError(
                "Already running on PID %s (or pid file '%s' is stale)" % (holder, self.fname))

        self.pid = pid
        directory = os.path.dirname(self.fname)
        if directory and not os.path.isdir(directory):
            raise RuntimeError("%s doesn't exist. Can't create pidfile." % directory)
        written = self._write_temporary(directory or None, pid)
        # rename(2) replaces the old file in one step, so readers never see
        # a half-written pid.
        if self.fname:
            os.rename(written, self.fname)
        else:
            self.fname = written
        os.chmod(self.fname, 0o644)

    @staticmethod
    def _write_temporary(directory: str | None, pid: int) -> str:
        handle, path = tempfile.mkstemp(dir=directory)
        with os.fdopen(handle, "wb") as out:
            out.write(b"%d\n" % pid)
        return path

    def rename(self, path: str) -> None:
        """Move the PID file to ``path`` (used when a re-exec'd master is promoted)."""
        self.unlink()
        self.fname = path
        self.create(self.pid or os.getpid())

    def unlink(self) -> None:
        """Remove the file, but only when it still holds our pid."""
        with contextlib.suppress(OSError, ValueError):
            with open(self.fname) as handle:
                stored = int(handle.read() or 0)
            if stored == self.pid:
                os.unlink(self.fname)

    def validate(self) -> int | None:
        """Return the pid in the file when that process is alive, else None.

        A pid whose process exists but belongs to another user (EPERM) counts
        as alive. A missing file or unreadable content gives None.

        Raises:
            OSError: the file cannot be read for another reason, or probing
                the process fails with something other than ESRCH/EPERM.
        """
        if not self.fname:
            return None
        pid = _read_pid(self.fname)
        if pid is None or not _process_exists(pid):
            return None
        return pid
