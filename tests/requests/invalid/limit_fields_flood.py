# An unterminated flood of fields is cut at the header buffer bound.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_fields', 5)
cfg.set('limit_request_field_size', 20)
request = LimitRequestHeaders
