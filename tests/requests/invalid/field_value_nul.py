# NUL in a value (RFC 9110 section 5.5).
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
