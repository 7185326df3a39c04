# Only one empty line before the request-line is forgiven.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
