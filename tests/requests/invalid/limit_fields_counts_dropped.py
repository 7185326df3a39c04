# Dropped underscore fields still count toward limit_request_fields.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_fields', 2)
request = LimitRequestHeaders
