# limit_request_line is clamped to 8190.
from gunicorn.http.errors import LimitRequestLine

cfg.set('limit_request_line', 100000)
request = LimitRequestLine
