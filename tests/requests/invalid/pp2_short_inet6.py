from gunicorn.http.errors import InvalidProxyHeader

cfg.set('proxy_protocol', 'auto')
request = InvalidProxyHeader
