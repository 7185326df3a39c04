# chunked is not defined for HTTP/1.0.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
