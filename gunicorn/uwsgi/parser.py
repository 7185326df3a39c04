"""``UWSGIParser``: the requests of one uWSGI connection, blocking facade.

``gunicorn.http.get_parser`` returns it when ``protocol = "uwsgi"``; it
iterates like ``RequestParser`` (the previous request's unread content is
drained first; iteration stops when the connection must close).
"""

from __future__ import annotations

from gunicorn.http.parser import Parser

from .message import UWSGIRequest

__all__ = ["UWSGIParser"]


class UWSGIParser(Parser):
    """Parser of uWSGI request packets (``UWSGIRequest`` objects).

    ``UWSGIParser(cfg, source, source_addr)``: *source* is a socket or an
    iterable of bytes, *source_addr* the peer address.
    """

    mesg_class = UWSGIRequest
