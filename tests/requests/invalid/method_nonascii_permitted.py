from gunicorn.http.errors import InvalidRequestMethod

cfg.set('permit_unconventional_http_method', True)
request = InvalidRequestMethod
