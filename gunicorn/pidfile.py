"""PID file management for the master process (``-p/--pid``)."""

from __future__ import annotations

import errno
import os
import tempfile


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
        oldpid = self.validate()
        if oldpid:
            if oldpid == os.getpid():
                return
            raise RuntimeError(
                "Already running on PID %s (or pid file '%s' is stale)" % (oldpid, self.fname)
            )
        self.pid = pid
        fdir = os.path.dirname(self.fname)
        if fdir and not os.path.isdir(fdir):
            raise RuntimeError("%s doesn't exist. Can't create pidfile." % fdir)
        fd, tmpname = tempfile.mkstemp(dir=fdir or None)
        try:
            os.write(fd, ("%s\n" % pid).encode("ascii"))
        finally:
            os.close(fd)
        if self.fname:
            os.rename(tmpname, self.fname)
        else:
            self.fname = tmpname
        os.chmod(self.fname, 0o644)

    def rename(self, path: str) -> None:
        """Move the PID file to ``path`` (used when a re-exec'd master is promoted)."""
        self.unlink()
        self.fname = path
        self.create(self.pid or os.getpid())

    def unlink(self) -> None:
        """Remove the file, but only when it still holds our pid."""
        try:
            with open(self.fname) as f:
                pid = int(f.read() or 0)
            if pid == self.pid:
                os.unlink(self.fname)
        except (OSError, ValueError):
            pass

    def validate(self) -> int | None:
        """Return the pid in the file when that process is alive, else None.

        A pid whose process exists but belongs to another user (EPERM) counts
        as alive. A missing file or unreadable content gives None.
        """
        if not self.fname:
            return None
        try:
            with open(self.fname) as f:
                content = f.read()
        except OSError as e:
            if e.errno == errno.ENOENT:
                return None
            raise
        try:
            wpid = int(content)
        except ValueError:
            return None
        if wpid <= 0:
            return None
        try:
            os.kill(wpid, 0)
        except OSError as e:
            if e.errno == errno.EPERM:
                return wpid
            if e.errno == errno.ESRCH:
                return None
            raise
        return wpid
