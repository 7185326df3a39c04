"""gunicorn.pidfile.Pidfile: creation, stale detection, unlink, rename."""

import os
import subprocess
import sys

import pytest

from gunicorn.pidfile import Pidfile


def test_create_writes_pid_with_mode_0644(tmp_path):
    path = tmp_path / "g.pid"
    pf = Pidfile(str(path))
    pf.create(os.getpid())
    assert path.read_text() == "%d\n" % os.getpid()
    assert (path.stat().st_mode & 0o777) == 0o644


def test_create_over_stale_pidfile(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(proc.stdout)
    path = tmp_path / "g.pid"
    path.write_text("%d\n" % dead)
    pf = Pidfile(str(path))
    assert pf.validate() is None
    pf.create(os.getpid())
    assert int(path.read_text()) == os.getpid()


def test_create_refuses_live_pid(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        path = tmp_path / "g.pid"
        path.write_text("%d\n" % proc.pid)
        with pytest.raises(RuntimeError, match="Already running on PID %d" % proc.pid):
            Pidfile(str(path)).create(os.getpid())
    finally:
        proc.kill()
        proc.wait()


def test_garbage_content_is_stale(tmp_path):
    path = tmp_path / "g.pid"
    path.write_text("not a pid")
    assert Pidfile(str(path)).validate() is None


def test_unlink_only_removes_own_pid(tmp_path):
    path = tmp_path / "g.pid"
    pf = Pidfile(str(path))
    pf.create(os.getpid())
    path.write_text("1\n")
    pf.unlink()
    assert path.exists()
    path.write_text("%d\n" % os.getpid())
    pf.unlink()
    assert not path.exists()


def test_rename(tmp_path):
    pf = Pidfile(str(tmp_path / "g.pid.2"))
    pf.create(os.getpid())
    pf.rename(str(tmp_path / "g.pid"))
    assert not (tmp_path / "g.pid.2").exists()
    assert int((tmp_path / "g.pid").read_text()) == os.getpid()


def test_missing_directory(tmp_path):
    with pytest.raises(RuntimeError, match="doesn't exist"):
        Pidfile(str(tmp_path / "nope" / "g.pid")).create(os.getpid())


# OSError built with only an error number (errno attribute left None) must be
# read the same way as one raised by the OS.

def test_validate_bare_enoent_from_open_means_no_pidfile(tmp_path, monkeypatch):
    import builtins
    import errno

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOENT)

    monkeypatch.setattr(builtins, "open", refuse)
    assert Pidfile(str(tmp_path / "g.pid")).validate() is None


@pytest.mark.parametrize("code, expected", [("ESRCH", None), ("EPERM", 4242)])
def test_validate_bare_kill_errno(tmp_path, monkeypatch, code, expected):
    import errno

    path = tmp_path / "g.pid"
    path.write_text("4242\n")

    def fake_kill(pid, sig):
        assert (pid, sig) == (4242, 0)
        raise OSError(getattr(errno, code))

    monkeypatch.setattr(os, "kill", fake_kill)
    assert Pidfile(str(path)).validate() == expected


def test_validate_other_kill_errors_propagate(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "g.pid"
    path.write_text("4242\n")

    def fake_kill(pid, sig):
        raise OSError(errno.EINVAL, "bad signal")

    monkeypatch.setattr(os, "kill", fake_kill)
    with pytest.raises(OSError):
        Pidfile(str(path)).validate()


def test_validate_non_positive_pid_is_stale(tmp_path):
    path = tmp_path / "g.pid"
    for text in ("0\n", "-5\n", ""):
        path.write_text(text)
        assert Pidfile(str(path)).validate() is None


def test_file_already_naming_us_is_still_removed_on_unlink(tmp_path):
    # create() found its own pid and returned early without remembering it,
    # so unlink() (which only removes a file holding our pid) left it behind
    path = tmp_path / "self.pid"
    path.write_text("%d\n" % os.getpid())
    pidfile = Pidfile(str(path))
    pidfile.create(os.getpid())
    assert path.read_text().strip() == str(os.getpid())
    pidfile.unlink()
    assert not path.exists()
