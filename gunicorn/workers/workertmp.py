"""The heartbeat file a worker touches and the arbiter watches."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from typing import Any

from gunicorn import util

# platform.system() name ("Linux", "Darwin", "CYGWIN_NT-10.0", ...), as in gunicorn 25.0
PLATFORM: str = platform.system()
IS_CYGWIN: bool = PLATFORM.startswith("CYGWIN")


def _open_heartbeat_file(cfg: Any) -> Any:
    """Create the file with mkstemp() under ``cfg.umask``, hand it to the
    worker's user, and drop its name so nothing is left behind on disk."""
    saved = os.umask(cfg.umask)
    try:
        fd, path = tempfile.mkstemp(prefix="wgunicorn-", dir=cfg.worker_tmp_dir)
    finally:
        os.umask(saved)
    # unbuffered: the file is never written, only its timestamps change
    handle = os.fdopen(fd, "w+b", buffering=0)
    try:
        # the worker may run as another user: it must still be able to touch the file
        if (cfg.uid, cfg.gid) != (os.geteuid(), os.getegid()):
            util.chown(path, cfg.uid, cfg.gid)
        if not IS_CYGWIN:  # Cygwin cannot unlink a file that is still open
            util.unlink(path)
    except BaseException:
        handle.close()
        raise
    return handle


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
        directory = cfg.worker_tmp_dir
        if directory and not os.path.isdir(directory):
            raise RuntimeError("%s doesn't exist. Can't create workertmp." % directory)
        self._tmp = _open_heartbeat_file(cfg)

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
