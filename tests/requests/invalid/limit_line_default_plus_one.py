# One byte over limit_request_line 4094: 414.
from gunicorn.http.errors import LimitRequestLine

request = LimitRequestLine
