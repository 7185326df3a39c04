"""Worker classes. ``SUPPORTED_WORKERS`` maps the ``-k`` short names to class paths."""

_PACKAGE = "gunicorn.workers"

# short name -> (module in this package, class)
_WORKER_TABLE = (
    ("sync", "sync", "SyncWorker"),
    ("gthread", "gthread", "ThreadWorker"),
    ("gevent", "ggevent", "GeventWorker"),
    ("gevent_wsgi", "ggevent", "GeventPyWSGIWorker"),
    ("gevent_pywsgi", "ggevent", "GeventPyWSGIWorker"),
    ("eventlet", "geventlet", "EventletWorker"),
    ("tornado", "gtornado", "TornadoWorker"),
    ("asgi", "gasgi", "ASGIWorker"),
)

SUPPORTED_WORKERS: dict[str, str] = {
    short: "%s.%s.%s" % (_PACKAGE, module, cls) for short, module, cls in _WORKER_TABLE
}

__all__ = ["SUPPORTED_WORKERS"]
