# A field line of 39 bytes plus CRLF is 41 > 40.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_field_size', 40)
request = LimitRequestHeaders
