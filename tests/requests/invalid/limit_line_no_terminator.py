# The limit applies before a line terminator arrives.
from gunicorn.http.errors import LimitRequestLine

request = LimitRequestLine
