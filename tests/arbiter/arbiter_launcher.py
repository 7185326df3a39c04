"""Launch ``python -m gunicorn`` with a pre-bound listener, like systemd or a supervisor.

Usage: ``python arbiter_launcher.py MODE [gunicorn args...]`` where MODE is
``systemd`` (listener dup'ed to fd 3, LISTEN_FDS=1, LISTEN_PID=<our pid>; exec
keeps the pid) or ``fd`` (``--bind fd://N`` is added). The listener is bound to
127.0.0.1 on an ephemeral port.
"""

import os
import socket
import sys


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    fd = lsock.detach()
    if mode == "systemd":
        if fd != 3:
            os.dup2(fd, 3)
            os.close(fd)
            fd = 3
        os.set_inheritable(fd, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        extra = []
    else:
        os.set_inheritable(fd, True)
        extra = ["--bind", "fd://%d" % fd]
    argv = [sys.executable, "-m", "gunicorn"] + extra + args
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
