from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_fields', 3)
request = LimitRequestHeaders
