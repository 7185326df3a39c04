# Bare CR (RFC 9112 section 2.2).
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
