from gunicorn.http.errors import InvalidProxyHeader

cfg.set('proxy_protocol', 'v2')
request = InvalidProxyHeader
