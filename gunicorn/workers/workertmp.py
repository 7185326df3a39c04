"""The heartbeat file a worker touches and the arbiter watches."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from typing import Any

from gunicorn import util

IS_CYGWIN = platform.system().startswith("CYGWIN")


class WorkerTmp:
    """An unlinked temporary file whose mtime is the worker's last heartbeat.

    Created in the master before fork, so both sides share the open file.
    The mtime holds ``time.monotonic()`` seconds, which both processes read
    from the same clock.

    Args:
        cfg: the Config; uses ``worker_tmp_dir``, ``umask``, ``uid``, ``gid``.

    Raises:
        RuntimeError: ``worker_tmp_dir`` does not exist.
    """

    def __init__(self, cfg: Any) -> None:
        fdir = cfg.worker_tmp_dir
        if fdir and not os.path.isdir(fdir):
            raise RuntimeError("%s doesn't exist. Can't create workertmp." % fdir)
        old_umask = os.umask(cfg.umask)
        try:
            fd, name = tempfile.mkstemp(prefix="wgunicorn-", dir=fdir)
        finally:
            os.umask(old_umask)
        try:
            if cfg.uid != os.geteuid() or cfg.gid != os.getegid():
                util.chown(name, cfg.uid, cfg.gid)
            if not IS_CYGWIN:
                util.unlink(name)
            self._tmp = os.fdopen(fd, "w+b", 0)
        except BaseException:
            os.close(fd)
            raise

    def notify(self) -> None:
        """Record a heartbeat: set atime and mtime to ``time.monotonic()``."""
        now = time.monotonic()
        os.utime(self._tmp.fileno(), (now, now))

    def last_update(self) -> float:
        """Monotonic time (seconds) of the last heartbeat.

        Raises ValueError once the file is closed.
        """
        return os.fstat(self._tmp.fileno()).st_mtime

    def fileno(self) -> int:
        """The file descriptor."""
        return self._tmp.fileno()

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._tmp.close()
