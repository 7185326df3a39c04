# Bare LF line ends are rejected at once.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
