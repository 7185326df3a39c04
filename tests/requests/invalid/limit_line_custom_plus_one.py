from gunicorn.http.errors import LimitRequestLine

cfg.set('limit_request_line', 40)
request = LimitRequestLine
