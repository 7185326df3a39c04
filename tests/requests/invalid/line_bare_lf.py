# Bare LF does not end a line.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
