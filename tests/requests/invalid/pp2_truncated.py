from gunicorn.http.errors import NoMoreData

cfg.set('proxy_protocol', 'v2')
request = NoMoreData
