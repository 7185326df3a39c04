# 0 does not lift the field size limit: the default 8190 applies.
from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_field_size', 0)
request = LimitRequestHeaders
