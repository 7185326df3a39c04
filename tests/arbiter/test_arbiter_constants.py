"""Arbiter class constants and signal names (read by third-party test suites)."""

import logging
import signal

from gunicorn.arbiter import Arbiter
from gunicorn.config import Config
from gunicorn.workers.sync import SyncWorker


def test_constants():
    assert Arbiter.WORKER_BOOT_ERROR == 3
    assert Arbiter.APP_LOAD_ERROR == 4
    assert Arbiter.WAKEUP_REQUEST == signal.NSIG
    assert Arbiter.START_CTX == {} and Arbiter.LISTENERS == [] and Arbiter.WORKERS == {}
    assert Arbiter.SIGNALS == [signal.SIGHUP, signal.SIGQUIT, signal.SIGINT, signal.SIGTERM,
                               signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR1, signal.SIGUSR2,
                               signal.SIGWINCH]


def test_sig_names():
    names = Arbiter.SIG_NAMES
    for sig, name in [(signal.SIGHUP, "hup"), (signal.SIGTERM, "term"), (signal.SIGTTIN, "ttin"),
                      (signal.SIGUSR2, "usr2"), (signal.SIGWINCH, "winch")]:
        assert names[sig] == name
    # every signal the master handles has a handle_<name> method
    for sig in Arbiter.SIGNALS + [signal.SIGCHLD]:
        assert callable(getattr(Arbiter, "handle_%s" % names[sig]))


def test_sync_check_config_warns_on_h2(caplog):
    cfg = Config()
    cfg.set("http_protocols", "h2,h1")
    log = logging.getLogger("test.sync.check")
    with caplog.at_level(logging.WARNING, logger="test.sync.check"):
        SyncWorker.check_config(cfg, log)
    assert "not supported by the sync worker" in caplog.text


def test_signal_handler_only_enqueues():
    """The master's handler does no work in signal context: it only queues the number
    (the wakeup fd, written by the interpreter at C level, wakes the loop)."""
    import queue
    import signal as signals
    import types

    from gunicorn.arbiter import Arbiter

    fake = types.SimpleNamespace(SIG_QUEUE=queue.SimpleQueue())
    Arbiter.signal(fake, signals.SIGHUP, None)
    Arbiter.signal(fake, signals.SIGCHLD, None)
    assert fake.SIG_QUEUE.get_nowait() == signals.SIGHUP
    assert fake.SIG_QUEUE.get_nowait() == signals.SIGCHLD
    assert fake.SIG_QUEUE.empty()


def test_signal_chld_is_a_separate_enqueue_only_handler():
    """gunicorn 25.0 installs ``signal_chld`` for SIGCHLD; like ``signal`` it only queues."""
    import queue
    import types

    fake = types.SimpleNamespace(SIG_QUEUE=queue.SimpleQueue())
    Arbiter.signal_chld(fake, signal.SIGCHLD, None)
    assert fake.SIG_QUEUE.get_nowait() == signal.SIGCHLD
    assert fake.SIG_QUEUE.empty()
    assert Arbiter.handle_cld is Arbiter.handle_chld
