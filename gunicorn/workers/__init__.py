"""Worker classes. ``SUPPORTED_WORKERS`` maps the ``-k`` short names to class paths.

The table is gunicorn 25.0's, so code that reads it finds every name it knows.
This release ships the ``sync``, ``gthread``, ``gevent``,
``gevent_wsgi``/``gevent_pywsgi`` and ``eventlet`` workers; the others are
coming. Naming one that is not here yet is refused with one clear message
(:func:`unavailable_worker_message`) instead of an import traceback.
"""

from __future__ import annotations

import importlib.util
from typing import Any

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


def _module_present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_workers() -> list[str]:
    """Short names of the built-in workers this installation has, in table order."""
    return [short for short, module, _ in _WORKER_TABLE
            if _module_present("%s.%s" % (_PACKAGE, module))]


def coming_workers() -> list[str]:
    """One short name per built-in worker module that this release does not have yet."""
    seen: set[str] = set()
    names = []
    for short, module, _ in _WORKER_TABLE:
        if module not in seen and not _module_present("%s.%s" % (_PACKAGE, module)):
            seen.add(module)
            names.append(short)
    return names


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def unavailable_worker_message(uri: Any) -> str | None:
    """The refusal for a built-in worker that this release does not have yet.

    Args:
        uri: the ``worker_class`` value: a short name (``gevent``, also
            written ``#gevent`` or ``egg:gunicorn#gevent``), a dotted path
            under ``gunicorn.workers`` (``gunicorn.workers.ggevent.GeventWorker``),
            or anything else.

    Returns one line naming the available workers when *uri* names one of
    gunicorn 25.0's built-in workers whose module is not in this package,
    else None (class objects, third-party paths and other ``egg:`` URIs
    included: those are left to ``util.load_class``). Checking costs no import of the
    worker module.
    """
    if not isinstance(uri, str):
        return None
    # "egg:gunicorn#gevent" names gunicorn's own entry point for the short name
    name = uri.removeprefix("egg:gunicorn").removeprefix("#")
    dotted = SUPPORTED_WORKERS.get(name, name)
    module = dotted.rpartition(".")[0]
    if not module.startswith(_PACKAGE + ".") or _module_present(module):
        return None
    if dotted not in SUPPORTED_WORKERS.values():
        return None  # a misspelt path: load_class says it was not found
    return (
        "worker class %r is not available in this release (coming: %s). "
        "Available: %s, or an installed third-party worker class by its dotted "
        "path (e.g. uvicorn_worker.UvicornWorker)."
        % (uri, _and_list(coming_workers()), ", ".join(available_workers())))


# built-in workers that run a third-party HTTP server of their own, which
# cannot read uWSGI packets
_OWN_HTTP_SERVER = frozenset({"tornado", "gevent_wsgi", "gevent_pywsgi"})


def serves_uwsgi(uri: Any) -> bool:
    """False when the ``worker_class`` value *uri* cannot serve ``protocol =
    "uwsgi"``: the built-in tornado and gevent_wsgi/gevent_pywsgi workers
    (by short name or dotted path), or a class whose ``serves_uwsgi``
    attribute is False (default: True unless it sets a ``server_class``).
    Other paths are not imported here and count as able to."""
    if isinstance(uri, str):
        name = uri.removeprefix("egg:gunicorn").removeprefix("#")
        dotted = SUPPORTED_WORKERS.get(name, name)
        return not any(SUPPORTED_WORKERS[short] == dotted for short in _OWN_HTTP_SERVER)
    default = getattr(uri, "server_class", None) is None
    return bool(getattr(uri, "serves_uwsgi", default))


__all__ = ["SUPPORTED_WORKERS", "available_workers", "coming_workers",
           "unavailable_worker_message", "serves_uwsgi"]
