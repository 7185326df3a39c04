from gunicorn.http.errors import InvalidRequestLine

cfg.set('proxy_protocol', 'v1')
request = InvalidRequestLine
