# HTTP/0.9 simple request: no version.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
