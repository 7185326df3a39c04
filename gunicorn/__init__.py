"""A pre-fork WSGI/ASGI HTTP server for UNIX, compatible with gunicorn 25.0."""

version_info: tuple[int, int, int] = (25, 0, 3)
__version__: str = ".".join(str(v) for v in version_info)
SERVER: str = "gunicorn"
SERVER_SOFTWARE: str = "%s/%s" % (SERVER, __version__)

__all__ = ["version_info", "__version__", "SERVER", "SERVER_SOFTWARE"]
