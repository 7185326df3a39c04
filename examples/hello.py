"""The smallest useful WSGI application; also the benchmark app.

Run it with::

    gunicorn --chdir examples hello:app
    python -m gunicorn examples.hello:app
"""

from collections.abc import Callable, Iterable

_BODY = b"Hello, World!\n"
_STATUS = "200 OK"
_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Answer every request with a fixed 14-byte ``text/plain`` body (PEP 3333)."""
    start_response(_STATUS, _HEADERS)
    return [_BODY]


application = app
