# UNKNOWN is not accepted.
from gunicorn.http.errors import InvalidProxyLine

cfg.set('proxy_protocol', 'v1')
request = InvalidProxyLine
