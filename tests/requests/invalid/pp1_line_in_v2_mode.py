from gunicorn.http.errors import InvalidRequestLine

cfg.set('proxy_protocol', 'v2')
request = InvalidRequestLine
