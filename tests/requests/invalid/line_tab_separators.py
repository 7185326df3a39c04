# Only SP separates (RFC 9112 section 3).
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
