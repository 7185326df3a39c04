# The header buffer bound applies before a terminator arrives.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_fields', 10)
cfg.set('limit_request_field_size', 100)
request = LimitRequestHeaders
