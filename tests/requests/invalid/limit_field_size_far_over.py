from gunicorn.http.errors import LimitRequestHeaders

cfg.set('limit_request_field_size', 40)
request = LimitRequestHeaders
