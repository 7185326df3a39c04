from gunicorn.http.errors import LimitRequestLine

cfg.set('limit_request_line', 20)
request = LimitRequestLine
