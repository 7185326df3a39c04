from gunicorn.http.errors import InvalidProxyLine

cfg.set('proxy_protocol', 'auto')
request = InvalidProxyLine
