from gunicorn.http.errors import ForbiddenProxyRequest

cfg.set('proxy_protocol', 'auto')
cfg.set('proxy_allow_ips', '10.255.255.254')
source_addr = ('192.0.2.10', 40000)
request = ForbiddenProxyRequest
